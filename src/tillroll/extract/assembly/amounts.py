"""Amount fields: subtotal (by keyword, VAT-summary row or arithmetic), tax included and the total."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from ...document import Document, Field, Word
from ...labels import VAT_INCLUDED
from ...normalize import ParsedAmount, format_amount
from ...rules.patterns import TAX_WORD, TOTAL_KEYWORDS
from ...rules.totals import choose_total
from ..checks import items_sum
from .common import _all_money_words, _Context, _field, _join, _labelled_lines, _line_of, _money_words

SUBTOTAL_KEYWORDS = re.compile(
    # "SUBTOTAL" as OCR mangles it too: SUBTOTEL, SUB CTAL, SUBT AL, SUBTOAL.
    r"(?<![A-Z])(?:SUB\s*[-_.]?\s*TOTAL|SUB\s*[-_.]?\s*[TC]\s*[O0C]?\s*[TC]?\s*[AE]\s*L(?![A-Z])|SUB\s*[-_.]?\s*TOT(?![A-Z])|SUB\s*TTL|SUBTTL|SOUS\s*[-_.]?\s*TOTAL|ZWISCHENSUMME"
    r"|TOTAL\s*(?:SALES\s*)?\(?\s*EXCL\w*|TOTAL\s*BEFORE|TOTAL\s*W/O|AMOUNT\s*EXCL\w*"
    r"|ITEMS?\s*TOTAL|GROSS\s*(?:AMOUNT|AMT|TOTAL)|TAXABLE\s*(?:TOTAL|AMOUNT|AMT))"
)
# The amount before tax under its other names: "NET TOTAL", "NET SALES", German "Netto",
# Spanish "BASE IMPONIBLE", or a bare "AMOUNT:" caption that opens its line. Weaker than
# the words above: used only when none of them is printed. "NETT" (Malaysian receipts'
# amount due) is deliberately not among them.
NET_AMOUNT_KEYWORDS = re.compile(r"(?<![A-Z])(?:NET\s*(?:TOTAL|SALES?|AMOUNT|AMT)|NETTO|BASE\s*IMP\w*)|^\W*AMOUNT\s*:?(?=[^A-Z]*$)")


def amount_fields(ctx: _Context, fields: dict[str, Field], doc: Document) -> None:
    lines = ctx.lines
    subtotal = find_subtotal(lines)
    if subtotal:
        fields["subtotal"] = _field(subtotal[0], subtotal[1].text, currency=ctx.currency, confidence=0.7)

    tax = vat_included(ctx)
    if tax:
        fields["vat_included"] = _field(tax[0], tax[1].text, currency=ctx.currency)

    total = choose_total(
        lines,
        items_total=items_sum(doc.line_items),
        subtotal=subtotal[1].value if subtotal else None,
        tax=tax[1].value if tax else None,
    )
    if total:
        words, amount, conf, reasons = total
        doc.meta.setdefault("total_support", reasons)
        fields["total"] = _field(words, amount.text, currency=amount.currency or ctx.currency, confidence=conf)
        if tax and amount.value > 0 and tax[1].value >= amount.value:
            # Tax at least as large as the amount due is an amount misread as tax (often the
            # total itself on a "TOTAL INCL. VAT" line): drop it rather than report it.
            fields.pop("vat_included", None)
        elif subtotal is None and (net := _net_of_tax_row(ctx, tax)) is not None:
            # The VAT summary that gave the tax also prints the amount it was charged on.
            fields["subtotal"] = _field(net[0], net[1].text, currency=ctx.currency, confidence=0.6)
        elif subtotal is None and tax and 0 < tax[1].value < amount.value - tax[1].value:
            # Only a plausible tax (less than what it is charged on) identifies the amount before it.
            before_tax = _amount_before_tax(lines, words, amount.value - tax[1].value, tax[0])
            if before_tax is not None:
                fields["subtotal"] = _field(before_tax[0], before_tax[1].text, currency=ctx.currency, confidence=0.6)


def vat_included(ctx: _Context) -> tuple[list[Word], ParsedAmount] | None:
    """The tax amount among the lines labelled vat_included.

    A line that sums the taxes ("TAX TOTAL", "SUMME MWST") beats the rest, then a line
    that names the tax ("MwSt 10% 2,37") beats one that does not ("Umsatz 10% inkl.
    26,10", the turnover it is charged on), then the larger amount. On a row of a VAT
    summary (net, tax, gross) the tax is the smaller of the two amounts that add up to
    the third, not the gross at the end. With no summing line, one tax printed at
    several rates is the sum of its lines.
    """
    best: tuple[tuple[bool, bool, Decimal], list[Word], ParsedAmount] | None = None
    per_rate: dict[str, tuple[list[Word], ParsedAmount]] = {}
    tax_names: set[str] = set()
    for _, ws in _labelled_lines(ctx, VAT_INCLUDED):
        a = _tax_in_summary_row(ws) or _money_words(ws)
        if not a:
            continue
        upper = _join(ws).upper()
        sums, name = bool(_TAX_SUM_CUE.search(upper)), TAX_WORD.search(upper)
        score = (sums, name is not None, a[1].value)
        if best is None or score > best[0]:
            best = (score, a[0], a[1])
        rate = _RATE.search(upper)
        if rate and name and not sums:
            per_rate.setdefault(rate.group(1).replace(",", "."), a)  # a rate printed twice counts once
            tax_names.add(name.group(0))
    if best is not None and not best[0][0] and len(per_rate) >= 2 and len(tax_names) == 1:
        # One line per rate of the same tax ("MwSt A 19%", "MwSt B 7%") and no line with their
        # sum: the tax included is the sum. Different taxes (VAT and a service tax) are not added.
        words = [w for ws, _ in per_rate.values() for w in ws]
        value = sum((a.value for _, a in per_rate.values()), Decimal(0))
        return words, ParsedAmount(value, format_amount(value), best[2].currency, best[2].span)
    return (best[1], best[2]) if best else None


# A tax rate ("19%", "10,00 %") and the wordings of a line that sums the taxes ("SUMME MWST").
_RATE = re.compile(r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,2})?)\s?%")
_TAX_SUM_CUE = re.compile(r"TOTAL|SUMME|SUM(?![A-Z])|TOTALE")


def _summary_row(ws: Sequence[Word]) -> tuple[tuple[list[Word], ParsedAmount], tuple[list[Word], ParsedAmount]] | None:
    """(tax, net) of a VAT-summary row that prints net, tax and gross ("A 19% 7.31 1.39 8.70"):
    of three amounts in a row where two add up to the third, the smaller of those two is the
    tax and the larger the net."""
    amounts = [m for m in _all_money_words(ws) if m[1].value > 0]
    for first, second, third in zip(amounts, amounts[1:], amounts[2:]):
        if first[1].value + second[1].value == third[1].value:
            tax, net = sorted((first, second), key=lambda m: m[1].value)
            return tax, net
    return None


def _net_of_tax_row(ctx: _Context, tax: tuple[list[Word], ParsedAmount] | None) -> tuple[list[Word], ParsedAmount] | None:
    """The net amount printed on the VAT-summary row the tax was read from, if it was."""
    i = _line_of(ctx.lines, tax[0][0]) if tax is not None else None
    row = _summary_row([w for w in ctx.lines[i] if w.label == VAT_INCLUDED]) if i is not None else None
    return row[1] if row is not None and tax is not None and row[0][1].value == tax[1].value else None


def _tax_in_summary_row(ws: Sequence[Word]) -> tuple[list[Word], ParsedAmount] | None:
    """The tax of `ws` if it is a VAT-summary row."""
    row = _summary_row(ws)
    return row[0] if row else None


def _keyword_amount(lines: Sequence[Sequence[Word]], i: int, keyword_end: int) -> tuple[list[Word], ParsedAmount] | None:
    """The money printed after the keyword (ending at `keyword_end` of the joined line `i`) and before
    any total keyword that follows it: the last such amount ("SUB_TOT ITM= 8 Q=10.00 885.00",
    "NET SALES 100.75 GRAND TOTAL 113.35"). Failing that, the next line's amount when that line
    prints nothing else (a right-aligned column that the OCR read as its own line)."""
    upper = _join(lines[i]).upper()
    next_total = TOTAL_KEYWORDS.search(upper, keyword_end)
    stop = next_total.start() if next_total else len(upper)
    between = [(ws, a) for ws, a in _all_money_words(lines[i]) if keyword_end <= a.span[0] < stop]
    found = between[-1] if between else None
    if found is None and i + 1 < len(lines):
        nxt = lines[i + 1]
        found = _money_words(nxt)
        if found is not None and len(found[0]) != len(nxt):
            found = None
    return found


def _amount_before_tax(
    lines: Sequence[Sequence[Word]], total_words: Sequence[Word], value: Decimal, tax_words: Sequence[Word]
) -> tuple[list[Word], ParsedAmount] | None:
    """An amount equal to total - tax printed above the total line, under whatever caption
    ("AMOUNT 83.51", "Food 20.00"): the subtotal of a receipt that does not call it one.
    The nearest such amount above the total wins; the tax's own words never count."""
    total_line = _line_of(lines, total_words[0])
    if total_line is None or value <= 0:
        return None
    taken = {id(w) for w in tax_words}
    for i in range(total_line - 1, -1, -1):
        for ws, a in reversed(_all_money_words(lines[i])):
            if a.value == value and not any(id(w) in taken for w in ws):
                return ws, a
    return None


def find_subtotal(lines: Sequence[Sequence[Word]]) -> tuple[list[Word], ParsedAmount] | None:
    """The subtotal: no word class of its own in the 12 labels, so keywords find it.

    The last line with a subtotal keyword wins (a "SUB TOTAL" after discounts
    supersedes one before them); net-amount wordings count only on receipts
    that print none of those keywords.
    """
    for keywords in (SUBTOTAL_KEYWORDS, NET_AMOUNT_KEYWORDS):
        found = None
        for i, line in enumerate(lines):
            match = keywords.search(_join(line).upper())
            if match:
                found = _keyword_amount(lines, i, match.end()) or found
        if found is not None:
            return found
    return None
