"""Money: currency marks -> ISO 4217 codes, printed amounts -> decimal strings, and quantities."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation, localcontext
from functools import lru_cache
from typing import Any

from .ocr_fixes import fix_digits
from .results import CurrencyMatch, NoMatch, ParsedAmount, ParsedQuantity, _no

# Evidence -> ISO 4217. Longer marks are tried first so "S$" wins over "$".
_CURRENCY_MARKS: dict[str, str] = {
    "€": "EUR",
    "EUR": "EUR",
    "EURO": "EUR",
    "EUROS": "EUR",
    "£": "GBP",
    "GBP": "GBP",
    "RM": "MYR",
    "MYR": "MYR",
    "S$": "SGD",
    "SGD": "SGD",
    "US$": "USD",
    "USD": "USD",
    "HK$": "HKD",
    "HKD": "HKD",
    "A$": "AUD",
    "AUD": "AUD",
    "C$": "CAD",
    "CAD": "CAD",
    "NT$": "TWD",
    "TWD": "TWD",
    "¥": "JPY",
    "JPY": "JPY",
    "円": "JPY",
    "CNY": "CNY",
    "RMB": "CNY",
    "元": "CNY",
    "₹": "INR",
    "INR": "INR",
    "RS": "INR",
    "₩": "KRW",
    "KRW": "KRW",
    "₱": "PHP",
    "PHP": "PHP",
    "฿": "THB",
    "THB": "THB",
    "RP": "IDR",
    "IDR": "IDR",
    "CHF": "CHF",
    "₺": "TRY",
    "ZAR": "ZAR",
}
# What a bare "$" means in a country that prints it for its own currency.
_DOLLAR_BY_COUNTRY = {"US": "USD", "SG": "SGD", "AU": "AUD", "CA": "CAD", "HK": "HKD", "NZ": "NZD", "TW": "TWD", "MY": "MYR"}
_COUNTRY_CURRENCY = {
    "MY": "MYR",
    "MT": "EUR",
    "GB": "GBP",
    "UK": "GBP",
    "US": "USD",
    "SG": "SGD",
    "IE": "EUR",
    "DE": "EUR",
    "FR": "EUR",
    "IT": "EUR",
    "ES": "EUR",
    "NL": "EUR",
    "AU": "AUD",
    "CA": "CAD",
    "HK": "HKD",
    "IN": "INR",
    "JP": "JPY",
    "CN": "CNY",
}
_LETTER_MARKS = sorted((k for k in _CURRENCY_MARKS if k[0].isalpha()), key=len, reverse=True)
_SYMBOL_MARKS = sorted((k for k in _CURRENCY_MARKS if not k[0].isalpha()), key=len, reverse=True)
# Letter codes must stand alone or touch a number ("RM27.55"), never sit inside a word ("FARM",
# "Överförs": any letter, not only ASCII, closes the word).
# (The lookahead on the codes' first letters only lets the engine skip ahead quickly: it
# halves the time of this search, which runs on every line that prints an amount.)
_LETTER_MARK_RE = re.compile(
    r"(?<![^\W\d_])(?=[" + re.escape("".join(sorted({k[0] for k in _LETTER_MARKS}))) + r"])"
    r"(" + "|".join(re.escape(k) for k in _LETTER_MARKS) + r")(?![^\W\d_])",
    re.IGNORECASE,
)


def currency_of_country(country: str | None) -> str | None:
    return _COUNTRY_CURRENCY.get(country.upper()) if country else None


def detect_currency(text: Any, country: str | None = None) -> CurrencyMatch | NoMatch:
    """ISO 4217 code from a symbol or code in `text` ("RM", "€", "S$", "GBP"...).

    A bare "$" is read through the country hint (SGD in Singapore) and is USD
    without one. "RS"/"RP" count only right before a number, since they are
    also ordinary abbreviations.
    """
    if not isinstance(text, str) or not text:
        return _no("currency", text, "empty text")
    return _detect_currency(text, country)


# Asked of every word next to an amount and of whole receipts; results are immutable.
@lru_cache(maxsize=8192)
def _detect_currency(text: str, country: str | None) -> CurrencyMatch | NoMatch:
    try:
        for mark in _SYMBOL_MARKS:
            if mark in text:
                return CurrencyMatch(_CURRENCY_MARKS[mark], mark)
        for m in _LETTER_MARK_RE.finditer(text):
            mark = m.group(1).upper()
            if mark in {"RS", "RP"} and not re.match(r"\s?\.?\s?\d", text[m.end() :]):
                continue
            return CurrencyMatch(_CURRENCY_MARKS[mark], m.group(1))
        if "$" in text:
            return CurrencyMatch(_DOLLAR_BY_COUNTRY.get((country or "").upper(), "USD"), "$")
    except Exception as exc:  # pragma: no cover
        return _no("currency", text, f"internal error: {exc!r}")
    return _no("currency", text, "no currency symbol or ISO code")


# Countries whose thousands separator is a space ("1 234,56"), as their national
# conventions (and CLDR) write money. In these a plain space between digit groups
# may group thousands; elsewhere a plain space separates columns (receipts print
# "2 12,50" for quantity and price), so it never joins two numbers.
SPACE_GROUPING_COUNTRIES = frozenset({"BG", "CZ", "EE", "FI", "FR", "HU", "LT", "LU", "LV", "NO", "PL", "PT", "RU", "SE", "SK", "UA"})
# Thousands separators that are never column gaps: the apostrophe (Switzerland,
# "1'234.56", also typeset as a right single quote) and the no-break and thin
# spaces typesetting puts between digit groups.
_GROUP_MARKS = "'\u2019\u00a0\u202f\u2009"

# A number as receipts print money: 1,234.50 / 1.234,50 / 1'234.50 / 1 234,50 (no-break
# space) / 12,50 / 12.5 / 7 / -3.00 / (3.00) / 3.00-. One separator groups all thousands
# of a number. (The leading lookahead changes nothing that matches; it lets the engine
# skip letters fast.)
_NUM_BODY = (
    r"\d{1,3}(?P<sep>[,." + _GROUP_MARKS + r"])\d{3}(?:(?P=sep)\d{3})*(?:[.,]\d{1,3})?"
    r"|\d+(?:[.,]\s?\d{1,3})?|[.,]\d{2})"
)
_AMOUNT = re.compile(
    r"(?=[-–(\d.,])(?<![\d.,])(?P<neg>[-–(]\s?)?"
    r"(?P<num>" + _NUM_BODY + r"(?P<trail>\)|-(?!\d))?(?![\d]|[.,]\d)"
)
# The same where a plain space may group thousands (SPACE_GROUPING_COUNTRIES): only with
# the cents printed ("15 247,16"), since a bare "2 125" is as likely two columns.
_AMOUNT_SPACED = re.compile(
    r"(?=[-–(\d.,])(?<![\d.,])(?P<neg>[-–(]\s?)?"
    r"(?P<num>\d{1,3}(?: \d{3})+[.,]\d{2}(?!\d)|" + _NUM_BODY + r"(?P<trail>\)|-(?!\d))?(?![\d]|[.,]\d)"
)


def _to_decimal(num: str) -> Decimal | None:
    num = re.sub("[ " + _GROUP_MARKS + "]", "", num)
    if num[0] in ".,":
        num = "0" + num
    last_dot, last_comma = num.rfind("."), num.rfind(",")
    if last_dot >= 0 and last_comma >= 0:  # both present: the later one is the decimal mark
        dec = "." if last_dot > last_comma else ","
        thousands = "," if dec == "." else "."
        num = num.replace(thousands, "").replace(dec, ".")
    elif last_comma >= 0:
        groups = num.split(",")
        # "1,234" and "12,345,678": thousands; "12,50" or "3,5": a decimal comma.
        if len(groups) > 2 or (len(groups[-1]) == 3 and len(groups[0]) <= 3 and groups[0] != "0"):
            num = num.replace(",", "")
        else:
            num = num.replace(",", ".")
    elif num.count(".") > 1:  # "1.234.567": dotted thousands
        num = num.replace(".", "")
    try:
        return Decimal(num)
    except InvalidOperation:
        return None


def format_amount(value: Decimal) -> str:
    """Decimal string with at least two decimals: 27 -> "27.00", 0.125 -> "0.125"."""
    if value == value.to_integral_value() or -value.as_tuple().exponent <= 2:  # type: ignore[operator]
        # A long digit run that OCR glued together (a barcode read as one number) has more
        # digits than the default 28-digit context can quantize; widen it for this value.
        with localcontext() as ctx:
            ctx.prec = max(ctx.prec, len(value.as_tuple().digits) + 4)
            value = value.quantize(Decimal("0.01"))
    s = format(value, "f")
    return "0.00" if s in {"-0.00"} else s


def find_amounts(text: Any, country: str | None = None) -> list[ParsedAmount]:
    """Every money-like number in `text`, left to right."""
    if not isinstance(text, str) or not text:
        return []
    return list(_find_amounts(text, country))


# A dollar sign read as "S" in front of a price ("S34.50", "s0.50"): OCR makes this slip far
# more often than it reads a leading 5 as S, and "534.50" would be a wrong total. Only a
# token-initial S directly before a number with two decimals counts; the currency is still
# taken from what is printed, not from this guess.
_DOLLAR_READ_AS_S = re.compile(r"(?<![A-Za-z0-9$])[Ss](?=\d{1,6}[.,]\d{2}(?![\d.,]))")


@lru_cache(maxsize=8192)
def _find_amounts(text: str, country: str | None) -> tuple[ParsedAmount, ...]:
    fixed = fix_digits(_DOLLAR_READ_AS_S.sub("$", text) if "S" in text or "s" in text else text)
    spaced = country is not None and country.upper() in SPACE_GROUPING_COUNTRIES
    matches = list((_AMOUNT_SPACED if spaced else _AMOUNT).finditer(fixed))
    if not matches:
        return ()
    code: str | None = None
    if not fixed.isdigit():
        cur = detect_currency(text, country)
        code = cur.code if cur else None
    out: list[ParsedAmount] = []
    for m in matches:
        value = _to_decimal(m.group("num"))
        if value is None:
            continue
        neg = m.group("neg") or ""
        trail = m.group("trail") or ""
        if ("(" in neg and trail == ")") or (neg.strip() in {"-", "–"}) or (trail == "-" and not neg):
            value = -value
        if value.is_zero():
            value = abs(value)
        out.append(ParsedAmount(value, format_amount(value), code, m.span()))
    return tuple(out)


def parse_amount(text: Any, country: str | None = None) -> ParsedAmount | NoMatch:
    """The money amount in `text`: the last number, since receipts print labels before values.

    Thousands separators and decimal commas are resolved from their grouping
    ("1.234,50", "1,234.50", "1'234.50" and "1 234,50" with a no-break space
    are all 1234.50; "12,50" is 12.50); a plain space groups thousands only in
    a `country` that writes numbers so (SPACE_GROUPING_COUNTRIES: "15 247,16"
    in PL is 15247.16, elsewhere the space ends a column), negatives
    may be printed "-3.00", "3.00-" or "(3.00)", and the currency is taken from
    any symbol or code in the text.
    """
    try:
        amounts = find_amounts(text, country)
    except Exception as exc:  # pragma: no cover
        return _no("amount", text, f"internal error: {exc!r}")
    if not amounts:
        return _no("amount", text, "no number")
    return amounts[-1]


_QUANTITY = re.compile(r"(?<![\w.,])(?:[xX]\s?)?(?P<num>\d{1,4}(?:[.,]\d{1,3})?)(?:\s?(?:[xX*@]|pcs|pc|qty|units?|kg|g|l)\b)?", re.IGNORECASE)


def parse_quantity(text: Any) -> ParsedQuantity | NoMatch:
    """A count or measure such as "2", "x2", "2 x", "1.000", "0,456 kg" (first number in the text)."""
    if not isinstance(text, str) or not text:
        return _no("quantity", text, "empty text")
    try:
        m = _QUANTITY.search(fix_digits(text))
        if not m:
            return _no("quantity", text, "no number")
        value = _to_decimal(m.group("num").replace(",", "."))
        if value is None:
            return _no("quantity", text, "not a number")
        value = value.normalize() if value == value.to_integral_value() else value
        s = format(value.quantize(Decimal(1)) if value == value.to_integral_value() else value, "f")
        return ParsedQuantity(value, s, m.span())
    except Exception as exc:  # pragma: no cover
        return _no("quantity", text, f"internal error: {exc!r}")
