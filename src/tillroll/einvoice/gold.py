"""Gold version 2 of the e-invoice dataset: line amounts as the line net amount (EN 16931 BT-131).

`tillroll.io.datasets.einvoices` yields each PDF's record as gt.jsonl gives it
(version 1). Some of those records copied a ZUGFeRD 1.0 XML that states each
line's *gross* in the element for the line net amount, while the page prints,
and tillroll's schema means, the net. Fixing that needs the XML read, which
is this package's job and a layer above the dataset readers, so the evaluator
calls `apply_gold_version` on every e-invoice example it scores.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from ..io.datasets.einvoices import GOLD_VERSION, amounts_not_printed
from .base import EInvoiceError, parse_xml
from .line_amounts import computed_net_amount, gross_stated_as_net
from .read import pdf_attachments
from .read_cii import is_cii, read_cii
from .read_ubl import is_ubl, read_ubl

if TYPE_CHECKING:  # pragma: no cover
    from ..document import Document
    from ..io.datasets.base import Example


def _decimal(value: str | None) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except ArithmeticError:
        return None


def _letters(text: str | None) -> str:
    return "".join(ch for ch in (text or "").casefold() if ch.isalnum())


def net_line_amount_gold(reference: Document, xml: bytes) -> list[int]:
    """Give the gold items whose amount the XML stated gross their net amount (BT-131); return their indices.

    A gold item is matched to the XML line it was taken from by the stated amount,
    the quantity and the item name (the record's description starts with it); an
    item with no such line, or an XML tillroll cannot read, is left as it is.
    """
    try:
        root = parse_xml(xml)
    except EInvoiceError:
        return []
    if is_cii(root):
        inv = read_cii(root)
    elif is_ubl(root):
        inv = read_ubl(root)
    else:
        return []
    gross = [inv.lines[i] for i in gross_stated_as_net(inv)]
    changed: list[int] = []
    for i, item in enumerate(reference.line_items):
        amount, quantity = _decimal(item.amount), _decimal(item.quantity)
        for line in gross:
            net = computed_net_amount(line)
            if (
                net is not None
                and amount == _decimal(line.amount)
                and quantity == _decimal(line.quantity)
                and _letters(item.description).startswith(_letters(line.name))
            ):
                item.amount = str(net)
                gross.remove(line)
                changed.append(i)
                break
    return changed


def apply_gold_version(example: Example) -> Example:
    """Bring one e-invoice example's gold to GOLD_VERSION (in place) and list its unprinted amounts.

    Sets `reference.meta["line_amounts_net_from_xml"]` (items whose amount was
    replaced), `["amounts_not_printed"]` (items and tax rows whose amount the PDF
    prints nowhere, on the amended gold) and `["gold_version"]`. Idempotent.
    """
    reference = example.reference
    if reference.meta.get("gold_version") == GOLD_VERSION:
        return example
    pdf = Path(reference.source or "")
    if not pdf.is_file():
        return example
    if reference.line_items:
        attachments = pdf_attachments(pdf.read_bytes())
        if attachments:
            reference.meta["line_amounts_net_from_xml"] = net_line_amount_gold(reference, attachments[0][1])
    if reference.line_items or reference.tax_breakdown:
        reference.meta["amounts_not_printed"] = amounts_not_printed(reference, pdf)
    reference.meta["gold_version"] = GOLD_VERSION
    return example
