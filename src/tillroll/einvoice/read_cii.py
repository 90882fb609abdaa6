"""Read a UN/CEFACT Cross Industry Invoice into an `Invoice`.

One reader covers Factur-X / ZUGFeRD 2.x / XRechnung CII (CrossIndustryInvoice:100),
ZUGFeRD 1.x (CrossIndustryDocument:invoice:1p0) and the 2014 pre-release draft
(CBFBUY:5, no element namespaces). The tree is read with namespaces stripped, and where
the versions renamed an element both names are listed (2.x first).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from .base import cii_date, decimal_text, first, strip_namespaces, text
from .model import Address, Invoice, Line, Party, VatRow

if TYPE_CHECKING:  # pragma: no cover
    from lxml import etree

CII_ROOTS = ("CrossIndustryInvoice", "CrossIndustryDocument", "Invoice")

_HEADER = ("ExchangedDocument", "HeaderExchangedDocument")
_TRANSACTION = ("SupplyChainTradeTransaction", "SpecifiedSupplyChainTradeTransaction")
_AGREEMENT = ("ApplicableHeaderTradeAgreement", "ApplicableSupplyChainTradeAgreement")
_SETTLEMENT = ("ApplicableHeaderTradeSettlement", "ApplicableSupplyChainTradeSettlement")
_SUMMATION = ("SpecifiedTradeSettlementHeaderMonetarySummation", "SpecifiedTradeSettlementMonetarySummation")


def is_cii(root: etree._Element) -> bool:
    """A CII invoice root: the known root names with an exchanged-document header below."""
    from lxml import etree

    name = etree.QName(root).localname
    if name not in CII_ROOTS:
        return False
    ns = etree.QName(root).namespace or ""
    if name == "Invoice" and ns and "uncefact" not in ns:
        return False  # a UBL Invoice
    return any(etree.QName(child).localname in _HEADER for child in root if isinstance(child.tag, str))


def _date(el: etree._Element | None) -> str | None:
    """A CII date element: DateTimeString child (1.x/2.x) or the element's own text (draft)."""
    if el is None:
        return None
    inner = el.find("DateTimeString")
    target = inner if inner is not None else el
    return cii_date(target.text, target.get("format"))


def _party(el: etree._Element | None) -> Party:
    party = Party()
    if el is None:
        return party
    party.name = text(el, "Name", "SpecifiedLegalOrganization/TradingBusinessName")
    for reg in el.iterfind("SpecifiedTaxRegistration/ID"):
        value = (reg.text or "").strip()
        if not value:
            continue
        if reg.get("schemeID") == "VA" and party.vat_id is None:
            party.vat_id = value
        elif reg.get("schemeID") != "VA" and party.tax_number is None:
            party.tax_number = value
    addr = el.find("PostalTradeAddress")
    if addr is not None:
        party.address = Address(
            lines=[v for v in (text(addr, "LineOne"), text(addr, "LineTwo"), text(addr, "LineThree")) if v],
            postcode=text(addr, "PostcodeCode"),
            city=text(addr, "CityName"),
            country=text(addr, "CountryID"),
        )
    return party


def _amount_in(el: etree._Element | None, name: str, currency: str | None) -> str | None:
    """An amount element; where several are given (tax total in two currencies) the invoice currency's."""
    if el is None:
        return None
    hits = [h for h in el.iterfind(name) if (h.text or "").strip()]
    if not hits:
        return None
    chosen = next((h for h in hits if currency and h.get("currencyID") == currency), hits[0])
    return decimal_text(chosen.text)


def _charges_less_allowances(settlement: etree._Element | None) -> str | None:
    """BG-28 minus BG-27 of one line: its SpecifiedTradeAllowanceCharge elements, charges counted up.

    None when the line states none, so a reader can tell "no adjustment" from "adjusted to zero".
    """
    if settlement is None:
        return None
    total: Decimal | None = None
    for charge in settlement.iterfind("SpecifiedTradeAllowanceCharge"):
        amount = decimal_text(text(charge, "ActualAmount"))
        if amount is None:
            continue
        is_charge = (text(charge, "ChargeIndicator/Indicator") or "").lower() == "true"
        total = (total or Decimal(0)) + (Decimal(amount) if is_charge else -Decimal(amount))
    return None if total is None else str(total)


def read_cii(root: etree._Element) -> Invoice:
    tree = strip_namespaces(root)
    inv = Invoice(syntax="CII")
    context = first(tree, "ExchangedDocumentContext", "SpecifiedExchangedDocumentContext")
    inv.guideline = text(context, "GuidelineSpecifiedDocumentContextParameter/ID")
    header = first(tree, *_HEADER)
    inv.number = text(header, "ID")
    inv.type_code = text(header, "TypeCode") or "380"
    inv.issue_date = _date(first(header, "IssueDateTime"))

    tx = first(tree, *_TRANSACTION)
    agreement = first(tx, *_AGREEMENT)
    settlement = first(tx, *_SETTLEMENT)
    inv.seller = _party(first(agreement, "SellerTradeParty"))
    inv.buyer = _party(first(agreement, "BuyerTradeParty"))
    inv.purchase_order = text(agreement, "BuyerOrderReferencedDocument/IssuerAssignedID", "BuyerOrderReferencedDocument/ID")

    inv.currency = text(settlement, "InvoiceCurrencyCode")
    means = "SpecifiedTradeSettlementPaymentMeans"
    inv.iban = text(settlement, f"{means}/PayeePartyCreditorFinancialAccount/IBANID")
    inv.bic = text(settlement, f"{means}/PayeeSpecifiedCreditorFinancialInstitution/BICID")
    terms = first(settlement, "SpecifiedTradePaymentTerms")
    inv.payment_terms = text(terms, "Description")
    inv.due_date = _date(first(terms, "DueDateDateTime"))
    for tax in settlement.iterfind("ApplicableTradeTax") if settlement is not None else ():
        inv.vat_rows.append(
            VatRow(
                category=text(tax, "CategoryCode"),
                rate=decimal_text(text(tax, "RateApplicablePercent", "ApplicablePercent")),
                base=decimal_text(text(tax, "BasisAmount")),
                tax=decimal_text(text(tax, "CalculatedAmount")),
            )
        )
    summation = first(settlement, *_SUMMATION)
    if inv.currency is None and summation is not None:
        # An empty InvoiceCurrencyCode (some ZUGFeRD 1.x generators) while the totals carry currencyID:
        # the XML still states the currency, on the amounts.
        inv.currency = next((c for el in summation if (c := (el.get("currencyID") or "").strip())), None)
    inv.line_total = _amount_in(summation, "LineTotalAmount", inv.currency)
    inv.tax_basis = _amount_in(summation, "TaxBasisTotalAmount", inv.currency)
    inv.tax_total = _amount_in(summation, "TaxTotalAmount", inv.currency)
    inv.grand_total = _amount_in(summation, "GrandTotalAmount", inv.currency)
    inv.due_payable = _amount_in(summation, "DuePayableAmount", inv.currency)

    for item in tx.iterfind("IncludedSupplyChainTradeLineItem") if tx is not None else ():
        product = first(item, "SpecifiedTradeProduct")
        trade = first(item, "SpecifiedLineTradeAgreement", "SpecifiedSupplyChainTradeAgreement")
        delivery = first(item, "SpecifiedLineTradeDelivery", "SpecifiedSupplyChainTradeDelivery")
        line_settlement = first(item, "SpecifiedLineTradeSettlement", "SpecifiedSupplyChainTradeSettlement")
        quantity = first(delivery, "BilledQuantity")
        line_tax = first(line_settlement, "ApplicableTradeTax")
        inv.lines.append(
            Line(
                line_id=text(item, "AssociatedDocumentLineDocument/LineID"),
                name=text(product, "Name"),
                article_number=text(product, "SellerAssignedID", "GlobalID", "BuyerAssignedID"),
                quantity=decimal_text(quantity.text) if quantity is not None else None,
                unit=quantity.get("unitCode") if quantity is not None else None,
                net_price=decimal_text(text(trade, "NetPriceProductTradePrice/ChargeAmount")),
                price_base_quantity=decimal_text(text(trade, "NetPriceProductTradePrice/BasisQuantity")),
                charges_less_allowances=_charges_less_allowances(line_settlement),
                amount=decimal_text(
                    text(
                        line_settlement,
                        "SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount",
                        "SpecifiedTradeSettlementMonetarySummation/LineTotalAmount",
                    )
                ),
                category=text(line_tax, "CategoryCode"),
                rate=decimal_text(text(line_tax, "RateApplicablePercent", "ApplicablePercent")),
            )
        )
    return inv
