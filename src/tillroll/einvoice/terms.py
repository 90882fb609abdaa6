"""EN 16931 business terms tillroll fills, where each comes from, and which are mandatory.

`TERMS` is the one table of BT numbers, names and tillroll sources (docs/einvoices.md
prints it); `missing_terms` lists the mandatory ones an `Invoice` lacks, so an export
can name them instead of writing a file that a receiver would reject.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Invoice


@dataclass(frozen=True)
class BusinessTerm:
    bt: str
    name: str
    source: str  # the tillroll field (or part of the result) it is filled from
    mandatory: bool = False


TERMS: tuple[BusinessTerm, ...] = (
    BusinessTerm("BT-1", "Invoice number", "invoice_number", True),
    BusinessTerm("BT-2", "Invoice issue date", "date", True),
    BusinessTerm("BT-3", "Invoice type code", "document_type (380 invoice, 381 credit note)", True),
    BusinessTerm("BT-5", "Invoice currency code", "currency, else the currency of the amount fields", True),
    BusinessTerm("BT-9", "Payment due date", "due_date"),
    BusinessTerm("BT-13", "Purchase order reference", "purchase_order"),
    BusinessTerm("BT-20", "Payment terms", "payment_terms"),
    BusinessTerm("BT-27", "Seller name", "shop_name", True),
    BusinessTerm("BT-31", "Seller VAT identifier", "vat_info (when it has a VAT id's form)"),
    BusinessTerm("BT-32", "Seller tax registration identifier", "vat_info (any other tax number)"),
    BusinessTerm("BT-35", "Seller address line 1", "address (the parts before postcode and city)"),
    BusinessTerm("BT-37", "Seller city", "address"),
    BusinessTerm("BT-38", "Seller post code", "address"),
    BusinessTerm("BT-40", "Seller country code", "address (a final 2-letter code), else the VAT id's prefix", True),
    BusinessTerm("BT-44", "Buyer name", "buyer_name", True),
    BusinessTerm("BT-48", "Buyer VAT identifier", "buyer_vat_info"),
    BusinessTerm("BT-50", "Buyer address line 1", "buyer_address"),
    BusinessTerm("BT-55", "Buyer country code", "buyer_address (a final 2-letter code), else the VAT id's prefix", True),
    BusinessTerm("BT-84", "Payment account identifier", "iban"),
    BusinessTerm("BT-86", "Payment service provider identifier", "bic"),
    BusinessTerm("BT-106", "Sum of Invoice line net amount", "sum of the line items' amounts", True),
    BusinessTerm("BT-109", "Invoice total amount without VAT", "subtotal, else total - vat_included", True),
    BusinessTerm("BT-110", "Invoice total VAT amount", "vat_included"),
    BusinessTerm("BT-112", "Invoice total amount with VAT", "total", True),
    BusinessTerm("BT-115", "Amount due for payment", "amount_due, else total", True),
    BusinessTerm("BG-23", "VAT breakdown", "tax_breakdown (one group per row)", True),
    BusinessTerm("BT-116", "VAT category taxable amount", "tax_breakdown[].base", True),
    BusinessTerm("BT-117", "VAT category tax amount", "tax_breakdown[].tax", True),
    BusinessTerm("BT-118", "VAT category code", "tax_breakdown[].category, else S (rate > 0) or Z (rate 0)", True),
    BusinessTerm("BT-119", "VAT category rate", "tax_breakdown[].rate"),
    BusinessTerm("BG-25", "Invoice line", "line_items (one per item)", True),
    BusinessTerm("BT-126", "Invoice line identifier", "line_items[].position, else the item's number", True),
    BusinessTerm("BT-129", "Invoiced quantity", "line_items[].quantity (1 for a line with one amount)", True),
    BusinessTerm("BT-130", "Invoiced quantity unit of measure code", "line_items[].unit as a UN/ECE Rec 20 code, else C62", True),
    BusinessTerm("BT-131", "Invoice line net amount", "line_items[].amount", True),
    BusinessTerm("BT-146", "Item net price", "line_items[].unit_price", True),
    BusinessTerm("BT-151", "Invoiced item VAT category code", "from line_items[].tax_rate, else the only tax row's", True),
    BusinessTerm("BT-152", "Invoiced item VAT rate", "line_items[].tax_rate, else the only tax row's"),
    BusinessTerm("BT-153", "Item name", "line_items[].description", True),
    BusinessTerm("BT-155", "Item Seller's identifier", "line_items[].article_number"),
)
BY_BT: dict[str, BusinessTerm] = {t.bt: t for t in TERMS}


def missing_terms(inv: Invoice) -> list[BusinessTerm]:
    """The mandatory business terms `inv` lacks, each listed once, in table order."""
    missing: set[str] = set()
    header = {
        "BT-1": inv.number,
        "BT-2": inv.issue_date,
        "BT-5": inv.currency,
        "BT-27": inv.seller.name,
        "BT-40": inv.seller.country(),
        "BT-44": inv.buyer.name,
        "BT-55": inv.buyer.country(),
        "BT-106": inv.line_total,
        "BT-109": inv.tax_basis,
        "BT-112": inv.grand_total,
        "BT-115": inv.due_payable,
    }
    missing.update(bt for bt, value in header.items() if not value)
    if not inv.vat_rows:
        missing.add("BG-23")
    for row in inv.vat_rows:
        for bt, value in (("BT-116", row.base), ("BT-117", row.tax), ("BT-118", row.category)):
            if not value:
                missing.add(bt)
    if not inv.lines:
        missing.add("BG-25")
    for line in inv.lines:
        for bt, value in (
            ("BT-129", line.quantity),
            ("BT-131", line.amount),
            ("BT-146", line.net_price),
            ("BT-151", line.category),
            ("BT-153", line.name),
        ):
            if not value:
                missing.add(bt)
    return [t for t in TERMS if t.bt in missing]
