"""What the printed amounts say about the amount due: payments, arithmetic, and the choice of total.

Shared by the rules (which keep one TOTAL line when several claim it), the field
assembler (which reads the `total` field) and the checks (which report the
arithmetic). It sits in the rules layer so that all three can import it: the
choice of total is made once, here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from ..document import Word
from ..labels import LINE_ITEM_LABELS, TOTAL
from ..normalize import ParsedAmount, detect_currency, find_amounts
from .patterns import TOTAL_KEYWORDS, fix_letters

CENT = Decimal("0.01")
# Cash rounding (5 sen in Malaysia, 5/10 cents elsewhere) and per-line rounding of tax.
ROUNDING_TOLERANCE = Decimal("0.05")

CASH = re.compile(r"(?<![A-Z])(?:CASH|TUNAI|TENDER(?:ED)?|PAID|PAYMENT|AMOUNT\s*PAID|CARD|VISA|MASTER\w*)(?![A-Z])")
CHANGE = re.compile(r"(?<![A-Z])(?:CHANGE|CHG|BAKI|BALANCE\s*RETURNED)(?![A-Z])")
ROUNDING = re.compile(r"(?<![A-Z])ROUND\w*\s*(?:ADJ\w*|DING|OFF)?|ADJ\w*\s*ROUND\w*|(?<![A-Z])ROUNDING")
_PAYMENT_WORDS = re.compile(r"CASH|TUNAI|TENDER|PAID|PAYMENT|CARD|VISA|MASTER|CHANGE|CHG|BAKI|BALANCE|ROUND|ADJ|DISC|VOUCHER|COUPON|PROMO|SAVING|LESS")
DISCOUNT = re.compile(r"(?<![A-Z])(?:DISC\w*|VOUCHER|COUPON|PROMO\w*|SAVING\w*|LESS)(?![A-Z])")


@dataclass(frozen=True)
class Payments:
    """Amounts printed on payment lines: tendered, change and cash-rounding adjustment."""

    tendered: Decimal | None = None
    change: Decimal | None = None
    rounding: Decimal | None = None
    discount: Decimal | None = None

    @property
    def paid(self) -> Decimal | None:
        if self.tendered is None:
            return None
        return self.tendered - (self.change or Decimal(0))


def _last_amount(text: str) -> ParsedAmount | None:
    amounts = [a for a in find_amounts(text) if not text[a.span[1] : a.span[1] + 1] == "%"]
    return amounts[-1] if amounts else None


@lru_cache(maxsize=4096)
def _payment_line(upper: str) -> tuple[Decimal, bool, bool, bool, bool] | None:
    """What one upper-cased line could say about payment: its last amount and which cues it has.

    (amount, change, rounding, cash, discount), or None for a line that is no payment line.
    Cached: the rules, the assembler and the checks all read the same lines.
    """
    if not _PAYMENT_WORDS.search(upper):
        return None
    a = _last_amount(upper)
    if a is None:
        return None
    return (
        a.value,
        bool(CHANGE.search(upper)),
        bool(ROUNDING.search(upper)) and abs(a.value) <= Decimal("0.10"),
        bool(CASH.search(upper)) and not re.search(r"(?<![A-Z])TOTAL", upper),
        bool(DISCOUNT.search(upper)),
    )


def find_payments(lines: Sequence[Sequence[Word]]) -> Payments:
    tendered = change = rounding = discount = None
    for line in lines:
        cues = _payment_line(" ".join([w.text for w in line]).upper())
        if cues is None:
            continue
        value, is_change, is_rounding, is_cash, is_discount = cues
        # The first line of each kind counts; a line is read as the first kind it can still fill.
        if is_change and change is None:
            change = abs(value)
        elif is_rounding and rounding is None:
            rounding = value
        elif is_cash and tendered is None:
            tendered = value
        elif is_discount and discount is None and not any(w.label in LINE_ITEM_LABELS for w in line):
            discount = -abs(value)
    return Payments(tendered, change, rounding, discount)


def amounts_equal(a: Decimal, b: Decimal, tolerance: Decimal = CENT) -> bool:
    return abs(a - b) <= tolerance


def total_support(value: Decimal, items_sum: Decimal | None, subtotal: Decimal | None, tax: Decimal | None, payments: Payments) -> list[str]:
    """Which independent readings of the receipt agree with `value` as the amount due."""
    reasons = []
    if payments.paid is not None and payments.change is not None and amounts_equal(value, payments.paid):
        reasons.append("cash_minus_change")
    if items_sum is not None and items_sum > 0:
        if amounts_equal(value, items_sum, ROUNDING_TOLERANCE):
            reasons.append("line_items_sum")
        elif tax is not None and amounts_equal(value, items_sum + tax, ROUNDING_TOLERANCE):
            reasons.append("line_items_sum_plus_tax")
    if subtotal is not None and tax is not None and amounts_equal(value, subtotal + tax, ROUNDING_TOLERANCE):
        reasons.append("subtotal_plus_tax")
    return reasons


def join_words(words: Sequence[Word]) -> str:
    return " ".join([w.text for w in words])


def mean_confidence(words: Sequence[Word]) -> float:
    confs = [w.label_confidence if w.label_confidence is not None else 0.5 for w in words]
    return round(sum(confs) / len(confs), 4) if confs else 0.0


def words_in_span(ws: Sequence[Word], span: tuple[int, int]) -> list[Word]:
    """The words of `ws` whose characters overlap `span` of their space-joined text."""
    out, pos = [], 0
    for w in ws:
        end = pos + len(w.text)
        if pos < span[1] and span[0] < end:
            out.append(w)
        pos = end + 1
    return out


STRONG_TOTAL = re.compile(r"ROUND|GRAND|NETT|PAYABLE|DUE|TO\s*PAY|INCL|INCLUSIVE|JUMLAH")


def total_line_strength(upper: str, total_words: Sequence[Word]) -> int:
    """How strongly a line labelled total says it prints the amount due: 2, 1 or 0.

    0 is a line with no total keyword of its own ("US CASH $0.53", "CHANGE DUE") whose
    total label came from the classifier alone: it only wins when nothing better is
    printed. A rule label counts as a keyword, since the pattern that set it may have
    read the keyword on the line above ("TOTAL" / "RM 33.00").
    """
    if CHANGE.search(upper):
        return 0
    if not any(w.label_source == "rule" for w in total_words) and not TOTAL_KEYWORDS.search(fix_letters(upper)):
        return 0
    return 2 if STRONG_TOTAL.search(upper) else 1


_DECIMALS = re.compile(r"[.,]\d")


def money_words(ws: Sequence[Word]) -> tuple[list[Word], ParsedAmount] | None:
    """The right-most money amount among `ws` and the words that print it (with a currency word before it)."""
    joined = join_words(ws)
    amounts = [a for a in find_amounts(joined) if joined[a.span[1] : a.span[1] + 1] != "%" and _DECIMALS.search(joined, a.span[0], a.span[1])]
    if not amounts:
        return None
    a = amounts[-1]
    words = words_in_span(ws, a.span)
    i = list(ws).index(words[0])
    if i > 0 and len(ws[i - 1].text) <= 4 and detect_currency(ws[i - 1].text):
        words = [ws[i - 1], *words]
    return words, a


def all_money_words(ws: Sequence[Word]) -> list[tuple[list[Word], ParsedAmount]]:
    joined = join_words(ws)
    out = []
    for a in find_amounts(joined):
        if joined[a.span[1] : a.span[1] + 1] == "%" or not _DECIMALS.search(joined, a.span[0], a.span[1]):
            continue
        words = words_in_span(ws, a.span)
        if words:
            out.append((words, a))
    return out


def choose_total(
    lines: Sequence[Sequence[Word]],
    items_total: Decimal | None = None,
    subtotal: Decimal | None = None,
    tax: Decimal | None = None,
) -> tuple[list[Word], ParsedAmount, float, list[str]] | None:
    """The amount due: among lines labelled total, the one the arithmetic and keywords support best."""
    payments = find_payments(lines)
    # (positive amount, keyword strength, supporting readings, line index): the best key wins.
    candidates: list[tuple[tuple[bool, int, int, int], list[Word], ParsedAmount, float, list[str]]] = []
    _amounts_cache: list[tuple[int, list[Word], ParsedAmount]] | None = None

    def every_amount() -> list[tuple[int, list[Word], ParsedAmount]]:
        # Only the rounding and fallback readings need every amount on the receipt.
        nonlocal _amounts_cache
        if _amounts_cache is None:
            _amounts_cache = [(i, *m) for i, line in enumerate(lines) if (m := money_words(line))]
        return _amounts_cache

    for i, line in enumerate(lines):
        total_words = [w for w in line if w.label == TOTAL]
        if not total_words:
            continue
        m = money_words(line)
        options = all_money_words(total_words)
        if not options and m and any(w.label == TOTAL for w in m[0]):
            options = [m]
        if not options:
            continue
        upper = join_words(line).upper()
        strength = total_line_strength(upper, total_words)
        # "Total 10.94 0.66" prints several columns: take the one the arithmetic supports, else the last.
        supported = [(total_support(o[1].value, items_total, subtotal, tax, payments), o) for o in options]
        reasons, money = max(supported, key=lambda x: (len(x[0]), options.index(x[1])))
        # Keyword strength first: a "TOTAL PAYABLE" beats a "Total 0% supplies" that happens
        # to equal a (possibly misread) item sum; arithmetic decides between equals.
        # A zero amount ("BALANCE 0.00", "TOTAL DUE 0.00" after payment) is never preferred to a real one.
        candidates.append(((money[1].value > 0, strength, len(reasons), i), money[0], money[1], mean_confidence(total_words), reasons))
    # Cash rounding: "TOTAL 60.31 / ROUNDING -0.01" means 60.30 is due, printed on some later line.
    if payments.rounding and candidates:
        best_unrounded = max(candidates, key=lambda c: c[0])
        target = best_unrounded[2].value + payments.rounding
        for i in range(best_unrounded[0][-1], len(lines)):
            m = money_words(lines[i])
            if m is None:
                continue
            ws, a = m
            if a.value == target and not ROUNDING.search(join_words(lines[i]).upper()):
                reasons = ["rounding_adjustment", *total_support(a.value, items_total, subtotal, tax, payments)]
                candidates.append(((a.value > 0, 3, len(reasons), i), ws, a, best_unrounded[3], reasons))
                break
    if candidates and payments.paid is not None and payments.change is not None and not any(c[4] for c in candidates):
        # No total line agrees with what was paid: trust tendered - change if it is printed as an amount too.
        for i, ws, a in every_amount():
            if a.value == payments.paid and not re.search(r"CASH|CHANGE|TENDER|PAID|BAKI|TUNAI", join_words(lines[i]).upper()):
                candidates.append(((a.value > 0, 1, 1, i), ws, a, 0.6, ["cash_minus_change"]))
                candidates = [c for c in candidates if c[4]]
                break
    if candidates:
        key, words, amount, conf, reasons = max(candidates, key=lambda c: c[0])
        if not reasons and len(candidates) > 1:
            conf *= 0.8  # several unsupported totals: say we are less sure
        return words, amount, round(min(0.99, conf + 0.05 * len(reasons)), 4), reasons
    # No total line at all: what was paid, or the largest amount in the bottom half.
    if payments.paid is not None and payments.change is not None:
        for _, ws, a in every_amount():
            if a.value == payments.paid:
                return ws, a, 0.5, ["cash_minus_change"]
    lower = [(i, ws, a) for i, ws, a in every_amount() if i >= len(lines) // 2 and a.value > 0]
    lower = [x for x in lower if not re.search(r"CASH|CHANGE|TENDER|TEL|GST|VAT|TAX", join_words(lines[x[0]]).upper())]
    if lower:
        i, ws, a = max(lower, key=lambda x: x[2].value)
        return ws, a, 0.3, []
    return None
