"""Checks that an invoice's numbers agree with each other and its ids are well formed.

- net + tax = gross;
- the items add up to the net total (or the gross, for gross-priced tables);
- the tax rows add up to the tax total, and each row's tax = base × rate (rounding);
- amount due = gross − prepaid;
- the IBAN's check digits (ISO 13616, mod 97) and length for its country;
- the seller's and buyer's VAT ids have their country's format (EU formats from
  tillroll.normalize, others from countries.yaml).
A check whose inputs were not found is skipped, not failed.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from ...document import Check, Document
from ...normalize import EU_VAT_FORMATS, parse_vat_number
from .lexicon import load_lexicon
from .locale import iban_ok

_TOLERANCE = Decimal("0.02")


def _dec(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return None


def _field(doc: Document, name: str) -> Decimal | None:
    f = doc.fields.get(name)
    return _dec(f.value) if f else None


def vat_id_ok(value: str) -> tuple[bool, str]:
    """(well formed, why) for a compact VAT id with its country prefix ("DE136695976")."""
    value = re.sub(r"[\s.\-]", "", value).upper()
    gstin = parse_vat_number(value)
    if gstin and gstin.scheme == "in_gstin" and gstin.value == value:
        return bool(gstin.checksum_ok), f"{value}: Indian GSTIN, check character {'right' if gstin.checksum_ok else 'wrong'}"
    cc, body = value[:2], value[2:]
    if cc == "GR":
        cc = "EL"
    pattern: Any = EU_VAT_FORMATS.get(cc) or load_lexicon().countries.get(cc, {}).get("vat")
    if not pattern:
        return False, f"{value}: no VAT id format known for country {cc!r}"
    ok = re.fullmatch(pattern, body) is not None
    return ok, f"{value}: {'matches' if ok else 'does not match'} the {cc} format"


def invoice_checks(doc: Document) -> list[Check]:
    out: list[Check] = []
    net, tax, gross, due = (_field(doc, n) for n in ("subtotal", "vat_included", "total", "amount_due"))
    prepaid = _dec(doc.meta.get("prepaid")) if isinstance(doc.meta.get("prepaid"), str) else None
    if net is not None and tax is not None and gross is not None:
        ok = abs(net + tax - gross) <= _TOLERANCE
        out.append(Check("invoice_net_plus_tax_equals_gross", ok, f"{net} + {tax} {'=' if ok else '!='} {gross}"))
    amounts = [a for a in (_dec(li.amount) for li in doc.line_items) if a is not None]
    if amounts and (net is not None or gross is not None):
        s = sum(amounts, Decimal(0))
        ok = any(t is not None and abs(s - t) <= _TOLERANCE for t in (net, gross))
        target = net if net is not None else gross
        out.append(Check("invoice_items_sum_equals_net", ok, f"items {s} {'=' if ok else '!='} {target}"))
    rows = [(r, _dec(r.rate), _dec(r.base), _dec(r.tax)) for r in doc.tax_breakdown]
    if rows:
        taxes = [t for _, _, _, t in rows if t is not None]
        if tax is not None and taxes:
            s = sum(taxes, Decimal(0))
            ok = abs(s - tax) <= _TOLERANCE
            out.append(Check("invoice_tax_rows_sum_equals_tax_total", ok, f"rows {s} {'=' if ok else '!='} {tax}"))
        bad = []
        for _row, rate, base, t in rows:
            if rate is not None and base is not None and t is not None:
                expected = (base * rate / 100).quantize(Decimal("0.01"))
                if abs(expected - t) > _TOLERANCE:
                    bad.append(f"{base} × {rate}% = {expected} != {t}")
        out.append(Check("invoice_tax_row_rates", not bad, "; ".join(bad) or f"{len(rows)} row(s) consistent"))
    if gross is not None and due is not None:
        paid = prepaid or Decimal(0)
        ok = abs(gross - paid - due) <= _TOLERANCE
        out.append(Check("invoice_amount_due_equals_gross_minus_prepaid", ok, f"{gross} - {paid} {'=' if ok else '!='} {due}"))
    if "iban" in doc.fields:
        lengths = {k: int(v["iban"]) for k, v in load_lexicon().countries.items() if "iban" in v}
        value = doc.fields["iban"].value
        ok = iban_ok(value, lengths)
        out.append(Check("iban_check_digits", ok, f"{value}: {'valid' if ok else 'invalid'} check digits or length"))
    for name in ("vat_info", "buyer_vat_info"):
        f = doc.fields.get(name)
        if f is not None and re.match(r"^[A-Z]{2}", f.value):
            ok, why = vat_id_ok(f.value)
            out.append(Check(f"{name}_format", ok, why))
    return out
