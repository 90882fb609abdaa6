"""Normalised and comparable forms of field values, for gold annotations and for scoring.

Gold values go through the same parsers (`tillroll.normalize`) as the
pipeline's own fields, so "exact" field scores compare like with like: an ISO
date with an ISO date, "27.55" with "27.55". Lenient comparison forgives what
a reader would forgive: case, spacing and punctuation in names and addresses,
"RM 9.00" against "9.0", a date printed in another format.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .. import normalize as nz
from ..io.gold.values import AMOUNT_FIELDS, canon, normalise_value, squash

# Where the value normalisation lived before it moved below the dataset readers.
__all__ = ["AMOUNT_FIELDS", "TEXT_FIELDS", "canon", "exact_match", "lenient_match", "normalise_value", "squash", "strict_match"]


# Names and addresses have no normal form beyond their spelling; annotators often
# change their case (SROIE writes everything in capitals), so case never counts.
# Invoice identifiers join them: an invoice number, IBAN or BIC is the same one
# whatever spaces or dashes it is printed with ("DE88 2008 ..." is "DE882008...").
TEXT_FIELDS = frozenset({"shop_name", "address", "buyer_name", "buyer_address", "invoice_number", "purchase_order", "iban", "bic", "payment_terms"})
# Dates and tax ids compared by what they mean; invoices carry a due date and the buyer's VAT id too.
DATE_FIELDS = frozenset({"date", "due_date"})
VAT_FIELDS = frozenset({"vat_info", "buyer_vat_info"})
# An invoice's amount due compares as an amount, sign included (credit notes).
_AMOUNTS = AMOUNT_FIELDS | {"amount_due"}


def exact_match(gold_value: str | None, pred_value: str | None, field: str | None = None) -> bool:
    """Normalised values equal (both present); text fields compare case-insensitively."""
    if gold_value is None or pred_value is None:
        return False
    if field in TEXT_FIELDS:
        return squash(gold_value).upper() == squash(pred_value).upper()
    return squash(gold_value) == squash(pred_value)


def strict_match(gold_value: str | None, pred_value: str | None, field: str | None = None) -> bool:
    """The headline scorer: names and addresses by their letters and digits, everything else by normalised value.

    Case, spaces and punctuation in a shop name or address never decide whether
    a user got it right ("SECURE PARKING - MENARA" is "Secure Parking Menara"),
    but no other slip is forgiven: no fuzzy matching, and a date, time, amount
    or phone number must parse to the same value as the annotation's.
    """
    if gold_value is None or pred_value is None:
        return False
    if field in TEXT_FIELDS:
        g, p = canon(gold_value), canon(pred_value)
        return bool(g) and g == p
    return exact_match(gold_value, pred_value, field)


def lenient_match(field: str, gold: tuple[str, str], pred: tuple[str, str]) -> bool:
    """Same value once case, spacing, punctuation, number format and date format are forgiven.

    `gold` and `pred` are (text, value) pairs; either form may match the other's.
    """
    (gold_text, gold_value), (pred_text, pred_value) = gold, pred
    if exact_match(gold_value, pred_value, field):
        return True
    if field in _AMOUNTS:
        g = _amount(gold_value) or _amount(gold_text)
        p = _amount(pred_value) or _amount(pred_text)
        return g is not None and g == p
    if field in DATE_FIELDS:
        g_iso = {d.iso for t in (gold_value, gold_text) if (d := nz.parse_date(t))}
        p_iso = {d.iso for t in (pred_value, pred_text) if (d := nz.parse_date(t))}
        if g_iso & p_iso:
            return True
    if field == "time":
        g_hm = {t.iso[:5] for s in (gold_value, gold_text) if (t := nz.parse_time(s))}
        p_hm = {t.iso[:5] for s in (pred_value, pred_text) if (t := nz.parse_time(s))}
        if g_hm & p_hm:
            return True
    if field == "quantity":
        g_q = {q.value for s in (gold_value, gold_text) if (q := nz.parse_quantity(s))}
        p_q = {q.value for s in (pred_value, pred_text) if (q := nz.parse_quantity(s))}
        if g_q & p_q:
            return True
    if field in ("telephone", *VAT_FIELDS):

        def digits(s: str | None) -> str:
            return re.sub(r"\D", "", s or "")

        g_digits, p_digits = digits(gold_value) or digits(gold_text), digits(pred_value) or digits(pred_text)
        if (
            g_digits
            and p_digits
            and (g_digits == p_digits or (len(g_digits) >= 7 and (g_digits.endswith(p_digits[-len(g_digits) :]) or p_digits.endswith(g_digits))))
        ):
            return True  # country code present on one side only
        # "0121 454 5368" and "+44 121 454 5368" are one number: the national trunk 0 is
        # dropped when the country code is written.
        g0, p0 = g_digits.removeprefix("0"), p_digits.removeprefix("0")
        if (g0 != g_digits) != (p0 != p_digits) and len(g0) >= 7 and len(p0) >= 7 and (g0.endswith(p0) or p0.endswith(g0)):
            return True
    gold_forms = {canon(gold_text), canon(gold_value)} - {""}
    pred_forms = {canon(pred_text), canon(pred_value)} - {""}
    return bool(gold_forms & pred_forms)


def _amount(text: str | None) -> Decimal | None:
    if not text:
        return None
    parsed = nz.parse_amount(text)
    return parsed.value if parsed else None
