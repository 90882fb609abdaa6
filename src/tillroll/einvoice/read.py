"""From XML bytes (a bare file or a PDF attachment) to a schema-v1 `Document`.

Input detection is by content: the root element and its namespace say whether this is
CII (Factur-X / ZUGFeRD 1.x or 2.x / XRechnung) or UBL 2.1; the file name never decides.
A file that is well-formed and recognisably an invoice is read even when it breaks its
XSD or names an unknown profile: the values are still the issuer's own, and the
result carries a failed `xml_schema` / `xml_profile` check saying what is wrong with it.
A file that is malformed or not an invoice raises `EInvoiceError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..document import Check, Document
from .base import EInvoiceError, parse_xml
from .line_amounts import gross_stated_as_net, net_line_amounts
from .read_cii import is_cii, read_cii
from .read_ubl import is_ubl, read_ubl
from .validate import Validation, cii_profile, validate

if TYPE_CHECKING:  # pragma: no cover
    from lxml import etree

# Attachment names a Factur-X / ZUGFeRD / XRechnung PDF uses, in the order they are preferred.
KNOWN_ATTACHMENTS = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")


def looks_like_xml(data: bytes) -> bool:
    """True for bytes that start (after a BOM and blanks) with an XML declaration or element."""
    head = data[:512].lstrip(b"\xef\xbb\xbf").lstrip()
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with BOM
        return True
    return head[:1] == b"<" and not head[:5].lower().startswith(b"<svg") and not head[:5].lower() == b"<html"


@dataclass
class ReadResult:
    document: Document
    kind: str  # "cii" | "zugferd1" | "cii-draft" | "ubl-invoice" | "ubl-creditnote"
    profile: str | None
    validation: Validation


def _describe(root: etree._Element) -> str:
    from lxml import etree

    q = etree.QName(root)
    if q.namespace and "order" in q.localname.lower() or (q.namespace or "").endswith("SCRDMCCBDACIOMessageStructure:100"):
        return f"an order ({q.localname}), not an invoice"
    return (
        f"a document with root <{q.localname}> (namespace {q.namespace or 'none'}), not a CII or UBL invoice; "
        "tillroll reads Factur-X / ZUGFeRD / XRechnung CII and UBL 2.1 invoices and credit notes"
    )


def read_einvoice(data: bytes | etree._Element, source: str = "xml", attachment: str | None = None) -> ReadResult:
    """Read CII or UBL XML into a Document whose fields have `source` ("xml" or "embedded_xml")."""
    root = parse_xml(data) if isinstance(data, bytes) else data
    from lxml import etree

    ns = etree.QName(root).namespace or ""
    if is_ubl(root):
        inv = read_ubl(root)
        kind = "ubl-creditnote" if etree.QName(root).localname == "CreditNote" else "ubl-invoice"
        profile = "en16931" if inv.guideline and "en16931" in inv.guideline else None
        validation = validate(root, kind)
    elif is_cii(root):
        inv = read_cii(root)
        if ns.startswith("urn:ferd:CrossIndustryDocument"):
            kind = "zugferd1"
        elif "CrossIndustryInvoice" in ns:
            kind = "cii"
        else:
            kind = "cii-draft"
        profile = cii_profile(inv.guideline)
        if kind == "cii-draft":
            validation = Validation(False, "", f"a pre-release ZUGFeRD draft (namespace {ns}) that no published XSD describes")
        elif kind == "zugferd1":
            validation = validate(root, kind)
        else:
            validation = validate(root, kind, profile or "extended")
    else:
        raise EInvoiceError(f"the XML is {_describe(root)}")

    doc = inv.to_document(source)
    what = {"cii": "CII", "zugferd1": "ZUGFeRD 1.0 CII", "cii-draft": "CII draft"}.get(kind, "UBL 2.1")
    where = f" ({attachment})" if attachment else ""
    if validation.valid:
        doc.checks.append(Check("xml_schema", True, f"{what}{where} is valid against the {validation.schema} XSD"))
    else:
        doc.checks.append(
            Check(
                "xml_schema",
                False,
                f"{what}{where} is not valid against the {validation.schema or 'official'} XSD: {validation.detail}; values were read from it anyway",
            )
        )
    if kind != "cii-draft" and kind.startswith(("cii", "zugferd")):
        if profile is None:
            doc.checks.append(Check("xml_profile", False, f"unknown profile (guideline id {inv.guideline!r}); read as a generic CII invoice"))
        else:
            doc.checks.append(Check("xml_profile", True, f"profile {profile} (guideline id {inv.guideline})"))
    gross = gross_stated_as_net(inv)
    if gross:
        # The values stay the issuer's own (module docstring); the check says which lines contradict the XML's own net terms.
        nets = net_line_amounts(inv)
        listed = "; ".join(f"line {inv.lines[i].line_id or i + 1}: {inv.lines[i].amount} stated, {nets[i]} net" for i in gross)
        doc.checks.append(
            Check(
                "xml_line_net_amounts",
                False,
                f"{len(gross)} line(s) state their gross amount where EN 16931 BT-131 is the net ({listed}); "
                "the XML's net prices and its sum of line net amounts give the net; values were kept as stated",
            )
        )
    meta = doc.meta["einvoice"]
    meta.update({"kind": kind, "profile": profile, "xsd_valid": validation.valid})
    if attachment:
        meta["attachment"] = attachment
    return ReadResult(doc, kind, profile, validation)


def pdf_attachments(data: bytes) -> list[tuple[str, bytes]]:
    """(name, bytes) of the XML files attached to a PDF, known e-invoice names first.

    pdfium lists a PDF's embedded files without parsing the pages; a PDF that pdfium
    cannot open has no attachments as far as this is concerned (the page loader reports it).
    """
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return []
    try:
        found = []
        for i in range(pdf.count_attachments()):
            try:
                att = pdf.get_attachment(i)
                name = att.get_name() or ""
                if not name.lower().endswith(".xml"):
                    continue
                found.append((name, bytes(att.get_data())))
            except (pdfium.PdfiumError, ValueError, OSError):
                continue
        order = {n: i for i, n in enumerate(KNOWN_ATTACHMENTS)}
        found.sort(key=lambda item: order.get(item[0].lower(), len(order)))
        return found
    finally:
        pdf.close()


def read_embedded(data: bytes) -> tuple[ReadResult | None, list[Check]]:
    """Read the e-invoice a PDF carries.

    Returns (result, problems): the first attachment that is a readable invoice (an
    XSD-valid one wins over an invalid one), and a failed check for each XML attachment
    that could not be read. (None, []) when the PDF carries no XML at all.
    """
    problems: list[Check] = []
    readable: list[ReadResult] = []
    for name, xml in pdf_attachments(data):
        try:
            result = read_einvoice(xml, source="embedded_xml", attachment=name)
        except EInvoiceError as exc:
            problems.append(Check("embedded_xml", False, f"attachment {name}: {exc.message}; the page was read instead"))
            continue
        if result.validation.valid:
            return result, problems
        readable.append(result)
    return (readable[0] if readable else None), problems
