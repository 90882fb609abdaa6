"""Line-item tables and the VAT summary of an invoice.

The item table is found from its header row: a line naming at least three
known columns (lexicon `columns`: position, article no., description, quantity,
unit, unit price, VAT rate, discount, amount). Header words stacked over two or
three printed lines ("Prix / unitaire") form one column. Each later word
belongs to the column whose span contains its centre, with boundaries halfway
between neighbouring headers. A row starts where a line prints an amount (or a
unit price); lines with text only continue the description above. The table
ends at a totals label; it continues on the next page under a repeated header,
and carried-forward subtotals ("Übertrag", "Report") are skipped, never items.

Tax rows are read arithmetically: a line with one rate and two amounts where
base × rate = tax (within rounding) is a row of the VAT summary, whatever its
layout or language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ...document import LineItem, TaxRow, Word
from .layout import Line, Piece, find_hits, segments, words_of
from .lexicon import COLUMN, FIELD, TAX_COLUMN, Lexicon
from .locale import InvoiceLocale, find_money, format_rate, parse_rate
from .values import label_hits

# Column names that may be ambiguous, in the order they are assigned: the amount
# column is settled before "Amount" may mean a quantity (English "Amount | Product").
_ASSIGN_ORDER = ("description", "amount", "unit_price", "quantity", "tax_rate", "discount", "unit", "article_number", "position")
_STOP_FIELDS = frozenset({"net_total", "tax_total", "gross_total", "amount_due", "prepaid", "payment_terms", "iban"})
_CENT = Decimal("0.01")
_DECIMAL_NUMBER = re.compile(r"\d+[.,]\d+")
_NUMERIC_COLUMNS = frozenset({"quantity", "unit_price", "tax_rate", "discount", "amount"})
_CURRENCY_MARKS = frozenset({"€", "$", "£", "EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "KR", "ZŁ", "ZL", "FR"})


@dataclass
class Column:
    name: str
    x0: float
    x1: float


@dataclass
class Table:
    columns: list[Column]
    header_lines: list[int]
    row_lines: list[int] = field(default_factory=list)
    items: list[LineItem] = field(default_factory=list)
    skipped_lines: list[int] = field(default_factory=list)  # carried-forward lines


def _column_groups(lines: Sequence[Line], zone: Sequence[int]) -> list[list[Piece]]:
    """Header pieces grouped into columns: neighbours on a line and words stacked above each other."""
    pieces = sorted((p for i in zone for p in lines[i].pieces), key=lambda p: p.x0)
    h = max(lines[i].height for i in zone)
    groups: list[list[Piece]] = []
    for p in pieces:
        if groups:
            g = groups[-1]
            right = max(q.x1 for q in g)
            if p.x0 - right < 0.6 * h:
                g.append(p)
                continue
        groups.append([p])
    return groups


def _name_groups(groups: list[list[Piece]], lexicon: Lexicon) -> list[tuple[list[str], list[Piece]]]:
    named = []
    for g in groups:
        ordered = sorted(g, key=lambda p: (round(p.word.y0 / 8), p.x0))
        # A header of symbols only ("#") has no normal form: it is looked up as printed.
        key = "".join(p.key for p in ordered) or "".join(p.text.strip() for p in ordered)
        meanings = list(dict.fromkeys(m.name for m in lexicon.lookup(key) if m.kind == COLUMN))
        if not meanings:
            # The longest known column phrase inside the group ("Preis netto €").
            pseudo = Line(-1, 0, ordered, 0, 1, max(1.0, ordered[0].word.height))
            for hit in find_hits(pseudo, lexicon):
                meanings += [n for n in hit.names(COLUMN) if n not in meanings]
        named.append((meanings, g))
    return named


def _assign(named: list[tuple[list[str], list[Piece]]]) -> list[Column]:
    # Two money headers and no unit price ("Importo | Totale", "Amount | Total"): the
    # line amount is the rightmost, the one before it the unit price.
    amounts = [k for k, (meanings, _) in enumerate(named) if "amount" in meanings]
    if len(amounts) >= 2 and not any("unit_price" in meanings for meanings, _ in named):
        named = list(named)
        named[amounts[-2]] = (["unit_price"], named[amounts[-2]][1])
    taken: set[str] = set()
    chosen: dict[int, str] = {}
    # Groups with a single meaning first, then the rest by the fixed order.
    for k, (meanings, _) in enumerate(named):
        if len(meanings) == 1 and meanings[0] not in taken:
            chosen[k] = meanings[0]
            taken.add(meanings[0])
    for name in _ASSIGN_ORDER:
        for k, (meanings, _) in enumerate(named):
            if k not in chosen and name in meanings and name not in taken:
                chosen[k] = name
                taken.add(name)
    cols = []
    for k, (_, g) in enumerate(named):
        name = chosen.get(k, "")
        cols.append(Column(name, min(p.x0 for p in g), max(p.x1 for p in g)))
    return cols


def _header_at(lines: Sequence[Line], i: int, lexicon: Lexicon) -> tuple[list[Column], list[int]] | None:
    line = lines[i]
    names = {n for h in line.hits for n in h.names(COLUMN)}
    # Three named columns, or just "Description ... Amount" (a service invoice's two columns).
    need = 2 if {"description", "amount"} <= names else 3
    if len([h for h in line.hits if h.names(COLUMN)]) < need or not (names & {"amount", "unit_price"}):
        return None
    if any(m for m in find_money(line.text, ".") if "%" not in line.text) and len(line.pieces) > 12:
        return None
    zone = [i]
    for j in (i - 1, i + 1):
        if 0 <= j < len(lines) and lines[j].page == line.page:
            # A second header line stacked close under the first ("Cena / jedn. netto"); one
            # without any digit may sit a little further down.
            reach = 1.8 if j > i and not any(ch.isdigit() for ch in lines[j].text) else 1.3
            if abs(lines[j].y0 - line.y0) < reach * line.height and not find_money(lines[j].text, ".") and len(lines[j].pieces) <= 4:
                zone.append(j)
    zone.sort()
    cols = _assign(_name_groups(_column_groups(lines, zone), lexicon))
    named = [c for c in cols if c.name]
    two = len(named) == 2 and named[0].name == "description" and named[-1].name == "amount" and named[0].x0 < named[-1].x0
    if (len(named) < 3 and not two) or not ({c.name for c in named} & {"amount", "unit_price"}):
        return None
    return cols, zone


def _cell_of(p: Piece, cols: Sequence[Column]) -> int:
    c = (p.x0 + p.x1) / 2
    for k, col in enumerate(cols):
        left = (cols[k - 1].x1 + col.x0) / 2 if k else float("-inf")
        right = (col.x1 + cols[k + 1].x0) / 2 if k + 1 < len(cols) else float("inf")
        if left <= c < right:
            return k
    return len(cols) - 1


def _fits(column: str, piece: Piece) -> bool:
    """Whether `piece` can be printed in a numeric `column` (a number, or a currency beside one)."""
    if column not in _NUMERIC_COLUMNS:
        return True
    text = piece.text.strip()
    return bool(find_money(text, ",")) or text.upper().strip(".") in _CURRENCY_MARKS


def _cells(line: Line, cols: Sequence[Column]) -> dict[str, list[Piece]]:
    """The line's pieces by column.

    Column boundaries lie halfway between headers, but a description is left
    aligned and often runs past that halfway mark ("Luftballon: Bunt, ca. 500ml"
    under "Produkt ... USt."). A word in a numeric column that is no number and
    follows a description word at word spacing continues the description.
    """
    has_description = any(c.name == "description" for c in cols)
    out: dict[str, list[Piece]] = {}
    prev: tuple[str, Piece] | None = None
    for p in line.pieces:
        name = cols[_cell_of(p, cols)].name
        if not name:
            # An unnamed column is the description only when no column is named so.
            name = "other" if has_description else "description"
        if prev is not None and prev[0] == "description" and name != "description" and not _fits(name, p):
            if p.x0 - prev[1].x1 < 0.8 * line.height:
                name = "description"
        out.setdefault(name, []).append(p)
        prev = (name, p)
    return out


def _text(pieces: Sequence[Piece] | None) -> str:
    return " ".join(p.text for p in pieces or ())


def _money(pieces: Sequence[Piece] | None, loc: InvoiceLocale) -> Decimal | None:
    found = [m for m in find_money(_text(pieces), loc.decimal) if not m.percent]
    return found[-1].value if found else None


def _fmt(value: Decimal) -> str:
    from ...normalize import format_amount

    return format_amount(value)


def _stops_table(line: Line) -> bool:
    # Only a word that labels something there ("Subtotal 1.234,00", "IBAN: ..."), not one inside a
    # detail line ("as per quote dated ...": "as" is Lithuanian's account abbreviation "a/s").
    labels = {id(h) for a, b in segments(line) for h in label_hits(line, a, b)}
    for h in line.hits:
        if set(h.names(FIELD)) & _STOP_FIELDS and id(h) in labels:
            return True
        if h.names(TAX_COLUMN) and len([x for x in line.hits if x.names(TAX_COLUMN)]) >= 2:
            return True
    return False


def _carried(line: Line) -> bool:
    return any("carried_forward" in h.names(FIELD) for h in line.hits)


def find_item_table(lines: Sequence[Line], loc: InvoiceLocale, lexicon: Lexicon) -> Table | None:
    """The line-item table, its rows over every page it runs on, or None."""
    table: Table | None = None
    i = 0
    current: LineItem | None = None
    current_words: list[Word] = []
    prev_y1: float | None = None
    prev_page: int | None = None
    header_page: int | None = None  # page of the last header read

    def close() -> None:
        nonlocal current, current_words
        if current is not None and table is not None:
            current.word_ids = sorted({w.id for w in current_words})
            table.items.append(current)
        current, current_words = None, []

    while i < len(lines):
        line = lines[i]
        header = _header_at(lines, i, lexicon)
        if header is not None and (table is None or line.page != header_page or not table.items):
            cols, zone = header
            if table is None:
                table = Table(cols, zone)
            else:
                close()
                table.columns, table.header_lines = cols, table.header_lines + zone
            prev_y1, prev_page, header_page = lines[zone[-1]].y1, line.page, line.page
            i = zone[-1] + 1
            continue
        if table is None:
            i += 1
            continue
        if line.page != prev_page and line.page != header_page:
            # A later page: when it repeats the header under its own letterhead, the rows go
            # on under that header; the letterhead lines above it are no items ("KF-4516").
            again = next((k for k in range(i, len(lines)) if lines[k].page == line.page and _header_at(lines, k, lexicon) is not None), None)
            if again is not None and again > i:
                close()
                i = again
                continue
        cells = _cells(line, table.columns)
        # A subtotal line prints a label and an amount, no quantity or unit price of an item
        # ("Transport 1 x 100,00" is an item even where "Transport" means carried forward).
        summary = not _money(cells.get("quantity"), loc) and _money(cells.get("unit_price"), loc) is None
        if line.page != prev_page:
            # A new page: the table continues only under a repeated header (handled above)
            # or right at the top with rows in the same columns.
            prev_page, prev_y1 = line.page, None
        if _carried(line) and summary:
            close()
            table.skipped_lines.append(i)
            i += 1
            continue
        if (_stops_table(line) and summary) or (prev_y1 is not None and line.y0 - prev_y1 > 4 * line.height):
            # A summary line or a wide gap ends the table on this page; later pages may
            # hold a continuation under a new header, so look on from the next page.
            close()
            nxt = next((k for k in range(i + 1, len(lines)) if lines[k].page > line.page), None)
            if nxt is None:
                break
            i = nxt
            prev_page = None
            continue
        if set(line.text.strip()) <= set("-_=*. "):
            i += 1
            continue
        amount = _money(cells.get("amount"), loc)
        price = _money(cells.get("unit_price"), loc)
        if amount is not None or (price is not None and "amount" not in {c.name for c in table.columns}):
            close()
            current = _item(cells, loc, amount, price)
            current_words = words_of(line.pieces)
            table.row_lines.append(i)
        elif current is not None and cells.get("description") and not any(k in cells for k in ("quantity", "unit_price")):
            extra = _text(cells.get("description"))
            current.description = f"{current.description} {extra}".strip() if current.description else extra
            current_words += words_of(line.pieces)
            table.row_lines.append(i)
        prev_y1, prev_page = line.y1, line.page
        i += 1
    close()
    if table is None:
        return None
    return table


def _item(cells: dict[str, list[Piece]], loc: InvoiceLocale, amount: Decimal | None, price: Decimal | None) -> LineItem:
    item = LineItem(source="rule", confidence=0.85)
    desc = _text(cells.get("description"))
    item.description = desc or None
    if amount is not None:
        item.amount = _fmt(amount)
    if price is not None:
        item.unit_price = _fmt(price)
    pos = _text(cells.get("position")).strip(".")
    qty_pieces = cells.get("quantity") or []
    if pos and not qty_pieces and _DECIMAL_NUMBER.fullmatch(pos):
        # "1,00" under "#" where no quantity column is printed: a quantity, not a position.
        qty_pieces, pos = list(cells.get("position") or []), ""
    if pos and any(ch.isdigit() for ch in pos) and len(pos) <= 6:
        item.position = pos
    art = _text(cells.get("article_number")).strip()
    if art:
        item.article_number = art
    nums = [m for m in find_money(_text(qty_pieces), loc.decimal) if not m.percent]
    if nums:
        item.quantity = format(nums[0].value, "f")
    unit = " ".join(p.text for p in qty_pieces + (cells.get("unit") or []) if p.text and not any(ch.isdigit() for ch in p.text))
    if unit:
        item.unit = unit
    rate = parse_rate(_text(cells.get("tax_rate")), loc.decimal)
    if rate is not None:
        item.tax_rate = format_rate(rate)
    disc_text = _text(cells.get("discount"))
    if disc_text:
        disc_rate = parse_rate(disc_text, loc.decimal)
        if disc_rate is not None and nums and price is not None and amount is not None:
            gross = (nums[0].value * price).quantize(_CENT)
            if abs(gross * (1 - disc_rate / 100) - amount) <= Decimal("0.02"):
                item.discount = _fmt(gross - amount)
        elif disc_rate is None:
            d = _money(cells.get("discount"), loc)
            if d is not None:
                item.discount = _fmt(d)
    return item


def _row_ok(base: Decimal, rate: Decimal, tax: Decimal) -> bool:
    expected = base * rate / 100
    return abs(expected - tax) <= max(Decimal("0.011"), abs(tax) * Decimal("0.001"))


def find_tax_rows(lines: Sequence[Line], loc: InvoiceLocale, skip: set[int]) -> list[tuple[TaxRow, int]]:
    """VAT summary rows: a rate with a base and a tax that agree (base × rate = tax), with the line index."""
    rows: list[tuple[TaxRow, int]] = []
    seen: set[tuple[str, str, str, str]] = set()
    for i, line in enumerate(lines):
        if i in skip:
            continue
        text = line.text
        found = find_money(text, loc.decimal)
        rates = [m for m in found if m.percent]
        if len(rates) != 1:
            continue
        rate = rates[0].value
        amounts = [m for m in found if not m.percent]
        # The row's wording without its numbers: a row printed twice (a summary repeated on the
        # last page) is one row, but India's CGST 9 % and SGST 9 % of the same base are two taxes.
        wording = " ".join(re.findall(r"[^\W\d_]+", text.lower()))
        best = None
        for a in range(len(amounts)):
            for b in range(a + 1, len(amounts)):
                base, tax = amounts[a].value, amounts[b].value
                if base.is_zero():
                    continue
                if _row_ok(base, rate, tax) and (not tax.is_zero() or rate.is_zero()):
                    best = (amounts[a], amounts[b])
                    break
            if best:
                break
        if best is None:
            # "BTW 21%   823,28": a rate and one amount on a line its VAT label announces, the base
            # not printed. A total line ("BTW totaal") prints no rate, so it is never a row.
            taxed = any(set(h.names(FIELD)) & {"tax_total"} or h.names(TAX_COLUMN) for h in line.hits)
            if taxed and len(amounts) == 1 and not amounts[0].value.is_zero() and rates[0].span[1] <= amounts[0].span[0]:
                key1 = (format_rate(rate), "", amounts[0].text)
                if key1 + (wording,) not in seen:
                    seen.add(key1 + (wording,))
                    words = _words_at(line, [rates[0].span, amounts[0].span])
                    rows.append((TaxRow(rate=key1[0], base=None, tax=key1[2], word_ids=[w.id for w in words], confidence=0.75, source="rule"), i))
            continue
        key = (format_rate(rate), best[0].text, best[1].text)
        if key + (wording,) in seen:
            continue
        seen.add(key + (wording,))
        spans = [rates[0].span, best[0].span, best[1].span]
        words = _words_at(line, spans)
        rows.append((TaxRow(rate=key[0], base=key[1], tax=key[2], word_ids=[w.id for w in words], confidence=0.9, source="rule"), i))
    return rows


def _words_at(line: Line, spans: Sequence[tuple[int, int]]) -> list[Word]:
    pos, out = 0, []
    for p in line.pieces:
        s, e = pos, pos + len(p.text)
        if any(s < b and a < e for a, b in spans):
            out.append(p)
        pos = e + 1
    return words_of(out)
