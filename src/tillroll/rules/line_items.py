"""Line-item extraction (paper 6.3): find the item table and label its columns.

The table is the block between the header (address, date, column titles) and
the first total/subtotal line. Inside it a row is *priced* when its right-most
word is a money amount printed in the right part of the page; rows without a
price that sit between priced rows are descriptions printed on their own line
(the "description above, numbers below" layout). Rows naming taxes, payments
or totals are excluded, so a VAT summary printed as a table is not read as
items.

Numbers in a priced row are classified by content and position: the right-most
amount is the line amount, another money amount to its left the unit price,
a small whole number (or a weight) the quantity; when the table has column
titles (QTY, PRICE, AMOUNT...) a number printed under a title takes that
title's class. "2 x 6.50" and "2x6.50" both give quantity 2 and unit price 6.50.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..document import Word
from ..labels import AMOUNT, LINE_ITEM, QUANTITY, TOTAL, UNIT_PRICE
from .patterns import TOTAL_KEYWORDS, RuleMatch, fix_letters

LINE_ITEM_CONFIDENCE = 0.6

_MONEY = re.compile(r"^[-(]?(?:[A-Z]{1,3}\$?|[$€£])?\s?\d{1,6}[.,]\d{2}\)?-?[A-Z*]{0,2}$", re.IGNORECASE)
_QTY = re.compile(r"^(?:[xX]?\d{1,3}(?:[.,]\d{1,3})?[xX*]?|\d{1,3}(?:[.,]\d{1,3})?(?:PCS?|KG|G|L|UNITS?)\.?)$", re.IGNORECASE)
_LEADING_COUNT = re.compile(r"^(?:\d{1,2}|\d{1,2}[xX@]|[xX]\d{1,2})$")
_TIMES = re.compile(r"^[xX*@]$")
_COMBINED = re.compile(r"^(\d{1,3}(?:[.,]\d{1,3})?)\s?[xX*@]\s?(\d{1,6}[.,]\d{2})$")
# A row with one of these is not an item, however tabular it looks.
NOT_ITEM = re.compile(
    r"(?<![A-Z])(?:SUB\s*TOTAL|TOTAL|TOTAL\w*|GST|VAT|SST|TAX|CASH|CHANGE|ROUND\w*|BALANCE|PAYMENT|PAID|TENDER\w*|VISA|MASTER\w*"
    r"|CARD|CREDIT|DEBIT|AMEX|DUE|SERVICE\s*CHARGE|SVC|TIPS?|GRATUITY|POINTS?|SAVINGS?|YOU\s*SAVED|ITEM\(?S\)?\s*:|QTY\s*:|NETT|DEPOSIT"
    r"|SUMMARY|AMOUNT\s*\(RM\)|TOTAL\s*QTY|NO\.?\s*OF\s*ITEMS?)(?![A-Z])"
)
HEADER_TITLES = {
    QUANTITY: re.compile(r"^(?:QTY\.?|QUANTITY|QTE|PCS|UNITS?|Q'?TY|KUANTITI)$", re.IGNORECASE),
    UNIT_PRICE: re.compile(r"^(?:PRICE|U\.?\s?PRICE|U/PRICE|S/PRICE|UNIT\s?PRICE|RATE|@|HARGA|PRICE\(RM\)|UNIT|U/P)$", re.IGNORECASE),
    AMOUNT: re.compile(r"^(?:AMOUNT|AMT|AMT\(RM\)|AMOUNT\(RM\)|TOTAL|TOTAL\(RM\)|JUMLAH|RM|SUM|VALUE)$", re.IGNORECASE),
}
_TAX_CODE = re.compile(r"^(?:SR|ZR|S|Z|T|E|N|X|A|B|C|D|TX|ZRL|\*)$", re.IGNORECASE)


@dataclass
class ItemRow:
    """One item: description words (possibly from the lines above) and its numbers."""

    description: list[int] = field(default_factory=list)
    quantity: list[int] = field(default_factory=list)
    unit_price: list[int] = field(default_factory=list)
    amount: list[int] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


@dataclass
class LineItemTable:
    start: int
    end: int
    rows: list[ItemRow]
    labels: dict[int, str]  # word id -> line-item label


def _is_money(w: Word) -> bool:
    return bool(_MONEY.match(w.text.replace(" ", "")))


def _is_title_or_currency(text: str) -> bool:
    t = text.strip(":()")
    return any(rx.match(t) for rx in HEADER_TITLES.values()) or t.upper() in {"RM", "EUR", "USD", "$", "€", "£", "DISC", "CODE", "DESC", "ITEM", "ITEMS"}


def _line_text(line: Sequence[Word]) -> str:
    return " ".join([w.text for w in line])


def _column_titles(line: Sequence[Word]) -> dict[str, list[Word]]:
    found: dict[str, list[Word]] = {}
    for w in line:
        for label, rx in HEADER_TITLES.items():
            if rx.match(w.text.strip(":")):
                found.setdefault(label, []).append(w)
    return found


def find_table(lines: Sequence[Sequence[Word]], page_width: float, matches: Sequence[RuleMatch], header_end: int) -> LineItemTable | None:
    """Locate the item table and label its words; None when the receipt has no priced rows."""
    total_ids = {wid for m in matches if m.label == TOTAL for wid in m.word_ids}
    total_lines = {i for i, line in enumerate(lines) if any(w.id in total_ids for w in line)} if total_ids else set()
    titles: dict[str, list[Word]] = {}
    start = header_end
    for i in range(header_end, min(len(lines), header_end + 8)):
        t = _column_titles(lines[i])
        if len(t) >= 2 or (t and re.search(r"(?i)\b(?:ITEM|DESC\w*|DESCRIPTION|PRODUCT)\b", _line_text(lines[i]))):
            titles, start = t, i + 1
            break
    end = len(lines)
    for i in range(start, len(lines)):
        upper = fix_letters(_line_text(lines[i]).upper())
        if i in total_lines or TOTAL_KEYWORDS.search(upper) or re.search(r"(?<![A-Z])SUB\s*-?\s*TOTAL", upper):
            end = i
            break
    rows: list[ItemRow] = []
    labels: dict[int, str] = {}
    pending_description: list[int] = []
    pending_lines: list[int] = []
    right_zone = 0.55 * page_width
    for i in range(start, end):
        line = lines[i]
        text = fix_letters(_line_text(line).upper())
        if NOT_ITEM.search(text):
            pending_description, pending_lines = [], []
            continue
        words = list(line)
        # Trailing tax codes ("SR", "ZR") sit right of the amount; they are not part of the item.
        while words and _TAX_CODE.match(words[-1].text) and len(words) > 1 and _is_money(words[-2]):
            words = words[:-1]
        priced = bool(words) and _is_money(words[-1]) and words[-1].cx >= right_zone
        if not priced:
            if all(_is_title_or_currency(w.text) for w in words):
                continue  # a second row of column titles ("QTY  RM  RM")
            if sum(c.isalpha() for c in text) >= 2:
                pending_description += [w.id for w in words]
                pending_lines.append(i)
                if len(pending_lines) > 3:  # a long run of prose is not an item description
                    pending_description, pending_lines = pending_description[-len(words) :], pending_lines[-1:]
            continue
        row = ItemRow(lines=[*pending_lines, i])
        row.amount.append(words[-1].id)
        numbers_left: list[Word] = []
        desc: list[int] = []
        for k, w in enumerate(words[:-1]):
            # "2 x 3.50": a count right before a multiplication sign is the quantity, wherever it is printed;
            # "1 Pancakes 8.99": a one- or two-digit count opening a row before its description is one too.
            leading_count = k == 0 and _LEADING_COUNT.match(w.text) and any(c.isalpha() for x in words[1:-1] for c in x.text)
            if not row.quantity and (leading_count or (_QTY.match(w.text) and k + 1 < len(words) - 1 and _TIMES.match(words[k + 1].text))):
                row.quantity.append(w.id)
                continue
            combined = _COMBINED.match(w.text.replace(" ", ""))
            if combined:
                row.unit_price.append(w.id)  # one word cannot carry two labels; the assembler splits it
                continue
            if _TIMES.match(w.text):
                continue
            if _is_money(w) or _QTY.match(w.text):
                numbers_left.append(w)
            else:
                desc.append(w.id)
        # Numbers printed under a column title take its class; the rest by content, right to left.
        for w in reversed(numbers_left):
            by_title = next(
                (lab for lab, ws in titles.items() for t in ws if min(w.x1, t.x1) - max(w.x0, t.x0) > 0.3 * min(w.width, t.width)),
                None,
            )
            if by_title == AMOUNT:
                by_title = UNIT_PRICE if not row.unit_price else None  # the amount is already the right-most number
            if by_title == UNIT_PRICE and not row.unit_price:
                row.unit_price.append(w.id)
            elif by_title == QUANTITY and not row.quantity:
                row.quantity.append(w.id)
            elif _is_money(w) and not row.unit_price and not by_title:
                row.unit_price.append(w.id)
            elif _QTY.match(w.text) and not row.quantity and w.cx > (words[0].x0 + 0.15 * page_width if desc else 0):
                row.quantity.append(w.id)
            else:
                desc.append(w.id)  # a product code or a number inside the name
        row.description = pending_description + sorted(desc, key=lambda wid: next(x.x0 for x in words if x.id == wid))
        pending_description, pending_lines = [], []
        rows.append(row)
        for wid in row.description:
            labels[wid] = LINE_ITEM
        for wid in row.quantity:
            labels[wid] = QUANTITY
        for wid in row.unit_price:
            labels[wid] = UNIT_PRICE
        for wid in row.amount:
            labels[wid] = AMOUNT
    if not rows:
        return None
    return LineItemTable(start, end, rows, labels)
