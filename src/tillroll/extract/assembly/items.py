"""Line items from the line-item labels."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ...document import LineItem, Word
from ...labels import AMOUNT, LINE_ITEM, QUANTITY, UNIT_PRICE
from ...normalize import find_amounts, format_amount, parse_quantity
from .common import _confidence, _join, _source


def build_line_items(lines: Sequence[Sequence[Word]]) -> list[LineItem]:
    """Items from line-item labels: descriptions accumulate until a row's amount closes the item."""
    items: list[LineItem] = []
    desc: list[Word] = []
    pending_numbers: list[Word] = []
    for line in lines:
        row_desc = [w for w in line if w.label == LINE_ITEM]
        amounts = [w for w in line if w.label == AMOUNT]
        numbers = [w for w in line if w.label in (QUANTITY, UNIT_PRICE)]
        desc += row_desc
        if not amounts:
            pending_numbers += numbers
            continue
        nums = pending_numbers + numbers
        quantity = next((w for w in nums if w.label == QUANTITY), None)
        unit = next((w for w in nums if w.label == UNIT_PRICE), None)
        amount_word = amounts[-1]
        amount = find_amounts(amount_word.text)
        q_text: str | None = None
        up_text: str | None = None
        if unit is not None:
            combined = re.match(r"^\s*(\d{1,3}(?:[.,]\d{1,3})?)\s?[xX*@]\s?(.+)$", unit.text)
            if combined:  # "2x6.50" is one word carrying both
                q = parse_quantity(combined.group(1))
                q_text = q.text if q else None
                u = find_amounts(combined.group(2))
                up_text = u[-1].text if u else None
            else:
                u = find_amounts(unit.text)
                up_text = u[-1].text if u else None
        if quantity is not None:
            q = parse_quantity(quantity.text)
            q_text = q.text if q else q_text
        words = [*desc, *([quantity] if quantity else []), *([unit] if unit else []), *amounts]
        items.append(
            LineItem(
                description=" ".join(_join(desc).split()) or None,
                quantity=q_text,
                unit_price=up_text,
                amount=format_amount(amount[-1].value) if amount else None,
                word_ids=[w.id for w in words],
                confidence=_confidence(words),
                source=_source(words),
            )
        )
        desc, pending_numbers = [], []
    return items
