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
from collections.abc import Sequence
from decimal import Decimal

from ..config import PipelineConfig
from ..document import Check, Document, LineItem
from ..normalize import ParsedDate, ParsedVat, parse_amount, parse_date, parse_quantity, parse_vat_number

# The payment arithmetic lives with the choice of total (the rules use it too); these
# names stay importable from here.
from ..rules.totals import (  # noqa: F401
    CASH,
    CENT,
    CHANGE,
    DISCOUNT,
    ROUNDING,
    ROUNDING_TOLERANCE,
    Payments,
    amounts_equal,
    find_payments,
    total_support,
)


def _dec(text: str | None) -> Decimal | None:
    if not text:
        return None
    a = parse_amount(text)
    return a.value if a else None


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
        adj = payments.discount or Decimal(0)
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
            product = (q.value * up).quantize(CENT)
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
        checks.append(
            Check(
                "date_order_determined",
                not ambiguous,
                "day/month order assumed day-first: nothing on the receipt settled it" if ambiguous else "day/month order settled by the receipt or a hint",
            )
        )

    if "vat_info" in f:
        country = doc.meta.get("country")
        v = parse_vat_number(f["vat_info"].text, country if isinstance(country, str) else None)
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
        if doc.document_type != "receipt":
            from .invoice.checks import invoice_checks

            doc.checks += invoice_checks(doc)
        return doc


__all__ = ["CheckStage", "Payments", "find_payments", "run_checks", "total_support", "items_sum"]
