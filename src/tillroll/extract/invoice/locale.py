"""How one invoice writes numbers and dates, found from the invoice itself.

The language is the one whose labels the document prints most; the country
comes from the seller's VAT id prefix, the IBAN, the currency or, failing
those, the language. The decimal mark is first read from the amounts printed
("160,00" against "160.00"), then from the country table. Dates are read by
the receipt parsers (`extract.normalize`) with the day/month order the country
gives; amounts are canonicalised here for the decimal mark and handed to the
same parsers' `format_amount`, so receipts and invoices share one notion of a
normalised amount.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ...normalize import (
    MONTH_FIRST_COUNTRIES,
    SELF_EVIDENT_VAT_SCHEMES,
    ParsedDate,
    detect_currency,
    find_dates,
    format_amount,
    parse_vat_number,
)
from .layout import Line
from .lexicon import Lexicon

# A printed number: optional sign or parenthesis, digits with optional grouping
# ('.', ',', apostrophe, thin or plain space) and an optional fraction.
# A number touching a slash is part of a reference or a date ("9754/2023", "12/05/2025"), never money.
_NUMBER = re.compile(
    r"(?<![\w.,'/])(?P<neg>[-–−(]\s?)?"
    r"(?P<num>\d{1,3}(?:[.,'\u2019\u00a0\u202f ]\d{3})+(?:[.,]\d{1,4})?|\d+(?:[.,]\d{1,4})?)"
    r"(?P<trail>-(?!\d)|\))?(?![\w/]|[.,]\d)"
)
_MAX_DIGITS = 15
_IBAN_HEAD = re.compile(r"\b([A-Z]{2})(\d{2})\s?[A-Z0-9]{4}")
IBAN_SHAPE = re.compile(r"^([A-Z]{2})(\d{2})([A-Z0-9]{10,30})$")
_TWO_DECIMALS = {",": re.compile(r"\d,\d{2}(?!\d)"), ".": re.compile(r"\d\.\d{2}(?!\d)")}


def iban_ok(iban: str, lengths: dict[str, int] | None = None) -> bool:
    """ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 == 1."""
    iban = re.sub(r"\s", "", iban).upper()
    m = IBAN_SHAPE.match(iban)
    if not m:
        return False
    if lengths and m.group(1) in lengths and len(iban) != lengths[m.group(1)]:
        return False
    digits = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def _iban_country(compact: str, start: int, lexicon: Lexicon) -> str | None:
    """The country of an IBAN printed at `compact[start:]` (spaces removed), if one is there.

    Two capitals and two digits alone are no evidence: a US address ends "CA 94103",
    a Dutch postcode "3542 AD 12". Only a country that has IBANs, at its IBAN length,
    with valid check digits counts.
    """
    country = compact[start : start + 2]
    length = lexicon.countries.get(country, {}).get("iban")
    if not length:
        return None
    candidate = compact[start : start + int(length)]
    return country if len(candidate) == int(length) and iban_ok(candidate) else None


# Currencies without a minor unit in use (ISO 4217 exponent 0): "207.576 kr." is a whole
# amount of Icelandic krónur, and amounts there are printed without decimals.
WHOLE_UNIT_CURRENCIES = frozenset({"ISK", "JPY", "KRW", "CLP", "PYG", "VND", "XAF", "XOF", "UGX"})


@dataclass(frozen=True)
class InvoiceLocale:
    language: str | None
    country: str | None
    decimal: str  # "," or "."
    day_first: bool | None  # None: nothing on the document settled it
    currency: str | None

    @property
    def thousands(self) -> str:
        return "." if self.decimal == "," else ","


@dataclass(frozen=True)
class Money:
    value: Decimal
    text: str  # normalised decimal string ("1234.50", "-20.48")
    span: tuple[int, int]
    percent: bool  # printed with a % sign (a rate, not money)


def to_decimal(num: str, decimal: str) -> Decimal | None:
    """The value of a printed number whose decimal mark is `decimal`.

    A separator followed by exactly three digits groups thousands unless it is the
    decimal mark; a separator followed by one, two or four digits at the end is a
    decimal mark whatever the locale ("160.00" on a German invoice is still 160).
    """
    num = re.sub(r"[\s'\u2019\u00a0\u202f]", "", num)
    if not num:
        return None
    seps = [(i, ch) for i, ch in enumerate(num) if ch in ".,"]
    if seps:
        last_i, last_ch = seps[-1]
        tail = len(num) - last_i - 1
        repeated = sum(1 for _, ch in seps if ch == last_ch) > 1  # a decimal mark is printed once
        if tail == 3 and (last_ch != decimal or repeated) and not (len(seps) > 1 and seps[0][1] != last_ch):
            int_part, frac = num, ""
        else:
            int_part, frac = num[:last_i], num[last_i + 1 :]
        int_part = re.sub(r"[.,]", "", int_part)
        num = int_part + ("." + frac if frac else "")
    # More than 15 integer digits is an id or a reference (an IBAN's digits, an order
    # number), never money: it would also overflow the decimal context when rounded.
    if len(num.split(".")[0].lstrip("0")) > _MAX_DIGITS:
        return None
    try:
        return Decimal(num)
    except InvalidOperation:
        return None


def find_money(text: str, decimal: str) -> list[Money]:
    """Every number in `text` read with the decimal mark `decimal`, signs kept."""
    out: list[Money] = []
    for m in _NUMBER.finditer(text):
        value = to_decimal(m.group("num"), decimal)
        if value is None:
            continue
        neg, trail = (m.group("neg") or "").strip(), m.group("trail") or ""
        if (neg == "(" and trail == ")") or neg in {"-", "–", "−"} or (trail == "-" and not neg):
            value = -value
        if value.is_zero():
            value = abs(value)
        after = text[m.end() : m.end() + 2].lstrip()
        out.append(Money(value, format_amount(value), m.span(), after.startswith("%")))
    return out


def parse_rate(text: str, decimal: str) -> Decimal | None:
    """A percentage such as "19%", "5,5 %", "20.0%" (None without a % sign)."""
    for m in find_money(text, decimal):
        if m.percent and Decimal(0) <= m.value <= Decimal(100):
            return m.value
    return None


def format_rate(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def read_date(text: str, loc: InvoiceLocale) -> ParsedDate | None:
    """The first date in `text`, day/month order from the locale (flagged ambiguous when unknown)."""
    dates = find_dates(text, day_first=loc.day_first)
    return dates[0] if dates else None


_NUMERIC_DATE = re.compile(r"(?<![\d.])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d])")


def _date_order_evidence(text: str) -> bool | None:
    """True (day first) or False (month first) when a date on the document can only be read one way."""
    day_first = month_first = 0
    for m in _NUMERIC_DATE.finditer(text):
        a, b = int(m.group(1)), int(m.group(3))
        if a > 12 and 1 <= b <= 12:
            day_first += 1
        elif b > 12 and 1 <= a <= 12:
            month_first += 1
    if day_first and not month_first:
        return True
    if month_first and not day_first:
        return False
    return None


# A bare "$" is read as USD without a country; these currencies print the same symbol.
_DOLLARS = ("CAD", "AUD", "NZD", "SGD", "HKD", "MXN")


def _document_currency(lines: Sequence[Line], country: str | None, national: str | None) -> str | None:
    """The currency most lines name, the country's own on a tie (or when none is named).

    A mark that is no ISO 4217 code ("RM", "RS", "RP") counts only right before a number
    ("RM 27.55"): on an invoice it is as often a province ("Roma (RM)"). A symbol or an
    ISO code counts wherever it stands ("Währung: EUR").
    """
    votes: Counter[str] = Counter()
    printed_codes: Counter[str] = Counter()
    for line in lines:
        for code in re.findall(r"\b[A-Z]{3}\b", line.text):
            printed_codes[code] += 1
        cur = detect_currency(line.text, country)
        if not cur:
            continue
        mark = cur.evidence
        if mark[:1].isalpha() and mark.upper() != cur.code and not re.search(re.escape(mark) + r"\s?[-–(]?\d", line.text):
            continue
        votes[cur.code] += 1
    if not votes:
        return national
    # "$" stands for several currencies; a dollar code printed on the document ("$655.50 CAD")
    # says which, so the votes of "$" read as USD go to it.
    named = [c for c in _DOLLARS if c in votes and printed_codes.get(c)]
    if "USD" in votes and not printed_codes.get("USD") and len(named) == 1:
        votes[named[0]] += votes.pop("USD")
    best = max(votes.values())
    winners = [code for code, n in votes.items() if n == best]
    return national if national in winners else winners[0]


def detect_locale(lines: Sequence[Line], lexicon: Lexicon, country_hint: str | None = None) -> InvoiceLocale:
    """Language, country, decimal mark, date order and currency of the document."""
    votes: Counter[str] = Counter()
    for line in lines:
        for hit in line.hits:
            for lang in {m.language for m in hit.meanings}:
                votes[lang] += 1
    language = votes.most_common(1)[0][0] if votes else None
    text = "\n".join(line.text for line in lines)

    country = country_hint.upper() if country_hint else None
    if country is None:
        found: Counter[str] = Counter()
        for line in lines:
            vat = parse_vat_number(line.text)
            if vat and getattr(vat, "scheme", "") in SELF_EVIDENT_VAT_SCHEMES and vat.country:
                found[vat.country] += 2
            compact = line.text.replace(" ", "")
            for m in _IBAN_HEAD.finditer(compact[:64]):
                iban_country = _iban_country(compact, m.start(), lexicon)
                if iban_country:
                    found[iban_country] += 1
        if found:
            country = found.most_common(1)[0][0]
    evidenced = country is not None
    if country is None and language:
        candidates = lexicon.language_countries.get(language, ())
        country = candidates[0] if candidates else None

    counts = {mark: len(rx.findall(text)) for mark, rx in _TWO_DECIMALS.items()}
    if counts[","] != counts["."]:
        decimal = "," if counts[","] > counts["."] else "."
    else:
        decimal = str(lexicon.countries.get(country or "", {}).get("decimal", "."))

    currency = _document_currency(lines, country, lexicon.countries.get(country or "", {}).get("currency"))
    # The order of day and month follows the country; English without a country
    # (US or UK?) is left undecided, so an ambiguous date is flagged.
    evidence = _date_order_evidence(text)
    if evidence is not None:
        day_first: bool | None = evidence
    elif country and (evidenced or language != "en"):
        day_first = country not in MONTH_FIRST_COUNTRIES
    elif language and language != "en":
        day_first = True
    else:
        day_first = None
    return InvoiceLocale(language, country, decimal, day_first, currency)
