"""Money amounts in the number formats of European invoices (issue 16, item 5).

`1.234,56` (DE), `1,234.56` (GB), `1'234.56` (CH), `1 234,56` (FR, PL, SE: a plain,
no-break or narrow no-break space): each prints the same value, and the
parser must read it back whole. A plain space groups digits only where the
country writes numbers that way; elsewhere it separates columns.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tillroll.normalize import ParsedAmount, parse_amount
from tillroll.normalize.amounts import SPACE_GROUPING_COUNTRIES

amounts = st.decimals(min_value=Decimal("-999999999.99"), max_value=Decimal("999999999.99"), places=2, allow_nan=False, allow_infinity=False)


def printed(value: Decimal, group: str, decimal: str) -> str:
    """`value` as a locale prints it: digit groups of three joined by `group`, `decimal` before the cents."""
    whole, cents = f"{abs(value):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return ("-" if value < 0 else "") + group.join(groups) + decimal + cents


# (thousands separator, decimal mark, country): every style the issue names.
STYLES = [
    (".", ",", "DE"),
    (",", ".", "GB"),
    ("'", ".", "CH"),
    ("\u2019", ".", "CH"),
    (" ", ",", "PL"),
    (" ", ",", "FR"),
    (" ", ",", "SE"),
    ("\u00a0", ",", "FR"),
    ("\u202f", ",", "FR"),
    ("\u00a0", ",", None),  # a no-break space groups digits whatever the country
    ("\u202f", ",", "DE"),
    ("", ",", "DE"),
    ("", ".", None),
]


@pytest.mark.parametrize(("group", "decimal", "country"), STYLES)
@given(value=amounts)
def test_parse_amount_reads_every_grouping_style_back(value: Decimal, group: str, decimal: str, country: str | None) -> None:
    text = printed(value, group, decimal)
    result = parse_amount(text, country=country)
    assert isinstance(result, ParsedAmount), text
    assert result.value == value, text


@pytest.mark.parametrize(("group", "decimal", "country"), [s for s in STYLES if s[0]])
@given(value=amounts)
def test_a_grouped_amount_after_a_label_and_before_a_currency_reads_whole(value: Decimal, group: str, decimal: str, country: str | None) -> None:
    text = f"Total: {printed(value, group, decimal)} EUR"
    result = parse_amount(text, country=country)
    assert isinstance(result, ParsedAmount) and result.value == value and result.currency == "EUR", text


@pytest.mark.parametrize("country", [None, "DE", "GB", "MY", "NL", "IT"])
@given(quantity=st.integers(min_value=1, max_value=999), price=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2))
def test_a_plain_space_separates_columns_outside_space_grouping_countries(country: str | None, quantity: int, price: Decimal) -> None:
    # "2 125,00": quantity then price, as a receipt or an invoice row prints them.
    text = f"{quantity} {printed(price, '', ',')}"
    result = parse_amount(text, country=country)
    assert isinstance(result, ParsedAmount) and result.value == price, text


def test_the_issue_examples() -> None:
    assert parse_amount("15 247,16", country="PL").text == "15247.16"  # type: ignore[union-attr]
    assert parse_amount("-20 033,62", country="FR").text == "-20033.62"  # type: ignore[union-attr]
    assert parse_amount("1'234.56").text == "1234.56"  # type: ignore[union-attr]
    assert parse_amount("1.234,56", country="DE").text == "1234.56"  # type: ignore[union-attr]
    assert parse_amount("1\u202f234,56 €").text == "1234.56"  # type: ignore[union-attr]


def test_space_grouping_needs_the_cents_even_where_the_country_groups_with_spaces() -> None:
    # "1 234" alone is as likely a quantity and a price as one number: the last number wins.
    assert parse_amount("1 234", country="PL").text == "234.00"  # type: ignore[union-attr]
    assert "PL" in SPACE_GROUPING_COUNTRIES and "DE" not in SPACE_GROUPING_COUNTRIES


@pytest.mark.parametrize("text", ["Överförs 126 511,16", "Transfers 12,00", "Äpfel 2,50"])
def test_a_currency_code_inside_a_word_is_no_currency_whatever_its_letters(text: str) -> None:
    # "rs" closes the Swedish "Överförs" (carried forward): INR only stands alone ("Rs. 120").
    from tillroll.normalize import detect_currency

    assert not detect_currency(text, "SE")
    assert detect_currency("Rs. 120").code == "INR"  # type: ignore[union-attr]
