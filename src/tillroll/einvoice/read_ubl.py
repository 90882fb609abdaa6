"""Read an OASIS UBL 2.1 Invoice or CreditNote (PEPPOL BIS Billing 3.0, XRechnung UBL) into an `Invoice`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import decimal_text, first, iso_date, strip_namespaces, text
from .model import Address, Invoice, Line, Party, VatRow

if TYPE_CHECKING:  # pragma: no cover
    from lxml import etree

UBL_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"


def is_ubl(root: etree._Element) -> bool:
    from lxml import etree

    q = etree.QName(root)
    return (q.localname, q.namespace) in (("Invoice", UBL_INVOICE_NS), ("CreditNote", UBL_CREDIT_NOTE_NS))


def _party(el: etree._Element | None) -> Party:
    party = Party()
    if el is None:
        return party
    party.name = text(el, "PartyLegalEntity/RegistrationName", "PartyName/Name")
    for scheme in el.iterfind("PartyTaxScheme"):
        value = text(scheme, "CompanyID")
        if not value:
            continue
        if text(scheme, "TaxScheme/ID") == "VAT" and party.vat_id is None:
            party.vat_id = value
        elif party.tax_number is None:
            party.tax_number = value
    addr = el.find("PostalAddress")
    if addr is not None:
        party.address = Address(
            lines=[v for v in (text(addr, "StreetName"), text(addr, "AdditionalStreetName"), text(addr, "AddressLine/Line")) if v],
            postcode=text(addr, "PostalZone"),
            city=text(addr, "CityName"),
            country=text(addr, "Country/IdentificationCode"),
        )
    return party


def read_ubl(root: etree._Element) -> Invoice:
    from lxml import etree

    credit = etree.QName(root).localname == "CreditNote"
    tree = strip_namespaces(root)
    inv = Invoice(syntax="UBL")
    inv.guideline = text(tree, "CustomizationID")
    inv.number = text(tree, "ID")
    inv.issue_date = iso_date(text(tree, "IssueDate"))
    inv.type_code = text(tree, "CreditNoteTypeCode" if credit else "InvoiceTypeCode") or ("381" if credit else "380")
    inv.currency = text(tree, "DocumentCurrencyCode")
    inv.due_date = iso_date(text(tree, "DueDate", "PaymentMeans/PaymentDueDate"))
    inv.purchase_order = text(tree, "OrderReference/ID")
    inv.payment_terms = text(tree, "PaymentTerms/Note")
    inv.seller = _party(first(tree, "AccountingSupplierParty/Party"))
    inv.buyer = _party(first(tree, "AccountingCustomerParty/Party"))
    inv.iban = text(tree, "PaymentMeans/PayeeFinancialAccount/ID")
    inv.bic = text(tree, "PaymentMeans/PayeeFinancialAccount/FinancialInstitutionBranch/ID")
    totals = list(tree.iterfind("TaxTotal"))
    # BT-110 is the TaxTotal in the document currency (a second one may give BT-111 in the accounting currency).
    main = next((t for t in totals if t.find("TaxSubtotal") is not None), totals[0] if totals else None)
    inv.tax_total = decimal_text(text(main, "TaxAmount"))
    for sub in main.iterfind("TaxSubtotal") if main is not None else ():
        inv.vat_rows.append(
            VatRow(
                category=text(sub, "TaxCategory/ID"),
                rate=decimal_text(text(sub, "TaxCategory/Percent")),
                base=decimal_text(text(sub, "TaxableAmount")),
                tax=decimal_text(text(sub, "TaxAmount")),
            )
        )
    money = tree.find("LegalMonetaryTotal")
    inv.line_total = decimal_text(text(money, "LineExtensionAmount"))
    inv.tax_basis = decimal_text(text(money, "TaxExclusiveAmount"))
    inv.grand_total = decimal_text(text(money, "TaxInclusiveAmount"))
    inv.due_payable = decimal_text(text(money, "PayableAmount"))
    for item in tree.iterfind("CreditNoteLine" if credit else "InvoiceLine"):
        quantity = first(item, "CreditedQuantity", "InvoicedQuantity")
        inv.lines.append(
            Line(
                line_id=text(item, "ID"),
                name=text(item, "Item/Name"),
                article_number=text(item, "Item/SellersItemIdentification/ID", "Item/StandardItemIdentification/ID"),
                quantity=decimal_text(quantity.text) if quantity is not None else None,
                unit=quantity.get("unitCode") if quantity is not None else None,
                net_price=decimal_text(text(item, "Price/PriceAmount")),
                amount=decimal_text(text(item, "LineExtensionAmount")),
                category=text(item, "Item/ClassifiedTaxCategory/ID"),
                rate=decimal_text(text(item, "Item/ClassifiedTaxCategory/Percent")),
            )
        )
    return inv
