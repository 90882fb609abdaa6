"""Arithmetic and format checks of an extracted receipt, into `doc.checks`.

A receipt checks itself: the line amounts add up to the subtotal (or total),
quantity times unit price gives the line amount, net plus tax gives the total,
cash minus change gives the total, the date is a plausible one, the VAT number
has its country's format. Each check is reported with pass/fail and a detail
saying which numbers were compared, so a user (or the review UI) sees *why* a
receipt looks wrong. The same arithmetic helps the assembler choose between
competing readings, e.g. which of several TOTAL lines is the amount due.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from decimal import Decimal
from typing import Sequence

from ..config import PipelineConfig
from ..document import Check, Document, LineItem, Word
from ..labels import LINE_ITEM_LABELS
from .normalize import ParsedAmount, ParsedDate, ParsedVat, find_amounts, parse_amount, parse_date, parse_quantity, parse_vat_number

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
    amounts = [a for a in find_amounts(text) if not text[a.span[1]:a.span[1] + 1] == "%"]
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


def _dec(text: str | None) -> Decimal | None:
    if not text:
        return None
    a = parse_amount(text)
    return a.value if a else None  # type: ignore[union-attr]


def items_sum(items: Sequence[LineItem]) -> Decimal | None:
    values = [_dec(li.amount) for li in items]
    known = [v for v in values if v is not None]
    return sum(known, Decimal(0)) if known else None


def run_checks(doc: Document, today: dt.date | None = None) -> list[Check]:
    """All checks that the extracted fields allow (a check needing a missing field is skipped)."""
    today = today or dt.date.today()
    checks: list[Check] = []
    f = doc.fields
    total = _dec(f["total"].value) if "total" in f else None
    subtotal = _dec(f["subtotal"].value) if "subtotal" in f else None
    tax = _dec(f["vat_included"].value) if "vat_included" in f else None
    lines = doc.lines()
    payments = find_payments(lines)
    s = items_sum(doc.line_items)

    if s is not None and (subtotal is not None or total is not None):
        adj = (payments.discount or Decimal(0))
        if subtotal is not None:
            ok = amounts_equal(s, subtotal, ROUNDING_TOLERANCE) or amounts_equal(s + adj, subtotal, ROUNDING_TOLERANCE)
            checks.append(Check("line_items_sum_equals_subtotal", ok, f"{s} {'=' if ok else '!='} {subtotal}" + (f" (discount {adj})" if adj else "")))
        elif total is not None:
            candidates = [s, s + adj, s + (tax or 0), s + adj + (tax or 0)]
            ok = any(amounts_equal(c, total, ROUNDING_TOLERANCE) for c in candidates)
            detail = f"{s}" + (f" + discount {adj}" if adj else "") + (f" (+ tax {tax})" if tax is not None else "")
            checks.append(Check("line_items_sum_equals_total", ok, f"{detail} {'=' if ok else '!='} {total}"))

    bad_rows, checked = [], 0
    for i, li in enumerate(doc.line_items):
        q = parse_quantity(li.quantity) if li.quantity else None
        up, amt = _dec(li.unit_price), _dec(li.amount)
        if q and up is not None and amt is not None:
            checked += 1
            product = (q.value * up).quantize(CENT)  # type: ignore[union-attr]
            if not (amounts_equal(product, amt) or amounts_equal(product, -amt)):
                bad_rows.append(f"item {i + 1}: {li.quantity} x {li.unit_price} = {product} != {li.amount}")
    if checked:
        checks.append(Check("quantity_times_unit_price_equals_amount", not bad_rows, "; ".join(bad_rows) or f"{checked} item(s) consistent"))

    if subtotal is not None and tax is not None and total is not None:
        if amounts_equal(subtotal + tax, total, ROUNDING_TOLERANCE):
            checks.append(Check("subtotal_plus_tax_equals_total", True, f"{subtotal} + {tax} = {total}"))
        elif amounts_equal(subtotal, total, ROUNDING_TOLERANCE):
            checks.append(Check("subtotal_plus_tax_equals_total", True, f"tax {tax} included: subtotal {subtotal} = total {total}"))
        else:
            checks.append(Check("subtotal_plus_tax_equals_total", False, f"{subtotal} + {tax} = {subtotal + tax} != {total}"))

    if total is not None and payments.tendered is not None and payments.change is not None:
        paid = payments.paid
        ok = paid is not None and amounts_equal(paid, total, ROUNDING_TOLERANCE)
        checks.append(Check("total_equals_tendered_minus_change", ok, f"{payments.tendered} - {payments.change} = {paid} {'=' if ok else '!='} {total}"))

    if total is not None:
        checks.append(Check("total_positive", total > 0, f"total {total}"))

    if "date" in f:
        d = parse_date(f["date"].value)
        if isinstance(d, ParsedDate):
            ok = dt.date(1990, 1, 1) <= d.value <= today + dt.timedelta(days=1)
            checks.append(Check("date_plausible", ok, f"{d.iso} {'within' if ok else 'outside'} 1990-01-01..{today.isoformat()}"))
        else:
            checks.append(Check("date_plausible", False, f"{f['date'].value!r} is not a date"))
        ambiguous = bool(doc.meta.get("date_order_ambiguous"))
        checks.append(Check("date_order_determined", not ambiguous, "day/month order assumed day-first: nothing on the receipt settled it" if ambiguous else "day/month order settled by the receipt or a hint"))

    if "vat_info" in f:
        v = parse_vat_number(f["vat_info"].text)
        if isinstance(v, ParsedVat):
            ok = v.scheme != "generic" and v.checksum_ok is not False
            why = f"{v.value}: {v.scheme}" + ("" if v.checksum_ok is None else f", check digits {'ok' if v.checksum_ok else 'wrong'}")
            checks.append(Check("vat_number_format", ok, why))
        else:
            checks.append(Check("vat_number_format", False, f"{f['vat_info'].text!r} has no recognised VAT/GST number format"))

    if "telephone" in f:
        value = f["telephone"].value
        ok = bool(re.fullmatch(r"\+[1-9]\d{6,14}", value)) or bool(re.fullmatch(r"\d{6,15}", value))
        checks.append(Check("telephone_format", ok, value + ("" if value.startswith("+") else " (country unknown: not E.164)")))
    return checks


class CheckStage:
    """`check` stage: fills `doc.checks`."""

    name = "check"

    def __init__(self, config: PipelineConfig | None = None) -> None:
        self.config = config or PipelineConfig()

    def __call__(self, doc: Document) -> Document:
        doc.checks = run_checks(doc)
        return doc


__all__ = ["CheckStage", "Payments", "find_payments", "run_checks", "total_support", "items_sum"]
