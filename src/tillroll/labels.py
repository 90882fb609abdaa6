"""The one place where tillroll's label set, field names and dataset mappings live.

Every other module imports names from here instead of spelling them out, so a
label can be added (with its reason) in one edit.
"""

from __future__ import annotations

from typing import Final

# The paper's 12 word classes (Mifsud et al. 2025, section 3). Order matters: it is
# the index order of the classifier's output layer and of confusion matrices.
LABELS: Final[tuple[str, ...]] = (
    "shop_name",
    "address",
    "telephone",
    "vat_info",
    "date_time",
    "line_item",
    "unit_price",
    "quantity",
    "amount",
    "total",
    "vat_included",
    "misc",
)
LABEL_TO_ID: Final[dict[str, int]] = {label: i for i, label in enumerate(LABELS)}
MISC: Final[str] = "misc"
# One name per label, so code that emits labels (rules, the synthetic generator)
# refers to them without spelling strings; unpacking fails loudly if LABELS changes.
(
    SHOP_NAME,
    ADDRESS,
    TELEPHONE,
    VAT_INFO,
    DATE_TIME,
    LINE_ITEM,
    UNIT_PRICE,
    QUANTITY,
    AMOUNT,
    TOTAL,
    VAT_INCLUDED,
    _MISC_AGAIN,
) = LABELS
assert _MISC_AGAIN == MISC

# Labels that describe one column of the line-item table.
LINE_ITEM_LABELS: Final[frozenset[str]] = frozenset({"line_item", "unit_price", "quantity", "amount"})

# Where a word's label (or a field's value) came from.
LABEL_SOURCES: Final[tuple[str, ...]] = ("model", "rule", "human")

# Fields of the output schema (DESIGN.md, schema v1), in display order.
FIELD_NAMES: Final[tuple[str, ...]] = (
    "shop_name",
    "address",
    "telephone",
    "vat_info",
    "date",
    "time",
    "subtotal",
    "vat_included",
    "total",
)

# Invoice fields (schema v1, additive; DESIGN.md "Invoices"). On an invoice the
# receipt fields above keep their slots with an invoice meaning: shop_name, address
# and vat_info are the seller's, date is the invoice date, subtotal the net total,
# vat_included the tax total and total the gross total. These are the extra ones.
INVOICE_FIELD_NAMES: Final[tuple[str, ...]] = (
    "invoice_number",
    "due_date",
    "purchase_order",
    "buyer_name",
    "buyer_address",
    "buyer_vat_info",
    "iban",
    "bic",
    "currency",
    "amount_due",
    "payment_terms",
)
# Every field a schema-v1 document may carry, receipts' first.
ALL_FIELD_NAMES: Final[tuple[str, ...]] = FIELD_NAMES + INVOICE_FIELD_NAMES

# What kind of document a result describes. A credit note keeps the sign of its
# amounts as printed (they are usually negative).
DOCUMENT_TYPES: Final[tuple[str, ...]] = ("receipt", "invoice", "credit_note")
DEFAULT_DOCUMENT_TYPE: Final[str] = "receipt"

# Attributes of one row of `tax_breakdown` (one row per tax rate).
TAX_ROW_FIELDS: Final[tuple[str, ...]] = ("rate", "base", "tax")

# Where a field's value came from: the word labels' sources, plus a machine-readable
# invoice embedded in a PDF (Factur-X / ZUGFeRD) or given as a bare XML file.
FIELD_SOURCES: Final[tuple[str, ...]] = LABEL_SOURCES + ("embedded_xml", "xml")

# Line-item attributes of the output schema.
LINE_ITEM_FIELDS: Final[tuple[str, ...]] = ("description", "quantity", "unit_price", "amount")
# Columns an invoice's item table adds (schema v1, additive; absent on receipts).
INVOICE_LINE_ITEM_FIELDS: Final[tuple[str, ...]] = ("position", "article_number", "unit", "tax_rate", "discount")
ALL_LINE_ITEM_FIELDS: Final[tuple[str, ...]] = LINE_ITEM_FIELDS + INVOICE_LINE_ITEM_FIELDS

# Colours for overlays and the review UI (RGB), one per label; misc is grey so
# that the interesting words stand out.
LABEL_COLOURS: Final[dict[str, tuple[int, int, int]]] = {
    "shop_name": (230, 25, 75),
    "address": (60, 180, 75),
    "telephone": (0, 130, 200),
    "vat_info": (145, 30, 180),
    "date_time": (245, 130, 48),
    "line_item": (70, 240, 240),
    "unit_price": (240, 50, 230),
    "quantity": (210, 245, 60),
    "amount": (0, 128, 128),
    "total": (220, 0, 0),
    "vat_included": (170, 110, 40),
    "misc": (160, 160, 160),
}
UNLABELLED_COLOUR: Final[tuple[int, int, int]] = (90, 90, 255)

# SROIE task-3 entity keys -> word label. SROIE's `date` string often includes
# the time only by accident, so it maps to date_time like the paper's class.
SROIE_ENTITY_TO_LABEL: Final[dict[str, str]] = {
    "company": "shop_name",
    "address": "address",
    "date": "date_time",
    "total": "total",
}
# SROIE entity key -> output field it is scored against.
SROIE_ENTITY_TO_FIELD: Final[dict[str, str]] = {
    "company": "shop_name",
    "address": "address",
    "date": "date",
    "total": "total",
}

# WildReceipt class names (class_list.txt) -> word label. Keys (e.g. "Total_key")
# are printed words that announce a value; the paper labels such cue words with
# the value's class too (its "TOTAL 12.30" line is all `total`), except where
# that would make a price column look like an item, so *_key of line-item
# columns (table headers) stay misc. Subtotal and Tips have no class of their
# own in the 12-label set: a subtotal is an amount-like summary that the paper
# folds into misc, and so do we; the field assembler still finds subtotals by
# keyword rules.
WILDRECEIPT_CLASS_TO_LABEL: Final[dict[str, str]] = {
    "Ignore": MISC,
    "Store_name_value": "shop_name",
    "Store_name_key": MISC,
    "Store_addr_value": "address",
    "Store_addr_key": MISC,
    "Tel_value": "telephone",
    "Tel_key": "telephone",
    "Date_value": "date_time",
    "Date_key": MISC,
    "Time_value": "date_time",
    "Time_key": MISC,
    "Prod_item_value": "line_item",
    "Prod_item_key": MISC,
    "Prod_quantity_value": "quantity",
    "Prod_quantity_key": MISC,
    "Prod_price_value": "amount",
    "Prod_price_key": MISC,
    "Subtotal_value": MISC,
    "Subtotal_key": MISC,
    "Tax_value": "vat_included",
    "Tax_key": "vat_included",
    "Tips_value": MISC,
    "Tips_key": MISC,
    "Total_value": "total",
    "Total_key": "total",
    "Others": MISC,
}

# WildReceipt value classes -> output field, for field-level scoring.
WILDRECEIPT_CLASS_TO_FIELD: Final[dict[str, str]] = {
    "Store_name_value": "shop_name",
    "Store_addr_value": "address",
    "Tel_value": "telephone",
    "Date_value": "date",
    "Time_value": "time",
    "Subtotal_value": "subtotal",
    "Tax_value": "vat_included",
    "Total_value": "total",
}

# FUNSD entity labels. FUNSD is a forms dataset: it trains and scores the
# generic key-value extractor, not the 12 receipt labels, so everything maps to misc
# for word labelling and the question/answer structure is kept separately.
FUNSD_LABELS: Final[tuple[str, ...]] = ("question", "answer", "header", "other")


def check_label(label: str) -> str:
    """Return `label` if it is one of LABELS, else raise ValueError naming the valid ones."""
    if label not in LABEL_TO_ID:
        raise ValueError(f"unknown label {label!r}; expected one of: {', '.join(LABELS)}")
    return label
