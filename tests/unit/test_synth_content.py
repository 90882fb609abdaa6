"""Synthetic receipt content: arithmetic, locale formats, phone and VAT numbers."""

from __future__ import annotations

import datetime as dt
import random
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tillroll.errors import ConfigError
from tillroll.synth.content import check_arithmetic, compute_taxes, make_receipt, to_cents
from tillroll.synth.localedata import (
    available_locales,
    fill_pattern,
    format_date,
    load_locale,
    make_phone,
    parse_locales,
)

LOCALES = available_locales()


def test_synth_localedata_ships_the_required_locales() -> None:
    assert {"mt", "uk", "my", "us", "de", "it", "es", "pl"} <= set(LOCALES)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**63), locale=st.sampled_from(LOCALES))
def test_synth_content_arithmetic_holds_for_any_seed(seed: int, locale: str) -> None:
    receipt = make_receipt(load_locale(locale), random.Random(seed))
    assert check_arithmetic(receipt) == []
    assert receipt.items and all(i.amount > 0 for i in receipt.items)
    assert receipt.total >= receipt.subtotal > 0
    for item in receipt.items:
        assert item.amount == (item.quantity * item.unit_price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert item.unit_price == item.unit_price.quantize(Decimal("0.01"))  # prices always have cents


def test_synth_content_check_arithmetic_catches_a_wrong_total() -> None:
    receipt = make_receipt(load_locale("mt"), random.Random(1))
    receipt.total += Decimal("0.01")
    assert any("total" in p for p in check_arithmetic(receipt))


def test_synth_content_included_vat_is_the_share_of_the_gross() -> None:
    receipt = make_receipt(load_locale("mt"), random.Random(5))
    item = receipt.items[0]
    item.quantity, item.unit_price, item.amount, item.rate, item.tax_code = Decimal(1), Decimal("11.80"), Decimal("11.80"), Decimal(18), "A"
    lines, subtotal, tax_total, total = compute_taxes([item], "included")
    assert (lines[0].tax, lines[0].net, subtotal, total) == (Decimal("1.80"), Decimal("10.00"), Decimal("11.80"), Decimal("11.80"))
    lines, subtotal, tax_total, total = compute_taxes([item], "added")
    assert (tax_total, total) == (to_cents(Decimal("11.80") * Decimal("0.18")), Decimal("11.80") + Decimal("2.12"))


@pytest.mark.parametrize("locale", LOCALES)
def test_synth_content_dates_times_and_phones_are_valid(locale: str) -> None:
    loc = load_locale(locale)
    first, last = loc.get("years", [2016, 2026])
    for seed in range(40):
        receipt = make_receipt(loc, random.Random(seed))
        assert dt.date(first, 1, 1) <= receipt.date <= dt.date(last, 12, 31)
        assert 7 <= receipt.time.hour <= 22
        assert re.fullmatch(r"\+[1-9]\d{7,14}", receipt.phone.e164), receipt.phone
        # the subscriber digits printed are the tail of the E.164 number
        assert receipt.phone.e164.endswith(re.sub(r"\D", "", receipt.phone.printed)[-7:])


def test_synth_content_malta_uses_mt_vat_or_exo_numbers_and_356_phones() -> None:
    loc = load_locale("mt")
    keys = set()
    for seed in range(60):
        receipt = make_receipt(loc, random.Random(seed))
        assert receipt.phone.e164.startswith("+356") and len(receipt.phone.e164) == 12
        assert receipt.tax_id is not None
        keys.add(receipt.tax_id.key.split()[0])
        if receipt.tax_id.key.upper().startswith("EXO"):
            assert re.fullmatch(r"\d{4,5}", receipt.tax_id.value)
        else:
            assert re.fullmatch(r"MT\d{8}", receipt.tax_id.value)
    assert {"VAT", "EXO"} <= {k.upper().rstrip(":.") for k in keys}


def test_synth_localedata_money_uses_each_locales_separators() -> None:
    amount = Decimal("1234.5")
    assert load_locale("mt").money(amount, thousands=True) == "1,234.50"
    assert load_locale("de").money(amount, thousands=True) == "1.234,50"
    assert load_locale("pl").money(amount, thousands=True) == "1 234,50"
    assert load_locale("it").money(Decimal("6.5")) == "6,50"
    assert load_locale("de").quantity(Decimal("0.512")) == "0,512"
    assert load_locale("uk").quantity(Decimal("2")) == "2"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("mt", "21 novembru 2026"),
        ("en", "21 november 2026"),
        ("de", "21 november 2026"),
        ("pl", "21 listopada 2026"),
        ("it", "21 novembre 2026"),
        ("es", "21 noviembre 2026"),
    ],
)
def test_synth_localedata_format_date_uses_local_month_names(language: str, expected: str) -> None:
    text = format_date(dt.date(2026, 11, 21), "{d} {month} {yyyy}", language, random.Random(0))
    assert text.lower() == expected


@given(pattern=st.text(alphabet="#?-/ AB1", max_size=20), seed=st.integers(0, 10**9))
def test_synth_localedata_fill_pattern_keeps_shape(pattern: str, seed: int) -> None:
    out = fill_pattern(pattern, random.Random(seed))
    assert len(out) == len(pattern)
    for p, o in zip(pattern, out):
        if p == "#":
            assert o.isdigit()
        elif p == "?":
            assert o.isalpha() and o.isupper()
        else:
            assert o == p


def test_synth_localedata_unknown_locale_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="available: de, es"):
        parse_locales("mt,xx")
    assert parse_locales("all") == tuple(LOCALES)
    assert parse_locales(" MT, uk ,mt") == ("mt", "uk")


def test_synth_content_uk_phone_drops_trunk_zero_in_e164() -> None:
    loc = load_locale("uk")
    phones = [make_phone(loc, random.Random(s)) for s in range(50)]
    for p in phones:
        assert p.e164.startswith("+44") and not p.e164.startswith("+440")
