"""Line items from the line-item labels, one printed row at a time.

A receipt prints one item per row, and the row's words carry the item's columns:
description, quantity, unit price and amount. Two layouts spread an item over
more than one row, and both are read here:

* "description above, numbers below": a row with the description and no amount,
  then a row with the numbers and no description ("2 x 6.50   13.00") or with
  the amount alone (a price column that the OCR read as its own line);
* a description continued on the next row, printed *indented* under the first
  one and without a quantity of its own.

Any other row with description words starts an item of its own (WildReceipt
annotates one product per printed row, and a second name under the first is a
second product far more often than a wrapped one). A description row whose
price never comes (a dish printed without one, or a price the OCR lost) is still
an item, without an amount, when the next row starts another item inside the
item table; above the first priced item, or with nothing following within
`_MAX_GAP` rows, it is a heading and no item. Numbers with no description row
above them make no item. Rows are the OCR's text lines, except that a price column
the OCR grouped with the neighbouring lines is paired with the names again by
geometry (`_realign_amounts`).

The classifier often labels only the middle of a name: unlabelled words that
touch the description on its row (no column gap between) join it. A leading
article number ("134991 ORGANIC PASTA") moves from the description to
`article_number`; a price labelled as part of the name ends it. A discount
printed alone under an item ("-1.25") is that item's `discount`; a discount row
with its own wording ("20% OFF  9.37-") is an item of its own and never continues
the item above. Every item keeps the ids of the words it was read from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ...document import LineItem, Word
from ...labels import AMOUNT, LINE_ITEM, MISC, QUANTITY, UNIT_PRICE
from ...normalize import find_amounts, format_amount, parse_quantity
from .common import _confidence, _join, _source

# A description row waits at most this many rows for its numbers: "description above,
# numbers below" puts them on the very next row, and a gap of one allows a row the OCR
# split off (a tax code, a dotted leader) in between.
_MAX_GAP = 2
# A price and a name pair up across OCR lines only when they overlap this much vertically
# (share of the lower one's height).
_ROW_OVERLAP = 0.6
# "2x6.50" / "2 @ 6.50": one word carrying quantity and unit price.
_QTY_TIMES_PRICE = re.compile(r"^\s*(\d{1,3}(?:[.,]\d{1,3})?)\s?[xX*@]\s?(.+)$")
# An article number (SKU, PLU, EAN) opening a description: digits only, at least four
# of them, so a count ("2 Pizza") or a size ("330ml Coke") stays in the description.
_ARTICLE_NUMBER = re.compile(r"^\d{4,14}$")
# Words that make a row a discount or a voided item rather than something bought.
DISCOUNT_WORDS = re.compile(r"(?<![A-Z])(?:DISC\w*|VOUCHER|COUPON|PROMO\w*|SAVINGS?|OFFER|REDUCTION|MARKDOWN|VOID\w*|REFUND\w*)(?![A-Z])")
# A money amount with cents ("157.40", "$2.99", "S1.30": a dollar sign read as S).
_MONEY_WORD = re.compile(r"^[-(]?[$€£S]?\d{1,6}[.,]\d{2}\)?-?$")
# Unlabelled words this close to a description (in text heights) are part of the name.
_NAME_GAP = 1.0
# A word that may extend a name: two letters or digits at least (a lone "T" or "E" beside a
# name is a tax flag) and not a bare code of five digits or more (a barcode printed after it).
_NAME_PART = re.compile(r"^(?=(?:\W*\w){2})(?!\W*\d{5,}\W*$)")
# A price with a tax code glued on as a third decimal ("12,901" for "12,90 1").
_GLUED_CODE = re.compile(r"^(.*\d[.,]\d{2})\d$")
# The decimals of an amount word, to tell the receipt's price format.
_DECIMALS = re.compile(r"\d[.,](\d+)\W*$")
# An amount printed in two OCR words, whole part and cents ("7 30" for 7,30).
_CENTS = re.compile(r"^\d{2}$")
_WHOLE = re.compile(r"^[-$€£]?\d{1,5}$")


@dataclass
class _Row:
    """The line-item words of one printed row."""

    index: int
    description: list[Word]
    numbers: list[Word]  # quantity and unit-price words
    amounts: list[Word]

    @property
    def left(self) -> float:
        return min(w.x0 for w in self.description) if self.description else 0.0

    @property
    def height(self) -> float:
        words = self.description or self.numbers or self.amounts
        return max((w.y1 - w.y0 for w in words), default=0.0)

    @property
    def opens_with_quantity(self) -> bool:
        """Whether a quantity is printed before the description ("2 Pizza"): the mark of a new item."""
        first = min(self.description, key=lambda w: w.x0, default=None)
        return first is not None and any(w.label == QUANTITY and w.x0 < first.x0 for w in self.numbers)


@dataclass
class _OpenItem:
    """An item whose description has been read and whose amount is still to come."""

    rows: list[_Row] = field(default_factory=list)
    numbers: list[Word] = field(default_factory=list)

    @property
    def last(self) -> int:
        return self.rows[-1].index

    @property
    def description(self) -> list[Word]:
        return [w for row in self.rows for w in row.description]


def _extend_name(line: Sequence[Word], desc: list[Word]) -> list[Word]:
    """The description words of a row with the unlabelled words that touch them on either side.

    The classifier often labels the middle of a product name and leaves its ends
    ("TRADITIONAL [REFRIED BEANS]", "[Kettle One] (2@11.00)"): words printed right
    next to the name, with no column gap between, belong to it. The run stops at any
    labelled word (a quantity, a price) and at a gap wider than `_NAME_GAP` heights.
    """
    if not desc:
        return desc
    ordered = sorted(line, key=lambda w: w.x0)
    taken = {id(w) for w in desc}
    first = min(i for i, w in enumerate(ordered) if id(w) in taken)
    last = max(i for i, w in enumerate(ordered) if id(w) in taken)
    height = max(w.y1 - w.y0 for w in desc)

    def joins(w: Word, neighbour: Word) -> bool:
        gap = max(w.x0 - neighbour.x1, neighbour.x0 - w.x1)
        return w.label in (None, MISC) and _NAME_PART.match(w.text) is not None and not _MONEY_WORD.match(w.text) and gap < _NAME_GAP * height

    while first > 0 and joins(ordered[first - 1], ordered[first]):
        first -= 1
    while last + 1 < len(ordered) and joins(ordered[last + 1], ordered[last]):
        last += 1
    return [w for w in ordered[first : last + 1] if id(w) in taken or w.label in (None, MISC)]


def _rows(lines: Sequence[Sequence[Word]]) -> list[_Row]:
    rows = []
    for i, line in enumerate(lines):
        desc = _extend_name(line, [w for w in line if w.label == LINE_ITEM])
        numbers = [w for w in line if w.label in (QUANTITY, UNIT_PRICE)]
        amounts = [w for w in line if w.label == AMOUNT]
        if desc or numbers or amounts:
            rows.append(_Row(i, desc, numbers, amounts))
    return _realign_amounts(rows)


def _overlap(a: Sequence[Word], b: Sequence[Word]) -> float:
    """Vertical overlap of two groups of words, as a share of the lower group's height."""
    a0, a1 = min(w.y0 for w in a), max(w.y1 for w in a)
    b0, b1 = min(w.y0 for w in b), max(w.y1 for w in b)
    return max(0.0, min(a1, b1) - max(a0, b0)) / max(min(a1 - a0, b1 - b0), 1.0)


def _realign_amounts(rows: list[_Row]) -> list[_Row]:
    """Pair the amount column with the description rows by geometry when the OCR's lines did not.

    On a photo of a curled or tilted receipt the OCR can group a price with the text
    line above or below its own ("York £6.95" / "Cajun Chix WRAP £6.25" / ...), which
    shifts every price of the column by one item. The prices and the names are both
    read top to bottom, so they are paired again as an order-keeping one-to-one match,
    pairing only a price and a name that overlap vertically by `_ROW_OVERLAP`: the match
    that pairs the most prices with names wins (the most overlap breaks ties). It
    replaces the OCR's pairing only when it pairs more of them.
    """
    names = [r for r in rows if r.description]
    prices = [r for r in rows if r.amounts]
    if not names or not prices:
        return rows
    same_line = sum(1 for r in prices if r.description)
    n, m = len(names), len(prices)
    # best[i][j]: (pairs, overlap) of the best match among the first i names and j prices.
    best = [[(0, 0.0)] * (m + 1) for _ in range(n + 1)]
    move = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            options = [(best[i - 1][j], 1), (best[i][j - 1], 2)]
            ov = _overlap(prices[j - 1].amounts, names[i - 1].description + names[i - 1].numbers)
            if ov >= _ROW_OVERLAP:
                count, total = best[i - 1][j - 1]
                options.append(((count + 1, total + ov), 3))
            best[i][j], move[i][j] = max(options)
    if best[n][m][0] <= same_line:
        return rows
    pairs: dict[int, int] = {}
    i, j = n, m
    while i and j:
        step = move[i][j]
        if step == 3:
            pairs[i - 1] = j - 1
            i, j = i - 1, j - 1
        elif step == 1:
            i -= 1
        else:
            j -= 1
    moved = {id(prices[j]) for j in pairs.values()}
    name_at = {id(r): k for k, r in enumerate(names)}
    out: list[_Row] = []
    for r in rows:
        own = [] if id(r) in moved else r.amounts  # a price that stays where the OCR put it
        if r.description:
            k = name_at[id(r)]
            out.append(_Row(r.index, r.description, r.numbers, list(prices[pairs[k]].amounts) if k in pairs else []))
            if own:
                out.append(_Row(r.index, [], [], own))
        elif r.numbers or own:
            out.append(_Row(r.index, [], r.numbers, own))
    return out


def _continues(item: _OpenItem, row: _Row) -> bool:
    """Whether `row`'s description goes on with the open item's rather than starting a new item.

    Only an indented row without a quantity of its own continues: a second product printed
    under the first starts at the same left edge as the first, a wrapped name does not.
    """
    first = item.rows[0]
    if row.opens_with_quantity or row.index - item.last > 1 or not first.description:
        return False
    indent = row.left - first.left
    return indent > 1.5 * max(first.height, row.height, 1.0)


def _is_discount(row: _Row, amount: str | None) -> bool:
    """Whether the row takes something off (a negative amount, a discount or void wording)."""
    return (amount is not None and amount.startswith("-")) or bool(DISCOUNT_WORDS.search(_join(row.description).upper()))


def _amount(words: Sequence[Word], cents: bool = False) -> str | None:
    """The row's amount: the right-most amount word that reads as a number (a tax flag or
    a stray letter labelled with it is passed over), joined with the word before it when
    the OCR split the decimal separator away ("7" "30" for 7,30). With `cents` (the
    receipt prints its prices with two decimals) a third decimal is a tax code the OCR
    glued on ("12,001" for "12,00 1")."""
    for k in range(len(words) - 1, -1, -1):
        last = words[k]
        if k >= 1 and _CENTS.match(last.text) and _WHOLE.match(words[k - 1].text):
            before = words[k - 1]
            if last.x0 - before.x1 < 1.5 * max(last.y1 - last.y0, 1.0):
                found = find_amounts(f"{before.text}.{last.text}")
                if found:
                    return format_amount(found[-1].value)
        glued = _GLUED_CODE.match(last.text) if cents else None
        found = find_amounts(glued.group(1) if glued else last.text)
        if found:
            return format_amount(found[-1].value)
    return None


def _prints_cents(lines: Sequence[Sequence[Word]]) -> bool:
    """Whether most amounts of the receipt print two decimals (then "12,001" is 12,00 and a code)."""
    decimals = [len(m.group(1)) for line in lines for w in line if w.label == AMOUNT and (m := _DECIMALS.search(w.text))]
    return bool(decimals) and 2 * decimals.count(2) > len(decimals)


def _quantity_and_unit_price(numbers: Sequence[Word]) -> tuple[str | None, str | None, list[Word]]:
    """Quantity and unit price (as normalised text) from the item's number words, and the words used."""
    quantity = next((w for w in numbers if w.label == QUANTITY), None)
    unit = next((w for w in numbers if w.label == UNIT_PRICE), None)
    q_text: str | None = None
    up_text: str | None = None
    if unit is not None:
        combined = _QTY_TIMES_PRICE.match(unit.text)
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
    used = [w for w in (quantity, unit) if w is not None]
    return q_text, up_text, used


def _make_item(description: Sequence[Word], numbers: Sequence[Word], amounts: Sequence[Word], cents: bool = False) -> LineItem:
    article: str | None = None
    desc = list(description)
    if len(desc) > 1 and _ARTICLE_NUMBER.match(desc[0].text):
        article = desc[0].text
        desc = desc[1:]
    amount = _amount(amounts, cents)
    # A price the classifier took for part of the name ("DAL TADKA 157.40") closes the
    # description: it is the amount when the row has none, and never part of the name.
    while len(desc) > 1 and _MONEY_WORD.match(desc[-1].text):
        if amount is None:
            amount = _amount(desc[-1:], cents)
        desc = desc[:-1]
    q_text, up_text, used = _quantity_and_unit_price(numbers)
    if amount is None and up_text is not None and q_text in (None, "1"):
        # One of something at a unit price costs that price: the amount column's word was
        # read as the unit price, or the receipt prints a single price column.
        amount = format_amount(find_amounts(up_text)[-1].value)
    words = [*description, *used, *amounts]
    return LineItem(
        description=" ".join(_join(desc).split()) or None,
        quantity=q_text,
        unit_price=up_text,
        amount=amount,
        word_ids=[w.id for w in words],
        confidence=_confidence(words),
        source=_source(words),
        article_number=article,
    )


def build_line_items(lines: Sequence[Sequence[Word]]) -> list[LineItem]:
    """One item per row that carries a description, with the numbers of its own row or of
    the row below it (see the module docstring for the layouts)."""
    items: list[LineItem] = []
    open_item: _OpenItem | None = None
    loose_numbers: list[Word] = []  # a quantity printed on the row above its description
    loose_at = -1
    last_row = -1  # the row that closed the last item
    cents = _prints_cents(lines)

    def close(amounts: Sequence[Word]) -> None:
        nonlocal open_item, last_row
        if open_item is not None:
            item = _make_item(open_item.description, open_item.numbers, amounts, cents)
            # An item names what was bought: a description without two letters ("20", a
            # department number) is none. A row without a price is an item only inside the
            # item table, once a priced item has been read; above it, it is a heading.
            named = sum(ch.isalpha() for ch in item.description or "") >= 2
            if named and (item.amount is not None or any(i.amount is not None for i in items)):
                items.append(item)
                last_row = open_item.last
        open_item = None

    for row in _rows(lines):
        if open_item is not None and row.index - open_item.last > _MAX_GAP:
            open_item = None  # a description row nothing followed: a heading, not an item
        if row.description:
            amount = _amount(row.amounts, cents)
            if open_item is not None and not _is_discount(row, amount) and _continues(open_item, row):
                open_item.rows.append(row)
                open_item.numbers += row.numbers
            else:
                close([])  # the row above was an item of its own, printed without an amount
                carried = loose_numbers if row.index - loose_at == 1 else []
                open_item = _OpenItem([row], [*carried, *row.numbers])
            loose_numbers = []
            if row.amounts:
                close(row.amounts)
        elif open_item is not None:
            # The numbers of the description above: "2 x 6.50  13.00" under the name.
            open_item.numbers += row.numbers
            open_item.rows.append(_Row(row.index, [], row.numbers, row.amounts))
            if row.amounts:
                close(row.amounts)
        elif not row.amounts:
            loose_numbers, loose_at = row.numbers, row.index
        elif items and items[-1].discount is None and row.index - last_row == 1:
            _take_discount(items[-1], row)
    return items


def _take_discount(item: LineItem, row: _Row) -> None:
    """A negative amount printed alone under a priced item is the discount on that item."""
    value = _amount(row.amounts)
    if value is not None and value.startswith("-") and item.amount is not None:
        item.discount = value[1:]
        item.word_ids += [w.id for w in row.amounts]
