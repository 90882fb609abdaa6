"""Errors and small XML helpers shared by the e-invoice readers and writers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from ..errors import InputError, TillrollError

if TYPE_CHECKING:  # pragma: no cover
    from lxml import etree

    from .terms import BusinessTerm


class EInvoiceError(InputError):
    """An XML input that is not a readable e-invoice (malformed, another document type...)."""

    code = "bad_einvoice"
    http_status = 422


class MissingBusinessTermsError(TillrollError):
    """Export refused: EN 16931 makes these business terms mandatory and the extraction lacks them."""

    code = "missing_business_terms"
    http_status = 422

    def __init__(self, terms: Sequence[BusinessTerm], syntax: str, *, source: str | None = None) -> None:
        self.terms = list(terms)
        listed = "; ".join(f"{t.bt} {t.name}" for t in self.terms)
        super().__init__(
            f"cannot write a valid EN 16931 {syntax.upper()} invoice: mandatory business terms are missing: {listed}. "
            "Fill them in (e.g. in the review UI) or export JSON instead",
            source=source,
        )

    def to_record(self) -> dict[str, object]:  # type: ignore[override]
        record: dict[str, object] = dict(super().to_record())
        record["missing"] = [{"bt": t.bt, "name": t.name} for t in self.terms]
        return record


def parser() -> etree.XMLParser:
    """A parser that never fetches anything and never expands entities (XXE, billion laughs)."""
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True, remove_pis=True)


def parse_xml(data: bytes) -> etree._Element:
    """Parse XML bytes; a malformed file raises EInvoiceError saying where it breaks."""
    from lxml import etree

    try:
        root = etree.fromstring(data, parser=parser())
    except etree.XMLSyntaxError as exc:
        raise EInvoiceError(f"the XML is malformed ({exc})") from exc
    if root is None:
        raise EInvoiceError("the XML has no root element")
    return root


def strip_namespaces(root: etree._Element) -> etree._Element:
    """A copy of the tree with every tag reduced to its local name.

    ZUGFeRD 1.x, its CBFBUY draft, Factur-X / ZUGFeRD 2.x and XRechnung name the same
    elements in different namespaces (and the draft in none); the readers address them
    by local name only, so one set of paths serves all of them.
    """
    from copy import deepcopy

    from lxml import etree

    tree = deepcopy(root)
    for el in tree.iter():
        if isinstance(el.tag, str) and el.tag[0] == "{":
            el.tag = el.tag.split("}", 1)[1]
    etree.cleanup_namespaces(tree)
    return tree


def text(el: etree._Element | None, *paths: str) -> str | None:
    """Stripped text of the first non-empty match among `paths` (element paths below `el`)."""
    if el is None:
        return None
    for path in paths:
        for hit in el.iterfind(path):
            value = (hit.text or "").strip()
            if value:
                return " ".join(value.split())
    return None


def first(el: etree._Element | None, *paths: str) -> etree._Element | None:
    if el is None:
        return None
    for path in paths:
        hit = el.find(path)
        if hit is not None:
            return hit
    return None


def decimal_text(value: str | None) -> str | None:
    """A decimal string as written in the XML (precision kept), or None when it is not a number."""
    if value is None:
        return None
    try:
        d = Decimal(value.strip())
    except InvalidOperation:
        return None
    return str(d) if d.is_finite() else None


def cii_date(value: str | None, fmt: str | None) -> str | None:
    """ISO date from a CII DateTimeString (format 102 = CCYYMMDD; 610 = CCYYMM; 616 = CCYYWW)."""
    if not value:
        return None
    value = value.strip()
    try:
        if fmt in (None, "", "102") and len(value) == 8 and value.isdigit():
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:])).isoformat()
        if fmt == "610" and len(value) == 6:
            return dt.date(int(value[:4]), int(value[4:6]), 1).isoformat()
        if fmt == "616" and len(value) == 6:
            return dt.date.fromisocalendar(int(value[:4]), int(value[4:]), 1).isoformat()
        return dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


def iso_date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        return None
