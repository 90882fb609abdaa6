"""Parsers of tillroll.extract.normalize: examples users rely on, and properties over random input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tillroll.extract.normalize import (
    NoMatch,
    ParsedAmount,
    ParsedDate,
    ParsedPhone,
    ParsedTime,
    ParsedVat,
    detect_currency,
    find_phones,
    fix_digits,
    fix_letters_in_words,
    malta_vat_checksum_ok,
    parse_amount,
    parse_date,
    parse_phone,
    parse_quantity,
    parse_time,
    parse_vat_number,
)

# ---- examples ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, iso",
    [
        ("Date: 14/03/2018", "2018-03-14"),
        ("14-MAR-18", "2018-03-14"),
        ("March 14, 2018", "2018-03-14"),
        ("2018-03-14 12:45", "2018-03-14"),
        ("1st Jan 2019", "2019-01-01"),
        ("12 Ottubru 2020", "2020-10-12"),  # Maltese month name
        ("3 ta' Diċembru 2021", "2021-12-03"),
        ("9 ta Settembru 2023", "2023-09-09"),
        ("2O18-O3-14", "2018-03-14"),  # OCR read zeros as letter O
        ("25.12.2017 10:30", "2017-12-25"),
        ("14MAR2018", "2018-03-14"),
        ("0CT 5, 2019", "2019-10-05"),
        ("06/04/1711:43am", "2017-04-06"),  # two-digit year with the time glued on
        ("07/04/2018-18.10:59", "2018-04-07"),  # time after a dash
        ("12-11-201718:45:28", "2017-11-12"),
        ("DATE:-27-02-2014", "2014-02-27"),  # a label's ":-", not a product code's dash
        ("Date:26/03/2017,11:59", "2017-03-26"),  # time after a comma
    ],
)
def test_normalize_parse_date_examples(text: str, iso: str) -> None:
    result = parse_date(text)
    assert isinstance(result, ParsedDate), result
    assert result.iso == iso


def test_normalize_parse_date_flags_ambiguous_order_and_honours_hints() -> None:
    plain = parse_date("03/04/2018")
    assert isinstance(plain, ParsedDate) and plain.ambiguous and plain.iso == "2018-04-03"
    us = parse_date("03/04/2018", country="US")
    assert isinstance(us, ParsedDate) and not us.ambiguous and us.iso == "2018-03-04"
    forced = parse_date("03/04/2018", day_first=False)
    assert isinstance(forced, ParsedDate) and forced.iso == "2018-03-04"
    # A day above 12 settles the order whatever the hint says.
    assert parse_date("12/25/2018", day_first=True).iso == "2018-12-25"  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["Total 27.55", "31/02/2018", "TEL 03-3271 9872", "", "INV 123/45"])
def test_normalize_parse_date_rejects_non_dates(text: str) -> None:
    assert isinstance(parse_date(text), NoMatch)


@pytest.mark.parametrize(
    "text, iso",
    [
        ("12:45 PM", "12:45:00"),
        ("10:30:12", "10:30:12"),
        ("9.15am", "09:15:00"),
        ("12:05 AM", "00:05:00"),
        ("TIME 23:59:59", "23:59:59"),
        ("Tlne:20:02:22", "20:02:22"),  # after a label's colon (OCR read "Time" as "Tlne")
        ("2018-02-1714:17:07", "14:17:07"),  # glued onto an ISO date
        ("12-11-201718:45:28", "18:45:28"),  # glued onto a day-first date
        ("Date:26/03/2017,11:59", "11:59:00"),
    ],
)
def test_normalize_parse_time_examples(text: str, iso: str) -> None:
    result = parse_time(text)
    assert isinstance(result, ParsedTime) and result.iso == iso


@pytest.mark.parametrize("text", ["1.50", "25:10", "13:00 PM", "12.50"])
def test_normalize_parse_time_rejects_amounts_and_bad_times(text: str) -> None:
    assert isinstance(parse_time(text), NoMatch)


@pytest.mark.parametrize(
    "text, value, currency",
    [
        ("RM 1,234.50", "1234.50", "MYR"),
        ("1.234,50", "1234.50", None),
        ("12,50", "12.50", None),
        ("€4.20", "4.20", "EUR"),
        ("£ 3", "3.00", "GBP"),
        ("-3.00", "-3.00", None),
        ("3.00-", "-3.00", None),
        ("(3.00)", "-3.00", None),
        ("TOTAL: 27.55", "27.55", None),
        ("l2.5O", "12.50", None),
        ("RM9.OO", "9.00", "MYR"),
        ("0.125", "0.125", None),
    ],
)
def test_normalize_parse_amount_examples(text: str, value: str, currency: str | None) -> None:
    result = parse_amount(text)
    assert isinstance(result, ParsedAmount), result
    assert (result.text, result.currency) == (value, currency)


@pytest.mark.parametrize(
    "text, code",
    [("RM27.55", "MYR"), ("€ 4", "EUR"), ("S$ 12", "SGD"), ("USD 5", "USD"), ("EUR", "EUR"), ("£1", "GBP")],
)
def test_normalize_detect_currency_examples(text: str, code: str) -> None:
    result = detect_currency(text)
    assert result and result.code == code  # type: ignore[union-attr]


def test_normalize_detect_currency_ignores_codes_inside_words_and_reads_dollar_by_country() -> None:
    assert isinstance(detect_currency("FARM FRESH"), NoMatch)
    assert detect_currency("$5", country="SG").code == "SGD"  # type: ignore[union-attr]
    assert detect_currency("$5").code == "USD"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text, country, value",
    [
        ("TEL: 03-3271 9872", "MY", "+60332719872"),
        ("+356 2123 4567", None, "+35621234567"),
        ("00356 79123456", None, "+35679123456"),
        ("Tel 2123 4567", "MT", "+35621234567"),
        ("(555) 123-4567", "US", "+15551234567"),
        ("+44 (0)20 7946 0958", None, "+442079460958"),
    ],
)
def test_normalize_parse_phone_e164(text: str, country: str | None, value: str) -> None:
    result = parse_phone(text, country)
    assert isinstance(result, ParsedPhone) and result.e164 and result.value == value


def test_normalize_parse_phone_without_country_keeps_digits_and_finds_several() -> None:
    result = parse_phone("TEL 03-3271 9872")
    assert isinstance(result, ParsedPhone) and not result.e164 and result.value == "0332719872"
    both = find_phones("Tel 2123 4567 / 7912 3456", country="MT")
    assert [p.value for p in both] == ["+35621234567", "+35679123456"]


@pytest.mark.parametrize(
    "text, value, scheme",
    [
        ("VAT No. MT1234-5678", "MT12345678", "eu_vat"),
        ("VAT REG NO: MI 1505-3015", "MT15053015", "eu_vat"),  # OCR read MT as MI
        ("GST No.: 000689913856", "000689913856", "my_gst"),
        ("GST REG NO: 000306-020352", "000306020352", "my_gst"),
        ("EX0 No. 1234", "EXO1234", "mt_exo"),
        ("SST No: W10-1808-32000112", "W10180832000112", "my_sst"),
        ("USt-IdNr DE123456789", "DE123456789", "eu_vat"),
        ("NL123456789B01", "NL123456789B01", "eu_vat"),
        ("TAX ID 12-3456789", "123456789", "generic"),
    ],
)
def test_normalize_parse_vat_number_examples(text: str, value: str, scheme: str) -> None:
    result = parse_vat_number(text)
    assert isinstance(result, ParsedVat), result
    assert (result.value, result.scheme) == (value, scheme)


@pytest.mark.parametrize("text", ["Total 12.00", "THANK YOU", "TEL 03-3271 9872", ""])
def test_normalize_parse_vat_number_rejects_other_numbers(text: str) -> None:
    assert isinstance(parse_vat_number(text), NoMatch)


def test_normalize_malta_vat_checksum() -> None:
    # Build a number whose check digits are right by construction, then break it.
    first6 = "123456"
    weighted = sum(w * int(d) for w, d in zip((3, 4, 6, 7, 8, 9), first6))
    check = (37 - weighted % 37) % 37
    good = f"{first6}{check:02d}"
    assert malta_vat_checksum_ok(good)
    bad = f"{first6}{(check + 1) % 100:02d}"
    assert not malta_vat_checksum_ok(bad)
    result = parse_vat_number(f"VAT MT{good}")
    assert isinstance(result, ParsedVat) and result.checksum_ok is True


@pytest.mark.parametrize("text, value", [("2", "2"), ("x2", "2"), ("2 x", "2"), ("0,456 kg", "0.456"), ("3 PCS", "3")])
def test_normalize_parse_quantity_examples(text: str, value: str) -> None:
    result = parse_quantity(text)
    assert result and result.text == value  # type: ignore[union-attr]


def test_normalize_fix_digits_only_touches_numeric_runs() -> None:
    assert fix_digits("2O18") == "2018"
    assert fix_digits("SOLD IS") == "SOLD IS"
    assert fix_digits("9.OO") == "9.00"


@pytest.mark.parametrize(
    ("printed", "repaired"),
    [
        ("364 Randa11 Road", "364 Randall Road"),
        ("Ko11nerhofgasse 4", "Kollnerhofgasse 4"),
        ("Tyrone Square Ma11", "Tyrone Square Mall"),
        ("HIGHLANDS C0ffee", "HIGHLANDS Coffee"),
        ("HQ:7,J1n SS21/34", "HQ:7,Jln SS21/34"),
        # Left alone: upper-case codes, numbers glued to unit words, real numbers.
        ("K1A 0B1", "K1A 0B1"),
        ("District1 Suite11 Level10", "District1 Suite11 Level10"),
        ("#01-19/21 B4-03 94040", "#01-19/21 B4-03 94040"),
        ("1350 Grant Road", "1350 Grant Road"),
    ],
)
def test_normalize_fix_letters_in_words(printed: str, repaired: str) -> None:
    assert fix_letters_in_words(printed) == repaired


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdefABCDEF0123456789lo ,#-/", max_size=40))
def test_normalize_fix_letters_in_words_only_swaps_look_alikes(text: str) -> None:
    fixed = fix_letters_in_words(text)
    assert len(fixed) == len(text)
    for before, after in zip(text, fixed):
        assert before == after or (before, after) in {("1", "l"), ("0", "o"), ("0", "O")}
    assert fix_letters_in_words(fixed) == fixed  # repairing twice changes nothing more


# ---- properties -------------------------------------------------------------

ANY_TEXT = st.one_of(st.text(max_size=60), st.text(alphabet="0123456789/-.:, OoIlS$€RMTELVATGSTNOxX+()", max_size=40))
ANY_INPUT = st.one_of(ANY_TEXT, st.none(), st.integers(), st.floats(), st.binary(max_size=10))


@settings(max_examples=300, deadline=None)
@given(ANY_INPUT)
def test_normalize_parsers_never_raise(value: object) -> None:
    for parser in (parse_date, parse_time, parse_amount, detect_currency, parse_phone, parse_vat_number, parse_quantity):
        result = parser(value)  # type: ignore[operator]
        assert result is not None
        if isinstance(result, NoMatch):
            assert not result


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1971, 1, 1), max_value=dt.date(2098, 12, 31)), st.sampled_from(["/", "-", "."]))
def test_normalize_parse_date_roundtrips_printed_dates(date: dt.date, sep: str) -> None:
    dmy = f"{date.day:02d}{sep}{date.month:02d}{sep}{date.year}"
    mdy = f"{date.month:02d}{sep}{date.day:02d}{sep}{date.year}"
    ymd = f"{date.year}{sep}{date.month:02d}{sep}{date.day:02d}"
    assert parse_date(dmy, day_first=True).value == date  # type: ignore[union-attr]
    assert parse_date(mdy, day_first=False).value == date  # type: ignore[union-attr]
    assert parse_date(ymd).value == date  # type: ignore[union-attr]
    assert parse_date(f"DATE: {date.day} {date.strftime('%b')} {date.year}").value == date  # type: ignore[union-attr]


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=Decimal("-99999.99"), max_value=Decimal("99999.99"), places=2))
def test_normalize_parse_amount_roundtrips_printed_amounts(amount: Decimal) -> None:
    printed_en = f"{amount:,.2f}"
    printed_eu = printed_en.replace(",", "_").replace(".", ",").replace("_", ".")
    for printed in (printed_en, printed_eu, f"RM {printed_en}"):
        result = parse_amount(printed)
        assert isinstance(result, ParsedAmount), printed
        assert result.value == amount, printed


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"0[1-9][0-9]{7,8}", fullmatch=True), st.sampled_from(["", " ", "-"]))
def test_normalize_parse_phone_malaysian_numbers_are_e164(national: str, sep: str) -> None:
    printed = national[:3] + sep + national[3:]
    result = parse_phone(f"TEL: {printed}", country="MY")
    assert isinstance(result, ParsedPhone) and result.value == "+60" + national[1:]


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[0-9]{8}", fullmatch=True))
def test_normalize_parse_vat_number_malta_roundtrip(digits: str) -> None:
    result = parse_vat_number(f"VAT No: MT {digits[:4]}-{digits[4:]}")
    assert isinstance(result, ParsedVat) and result.value == "MT" + digits
    assert result.checksum_ok == malta_vat_checksum_ok(digits)


def test_normalize_find_dates_reads_eight_glued_digits_only_when_asked() -> None:
    from tillroll.extract.normalize import find_dates

    assert find_dates("27032018") == []  # on an arbitrary line eight digits are more often a code
    assert [d.iso for d in find_dates("27032018", glued=True)] == ["2018-03-27"]
    assert [d.iso for d in find_dates("No 27032018 on 05/04/2018", glued=True)] == ["2018-04-05"]  # a printed date wins
    assert find_dates("99999999", glued=True) == []


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("TOTAL S34.50", "34.50", None),  # "$" read as "S": not 534.50
        ("VISA s0.50", "0.50", None),
        ("S$12.50", "12.50", "SGD"),  # a printed Singapore dollar keeps its sign
        ("SUBTOTAL 12.50", "12.50", None),  # an S that ends a word is not a dollar
        ("1S.50", "15.50", None),  # inside a number an S is still a 5
    ],
)
def test_normalize_amount_with_its_dollar_sign_read_as_s(text: str, value: str, currency: str | None) -> None:
    from tillroll.extract.normalize import parse_amount

    amount = parse_amount(text)
    assert (amount.text, amount.currency) == (value, currency)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("20Mar'17", "2017-03-20"),  # the 0 of the day is not taken for an O of the month
        ("11-Dec-20147:50:45P", "2014-12-11"),  # a time glued onto the year
        ("dim. 04sept.16", "2016-09-04"),  # the digit repair must not eat the S of "sept"
        ("11Oct2017", "2017-10-11"),  # already read before ("0ct" is a month word): must stay so
        ("jeudi 23 juin 2016", "2016-06-23"),
        ("12 März 2019", "2019-03-12"),
        ("3 agosto 2015", "2015-08-03"),
        ("18 AVR 2014", "2014-04-18"),
    ],
)
def test_normalize_dates_with_month_names_in_other_languages_and_ocr_damage(text: str, iso: str) -> None:
    from tillroll.extract.normalize import parse_date

    assert parse_date(text).iso == iso


def test_normalize_the_hour_of_a_time_is_not_a_year() -> None:
    from tillroll.extract.normalize import find_dates, find_times

    assert find_dates("15 Jun 12:47") == [] and find_dates("Jun 15 12:47") == []
    # The C library's layout puts the time between the day and the year; the date leaves the time alone.
    [date] = find_dates("Wed Jun 15 12:47:59 2011")
    [time] = find_times("Wed Jun 15 12:47:59 2011")
    assert date.iso == "2011-06-15" and time.iso == "12:47:59"
    assert date.span[1] <= time.span[0]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("EIN: 56-1665356", "561665356"),
        ("NIP 549-989-93-75", "5499899375"),
        ("C.I.F.: A00484846", "A00484846"),
        ("N.I.F. B25139073", "B25139073"),  # a leading letter stays a letter (not 825139073)
        ("CIF: 28780926F", "28780926F"),
        ("Steuernr.: 162/119/00963", "162/119/00963"),
        ("SELLER'S PERMIT: 86-5169011", "865169011"),
        ("TAX ID: 0O1234567", "001234567"),  # an O among the digits is still a zero
    ],
)
def test_normalize_tax_numbers_under_their_national_names(text: str, value: str) -> None:
    from tillroll.extract.normalize import parse_vat_number

    assert parse_vat_number(text).value == value


@pytest.mark.parametrize(("text", "iso"), [("17-GEN-25", "2025-01-17"), ("5 maja 2021", "2021-05-05"), ("12 LIS 2020", "2020-11-12")])
def test_normalize_italian_and_polish_month_names(text: str, iso: str) -> None:
    from tillroll.extract.normalize import parse_date

    assert parse_date(text).iso == iso


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("65016 DÜSSELD0RF", "65016 DÜSSELDORF"),  # an O read as 0 inside a capitalised word
        ("H0TEL ROYAL", "HOTEL ROYAL"),
        ("B0X 12", "B0X 12"),  # too short to tell from a code
        ("K1A 0B1", "K1A 0B1"),
        ("ROOM 101", "ROOM 101"),
    ],
)
def test_normalize_capital_o_read_as_zero_in_names(text: str, fixed: str) -> None:
    from tillroll.extract.normalize import fix_letters_in_words

    assert fix_letters_in_words(text) == fixed


def test_normalize_amount_with_more_digits_than_the_decimal_context_does_not_raise() -> None:
    # OCR glues a barcode into one long number; parsing it must not end in decimal.InvalidOperation
    # (WildReceipt e368026983... did, in the assembler's tax-line search).
    from tillroll.normalize.amounts import find_amounts, format_amount

    assert format_amount(Decimal("1" * 40)) == "1" * 40 + ".00"
    found = find_amounts("SUBTOTAL 1234567890123456789012345678901.00")
    assert [a.value for a in found] == [Decimal("1234567890123456789012345678901.00")]
