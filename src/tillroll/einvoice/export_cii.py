"""Write a `Document` as a UN/CEFACT CII invoice in the Factur-X / ZUGFeRD 2.x EN 16931 profile.

The tree is built with lxml in the element order of the Factur-X EN16931 XSD and then
validated against that XSD (`validate`); nothing is written when a mandatory business
term is missing (`MissingBusinessTermsError` names them) or the XSD rejects the result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..document import Document
from .base import MissingBusinessTermsError
from .model import Address, Invoice, Party
from .terms import missing_terms
from .validate import validate

if TYPE_CHECKING:  # pragma: no cover
    from lxml import etree

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
# UNTDID 4461: 58 = SEPA credit transfer (an IBAN is given), 1 = instrument not defined.
PAYMENT_MEANS_SEPA = "58"


class ExportError(Exception):
    """The exporter built XML its own XSD rejects: a tillroll bug, reported with the schema's words."""


def _el(parent: etree._Element, ns: str, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    from lxml import etree

    el = etree.SubElement(parent, f"{{{ns}}}{tag}", attrib=attrs)
    if text is not None:
        el.text = text
    return el


def _date(parent: etree._Element, tag: str, iso: str) -> None:
    holder = _el(parent, RAM, tag)
    _el(holder, UDT, "DateTimeString", iso.replace("-", ""), format="102")


def _address(parent: etree._Element, address: Address, country: str | None) -> None:
    addr = _el(parent, RAM, "PostalTradeAddress")
    if address.postcode:
        _el(addr, RAM, "PostcodeCode", address.postcode)
    lines = list(address.lines)
    if len(lines) > 3:  # CII has three address lines; the rest share the third
        lines = lines[:2] + [", ".join(lines[2:])]
    for tag, line in zip(("LineOne", "LineTwo", "LineThree"), lines):
        _el(addr, RAM, tag, line)
    if address.city:
        _el(addr, RAM, "CityName", address.city)
    if country:
        _el(addr, RAM, "CountryID", country)


def _party(parent: etree._Element, tag: str, party: Party) -> None:
    el = _el(parent, RAM, tag)
    _el(el, RAM, "Name", party.name)
    _address(el, party.address, party.country())
    if party.vat_id:
        _el(_el(el, RAM, "SpecifiedTaxRegistration"), RAM, "ID", party.vat_id, schemeID="VA")
    if party.tax_number:
        _el(_el(el, RAM, "SpecifiedTaxRegistration"), RAM, "ID", party.tax_number, schemeID="FC")


def build_cii(inv: Invoice) -> etree._Element:
    """The CII tree for a complete `inv` (call `missing_terms` first)."""
    from lxml import etree

    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, RSM, "ExchangedDocumentContext")
    _el(_el(context, RAM, "GuidelineSpecifiedDocumentContextParameter"), RAM, "ID", EN16931_GUIDELINE)
    header = _el(root, RSM, "ExchangedDocument")
    _el(header, RAM, "ID", inv.number)
    _el(header, RAM, "TypeCode", inv.type_code)
    assert inv.issue_date is not None
    holder = _el(header, RAM, "IssueDateTime")
    _el(holder, UDT, "DateTimeString", inv.issue_date.replace("-", ""), format="102")

    tx = _el(root, RSM, "SupplyChainTradeTransaction")
    for line in inv.lines:
        item = _el(tx, RAM, "IncludedSupplyChainTradeLineItem")
        _el(_el(item, RAM, "AssociatedDocumentLineDocument"), RAM, "LineID", line.line_id)
        product = _el(item, RAM, "SpecifiedTradeProduct")
        if line.article_number:
            _el(product, RAM, "SellerAssignedID", line.article_number)
        _el(product, RAM, "Name", line.name)
        price = _el(_el(item, RAM, "SpecifiedLineTradeAgreement"), RAM, "NetPriceProductTradePrice")
        _el(price, RAM, "ChargeAmount", line.net_price)
        _el(_el(item, RAM, "SpecifiedLineTradeDelivery"), RAM, "BilledQuantity", line.quantity, unitCode=line.unit or "C62")
        settlement = _el(item, RAM, "SpecifiedLineTradeSettlement")
        tax = _el(settlement, RAM, "ApplicableTradeTax")
        _el(tax, RAM, "TypeCode", "VAT")
        _el(tax, RAM, "CategoryCode", line.category)
        if line.rate is not None:
            _el(tax, RAM, "RateApplicablePercent", line.rate)
        _el(_el(settlement, RAM, "SpecifiedTradeSettlementLineMonetarySummation"), RAM, "LineTotalAmount", line.amount)

    agreement = _el(tx, RAM, "ApplicableHeaderTradeAgreement")
    _party(agreement, "SellerTradeParty", inv.seller)
    _party(agreement, "BuyerTradeParty", inv.buyer)
    if inv.purchase_order:
        _el(_el(agreement, RAM, "BuyerOrderReferencedDocument"), RAM, "IssuerAssignedID", inv.purchase_order)
    _el(tx, RAM, "ApplicableHeaderTradeDelivery")
    settlement = _el(tx, RAM, "ApplicableHeaderTradeSettlement")
    _el(settlement, RAM, "InvoiceCurrencyCode", inv.currency)
    if inv.iban or inv.bic:
        means = _el(settlement, RAM, "SpecifiedTradeSettlementPaymentMeans")
        _el(means, RAM, "TypeCode", PAYMENT_MEANS_SEPA if inv.iban else "1")
        if inv.iban:
            _el(_el(means, RAM, "PayeePartyCreditorFinancialAccount"), RAM, "IBANID", inv.iban)
        if inv.bic:
            _el(_el(means, RAM, "PayeeSpecifiedCreditorFinancialInstitution"), RAM, "BICID", inv.bic)
    for row in inv.vat_rows:
        tax = _el(settlement, RAM, "ApplicableTradeTax")
        _el(tax, RAM, "CalculatedAmount", row.tax)
        _el(tax, RAM, "TypeCode", "VAT")
        _el(tax, RAM, "BasisAmount", row.base)
        _el(tax, RAM, "CategoryCode", row.category)
        if row.rate is not None:
            _el(tax, RAM, "RateApplicablePercent", row.rate)
    if inv.payment_terms or inv.due_date:
        terms = _el(settlement, RAM, "SpecifiedTradePaymentTerms")
        if inv.payment_terms:
            _el(terms, RAM, "Description", inv.payment_terms)
        if inv.due_date:
            _date(terms, "DueDateDateTime", inv.due_date)
    money = _el(settlement, RAM, "SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(money, RAM, "LineTotalAmount", inv.line_total)
    _el(money, RAM, "TaxBasisTotalAmount", inv.tax_basis)
    if inv.tax_total is not None:
        _el(money, RAM, "TaxTotalAmount", inv.tax_total, currencyID=inv.currency or "")
    _el(money, RAM, "GrandTotalAmount", inv.grand_total)
    _el(money, RAM, "DuePayableAmount", inv.due_payable)
    return root


def export_cii(doc: Document) -> bytes:
    """EN 16931 CII XML for `doc`, XSD-valid; raises MissingBusinessTermsError or ExportError."""
    from lxml import etree

    inv = Invoice.from_document(doc)
    missing = missing_terms(inv)
    if missing:
        raise MissingBusinessTermsError(missing, "cii", source=doc.source)
    root = build_cii(inv)
    result = validate(root, "cii", "en16931")
    if not result.valid:
        raise ExportError(f"the CII written for {doc.source or 'this document'} fails the {result.schema} XSD: {result.detail}")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
