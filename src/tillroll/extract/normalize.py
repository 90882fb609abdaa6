"""Parsers that turn printed receipt strings into normalised values.

Every parser takes the text as OCR read it (keywords, currency marks and the
usual OCR confusions included) and returns either a small frozen dataclass with
the normalised value or a `NoMatch` naming what it looked for. They never raise
(any input, even a non-string, gives one of the two), so the field assembler,
the checks and the evaluation toolkit can call them on anything.

    parse_date("Date: 14/03/2018")          -> ParsedDate(iso="2018-03-14", order="dmy", ambiguous=False, ...)
    parse_date("03/04/2018")                -> ambiguous=True (day-first assumed unless told)
    parse_date("03/04/2018", day_first=False) or country="US" -> "2018-03-04"
    parse_time("12:45 PM")                  -> ParsedTime(iso="12:45:00")
    parse_amount("RM 1,234.50")             -> ParsedAmount(value=Decimal("1234.50"), text="1234.50", currency="MYR")
    detect_currency("€ 4.20")               -> CurrencyMatch(code="EUR", evidence="€")
    parse_phone("TEL: 03-3271 9872", country="MY") -> ParsedPhone(value="+60332719872", e164=True)
    parse_vat_number("VAT No. MT1234-5678") -> ParsedVat(value="MT12345678", country="MT", scheme="eu_vat")
    parse_quantity("2 x")                   -> ParsedQuantity(text="2")

Results are falsy when nothing matched (`NoMatch.__bool__` is False), so
`if (d := parse_date(s)):` reads naturally.

Conventions: amounts are decimal strings with at least two decimals (never
floats); dates are ISO 8601; phone numbers are E.164 when the country is known
from the number itself (+356, 0060...) or from the `country` hint (ISO 3166
alpha-2), otherwise the bare digits with `e164=False`.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from functools import lru_cache
from decimal import Decimal, InvalidOperation
from typing import Any

# ---------------------------------------------------------------------------
# Result types
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NoMatch:
    """What a parser returns when the text holds no value of its kind."""

    kind: str  # "date", "time", "amount", "currency", "phone", "vat", "quantity"
    text: str
    reason: str

    def __bool__(self) -> bool:
        return False


@dataclass(frozen=True)
class ParsedDate:
    value: _dt.date
    iso: str
    order: str  # "dmy", "mdy" or "ymd": how the printed components were read
    ambiguous: bool  # True when day and month could be swapped and nothing decided it
    span: tuple[int, int]  # where in the input text the date was found
    textual_month: bool = False


@dataclass(frozen=True)
class ParsedTime:
    value: _dt.time
    iso: str
    span: tuple[int, int]


@dataclass(frozen=True)
class ParsedAmount:
    value: Decimal
    text: str  # normalised decimal string, e.g. "1234.50", "-3.00"
    currency: str | None
    span: tuple[int, int]


@dataclass(frozen=True)
class CurrencyMatch:
    code: str  # ISO 4217
    evidence: str  # the symbol or word that gave it away


@dataclass(frozen=True)
class ParsedPhone:
    value: str  # E.164 ("+35621234567") when e164, else the digits as printed
    digits: str
    country: str | None
    e164: bool
    span: tuple[int, int]


@dataclass(frozen=True)
class ParsedVat:
    value: str  # compact, upper case: "MT12345678", "000689913856"
    country: str | None
    scheme: str  # "eu_vat", "my_gst", "my_sst", "mt_exo", "generic"
    checksum_ok: bool | None  # None where the scheme has no check digit we verify
    span: tuple[int, int]


@dataclass(frozen=True)
class ParsedQuantity:
    value: Decimal
    text: str
    span: tuple[int, int]


def _no(kind: str, text: Any, reason: str) -> NoMatch:
    return NoMatch(kind, text if isinstance(text, str) else repr(text)[:200], reason)


# ---------------------------------------------------------------------------
# OCR confusions
# ---------------------------------------------------------------------------

# Letters OCR prints where a digit was meant. Applied only inside runs that are
# already mostly digits, so words like "SOLO" are untouched.
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "i": "1", "|": "1", "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2"})
# Runs of digits and look-alikes that contain at least one real digit (others never need fixing).
_DIGITISH_RUN = re.compile(r"[OoDQlIi|SsBZz]*[0-9][0-9OoDQlIi|SsBZz]*")
_DECIMAL_LETTERS = re.compile(r"(?<=\d[.,])[Oo0]{2}(?![A-Za-z0-9])")
# Either rewrite can only change a text that has a look-alike touching a digit, or an "O"
# right after a decimal mark; most receipt lines have neither and skip both substitutions.
_MAY_NEED_FIX = re.compile(r"[OoDQlIi|SsBZz][0-9]|[0-9][OoDQlIi|SsBZz]|[0-9][.,]0?[Oo]")


@lru_cache(maxsize=16384)
def fix_digits(text: str) -> str:
    """Replace digit look-alike letters inside mostly-numeric runs; length is preserved.

    A run is rewritten when it has at least one real digit and its real digits
    outnumber the look-alikes, e.g. "2O18" -> "2018", "l2.5O" -> "12.50",
    but "SOLD" or "IS" stay as they are.
    """

    def repl(m: re.Match[str]) -> str:
        run = m.group(0)
        if run.isdigit():
            return run
        digits = sum(c.isdigit() for c in run)
        lookalikes = len(run) - digits
        if digits == 0 or digits < lookalikes:
            return run
        if digits == lookalikes:
            # A tie ("O3", "1s") is rewritten only when no other letter touches the
            # run: "O3-2018" is a month, "1st" is an ordinal.
            before = text[m.start() - 1] if m.start() else " "
            after = text[m.end()] if m.end() < len(text) else " "
            if before.isalpha() or after.isalpha():
                return run
        return run.translate(_DIGIT_LOOKALIKES)

    if not _MAY_NEED_FIX.search(text):
        return text
    text = _DIGITISH_RUN.sub(repl, text)
    # Decimals read as letters right after a decimal mark: "9.OO" -> "9.00".
    return _DECIMAL_LETTERS.sub(lambda m: m.group(0).translate(_DIGIT_LOOKALIKES), text)


# "1" and "0" read for "l" and "o" inside lower-case words ("Randa11 Road", "Ko11nerhofgasse",
# "C0ffee"): a run of them counts only with a lower-case letter on one side and a letter on
# the other, or as "11" ending a lower-case word ("Ma11", "Mi11"). Upper-case codes ("K1A",
# "B1") and numbers glued to words ("District1", "Level 1", "Suite11") are left as printed.
_LETTER_LOOKALIKE_RUN = re.compile(r"(?<=[a-z])[10]+(?=[A-Za-z])|(?<=[A-Za-z])[10]+(?=[a-z])|(?<=[a-z])11(?![\w])")
_NUMBERED_PLACES = frozenset(
    "suite ste unit level lvl floor flr lot block blk shop stall no room rm gate bay apt flat store site pier dock lane row street road district zone".split()
)
_LETTER_LOOKALIKES = str.maketrans({"1": "l", "0": "o"})
_CAPITAL_ZERO = re.compile(r"(?<=[^\W\d_])0(?=[^\W\d_])")


@lru_cache(maxsize=4096)
def fix_letters_in_words(text: str) -> str:
    """Undo digit-for-letter OCR slips inside words of a name or address; length is preserved.

    A word is only touched when its digits are all such look-alikes, so "B4-03",
    "#01-19" and "94040" keep their digits.
    """
    if "1" not in text and "0" not in text:
        return text

    def fix_word(m: re.Match[str]) -> str:
        word = m.group(0)
        if sum(c.isalpha() for c in word) < 2 or any(c.isdigit() and c not in "10" for c in word):
            return word
        if word.rstrip("10").lower() in _NUMBERED_PLACES:
            return word
        word = _LETTER_LOOKALIKE_RUN.sub(lambda r: r.group(0).translate(_LETTER_LOOKALIKES), word)
        # An O read as 0 inside a capitalised word ("DÜSSELD0RF", "H0TEL"): only zeros, letters
        # on both sides, four letters at least, so codes such as "K1A" or "B0X" stay.
        if "0" in word and sum(c.isalpha() for c in word) >= 4 and not any(c.isdigit() and c != "0" for c in word):
            word = _CAPITAL_ZERO.sub("O", word)
        return word

    return re.sub(r"[A-Za-z0-9]+", fix_word, text)


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

# Month names: English and Maltese, French, Spanish, Italian, German and Polish, full and
# abbreviated, plus misreadings seen in OCR output (0 for O, missing letters). Keys are lower case.
_MONTH_WORDS: dict[str, int] = {}
for _num, _names in enumerate(
    [
        "january jan jannar jann janu jauary januray janvier janv enero ene gennaio genn gen januar stycznia styczeń sty",
        "february feb febr frar fra febuary feburary février fevrier févr fevr fév fev febrero febbraio februar lutego luty lut",
        "march mar marzu mrz mars marzo märz marz marca marzec",
        "april apr aprile apl avril avr abril abr kwietnia kwiecień kwi",
        "may mejju mej mai mayo maggio mag maja maj",
        "june jun gunju ġunju ġun gun jume juin junio giugno giu juni czerwca czerwiec cze",
        "july jul lulju lul juli juillet juil julio luglio lug lipca lipiec lip",
        "august aug awwissu aww agust augst auc août aout agosto ago sierpnia sierpień sie",
        "september sep sept settembru set septembre septiembre settembre września wrzesień wrz",
        "october oct ottubru ott 0ct octobre 0ctober octubre ottobre okt oktober października październik paź",
        "november nov novembru n0v novemver noviembre novembre listopada listopad lis",
        "december dec dicembru diċembru dic diċ decmber dec3mber décembre decembre déc diciembre dicembre dezember dez grudnia grudzień gru",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTH_WORDS[_name] = _num

_MONTH_RE = "|".join(sorted((re.escape(m) for m in _MONTH_WORDS), key=len, reverse=True))
_SEP = r"\s*[-/.]\s*"
# Numeric: 14/03/2018, 14-3-18, 2018-03-14, 14.03.2018 (separators must agree).
# Not inside a product code ("RC11-23-42", "SP-18/06/09-1018"), but after a label's
# ":-" ("DATE:-27-02-2014"); a time glued on by OCR ("12-11-201718:45:28",
# "06/04/1711:43am": a two-digit year then the time) or after a dash or comma
# ("07/04/2018-18.10:59", "26/03/2017,11:59") may follow.
_NUMERIC_DATE = re.compile(
    r"(?:(?<![A-Za-z\d.,/\-])|(?<=:-))(?:(?P<y1>(?:19|20)\d{2})(?P<s1>\s*[-/.]\s*)(?P<m1>\d{1,2})(?P=s1)(?P<d1>\d{1,2})"
    r"|(?P<a>\d{1,2})(?P<s2>\s*[-/.]\s*)(?P<b>\d{1,2})(?P=s2)(?P<y2>\d{2}(?=\d{1,2}:\d{2})|\d{4}|\d{2}))"
    r"(?:(?=\d{1,2}:\d{2})|(?=\s*[-,]\s*\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?!\d))|(?![\d]|[.,]\d|-\d|/\d))"
)
# Something every numeric or glued date contains (two separators between digits, or
# "2703/2018"); price lines ("12.50") have neither and skip the two patterns.
_NUMERIC_PREFILTER = re.compile(r"\d(?:\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d|\d{3}[/.-](?:19|20)\d\d)")
# "27032018": every separator lost; only read where the word is already known to be a date.
_DMY_GLUED = re.compile(r"(?<![\d.,/\-])(?P<a>\d{2})(?P<b>\d{2})(?P<y>(?:19|20)\d{2})(?!\d)")
# "2703/2018": OCR lost the first separator.
_DAYMONTH_GLUED = re.compile(r"(?<![\d.,/\-])(?P<a>\d{2})(?P<b>\d{2})[/.-](?P<y>(?:19|20)\d{2})(?!\d)")
# Textual: 14 March 2018, 14-MAR-18, 14Mar2018, 1st Jan 2019, Maltese "9 ta' Settembru 2023"
# A time glued on by OCR may follow a four-digit year ("11-Dec-20147:50:45P").
_DAY_MONTH_YEAR = re.compile(
    rf"(?<!\d)(?P<d>\d{{1,2}})(?:st|nd|rd|th|\s+ta['’]?)?[\s\-/.,]*(?P<m>{_MONTH_RE})\.?[\s\-/.,']*(?P<y>\d{{4}}(?=\d{{1,2}}:\d{{2}})|(?:\d{{4}}|\d{{2}}(?!\s?:\d))(?!\d))",
    re.IGNORECASE,
)
# Textual: March 14, 2018 / Mar 14 2018 / MAR-14-2018. In both, two digits followed by a
# colon are the hour of a time, not the year ("Jun 15 12:47:59 2011").
_MONTH_DAY_YEAR = re.compile(
    rf"(?<![A-Za-z])(?P<m>{_MONTH_RE})\.?[\s\-/.]*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s\-/.,']+(?P<y>\d{{4}}|\d{{2}}(?!\s?:\d))(?!\d)",
    re.IGNORECASE,
)
# The C library's layout: "Jun 15 12:47:59 2011", the time between the day and the year.
_MONTH_DAY_TIME_YEAR = re.compile(
    rf"(?<![A-Za-z])(?P<m>{_MONTH_RE})\.?\s+(?P<d>\d{{1,2}})\s+\d{{1,2}}:\d{{2}}(?::\d{{2}})?\s+(?P<y>(?:19|20)\d{{2}})(?!\d)",
    re.IGNORECASE,
)
_LETTER_TOKEN = re.compile(r"(?:[^\W\d_]|0){3,}")
# Countries that print month first; everyone else here (MY, MT, GB, EU...) prints day first.
MONTH_FIRST_COUNTRIES = frozenset({"US", "PH", "FM", "MH", "PW"})


def _year(text: str) -> int:
    y = int(text)
    if len(text) == 2:
        y += 2000 if y < 70 else 1900
    return y


def _make_date(y: int, m: int, d: int) -> _dt.date | None:
    if not 1970 <= y <= 2099:
        return None
    try:
        return _dt.date(y, m, d)
    except ValueError:
        return None


def _day_first_default(day_first: bool | None, country: str | None) -> tuple[bool, bool]:
    """(day_first, decided): whether the caller or the country settled the order."""
    if day_first is not None:
        return day_first, True
    if country:
        return country.upper() not in MONTH_FIRST_COUNTRIES, True
    return True, False


def find_dates(text: Any, day_first: bool | None = None, country: str | None = None, glued: bool = False) -> list[ParsedDate]:
    """Every valid date in `text`, in order of appearance.

    `glued` also reads eight digits without separators ("27032018") as a day, month
    and year when nothing else in `text` is a date: for words already labelled as a
    date, since on an arbitrary line such a run is more often a code.
    """
    if not isinstance(text, str) or not text:
        return []
    found = _find_dates(text, day_first, country)
    if not found and glued:
        found = _find_glued_dates(text, day_first, country)
    return list(found)


@lru_cache(maxsize=1024)
def _find_glued_dates(text: str, day_first: bool | None, country: str | None) -> tuple[ParsedDate, ...]:
    prefer_day_first, decided = _day_first_default(day_first, country)
    readings = (_day_month_reading(int(m["a"]), int(m["b"]), int(m["y"]), prefer_day_first, decided, m.span()) for m in _DMY_GLUED.finditer(fix_digits(text)))
    return tuple(p for p in readings if p is not None)


def _day_month_reading(a: int, b: int, year: int, prefer_day_first: bool, decided: bool, span: tuple[int, int]) -> ParsedDate | None:
    """The date "a/b/year" stands for: the only valid reading, else the preferred order (ambiguous unless decided)."""
    dmy, mdy = _make_date(year, b, a), _make_date(year, a, b)
    if dmy and mdy and dmy != mdy:
        chosen, order = (dmy, "dmy") if prefer_day_first else (mdy, "mdy")
        return ParsedDate(chosen, chosen.isoformat(), order, not decided, span)
    if dmy or mdy:
        chosen, order = (dmy, "dmy") if dmy else (mdy, "mdy")  # type: ignore[assignment]
        return ParsedDate(chosen, chosen.isoformat(), order, False, span)  # type: ignore[arg-type]
    return None


# The rules ask about the same line text several times; results are immutable, so cache them.
@lru_cache(maxsize=8192)
def _find_dates(text: str, day_first: bool | None, country: str | None) -> tuple[ParsedDate, ...]:
    fixed = fix_digits(text)
    found: list[ParsedDate] = []
    taken: list[tuple[int, int]] = []

    def add(p: ParsedDate) -> None:
        if any(p.span[0] < e and s < p.span[1] for s, e in taken):
            return
        taken.append(p.span)
        found.append(p)

    # The month-name patterns are long alternations: only run them when a month word is present
    # ("20Mar'17" gives the token "0Mar": a zero may be a digit of the day or an O of the month).
    # On the printed text first: the digit repair would read the S of "04sept.16" as part of the
    # day. Both texts have the same length, so spans agree.
    sources = (text, fixed) if fixed != text else (text,)
    has_month = any(t in _MONTH_WORDS or t.strip("0") in _MONTH_WORDS for src in sources for t in map(str.lower, _LETTER_TOKEN.findall(src)))
    month_patterns = ((_DAY_MONTH_YEAR, "dmy"), (_MONTH_DAY_YEAR, "mdy"), (_MONTH_DAY_TIME_YEAR, "mdy"))
    for source in sources if has_month else ():
        for rx, order in month_patterns:
            for m in rx.finditer(source):
                month = _MONTH_WORDS.get(m.group("m").lower())
                date = _make_date(_year(m.group("y")), month, int(m.group("d"))) if month else None
                if date:
                    # With the time between day and year, the date spans month and day only:
                    # the time belongs to the time field.
                    span = (m.start("m"), m.end("d")) if rx is _MONTH_DAY_TIME_YEAR else m.span()
                    add(ParsedDate(date, date.isoformat(), order, False, span, True))

    prefer_day_first, decided = _day_first_default(day_first, country)
    for m in _NUMERIC_DATE.finditer(fixed) if _NUMERIC_PREFILTER.search(fixed) else ():
        if m.group("y1"):
            date = _make_date(int(m.group("y1")), int(m.group("m1")), int(m.group("d1")))
            if date:
                add(ParsedDate(date, date.isoformat(), "ymd", False, m.span()))
            continue
        reading = _day_month_reading(int(m.group("a")), int(m.group("b")), _year(m.group("y2")), prefer_day_first, decided, m.span())
        if reading is not None:
            add(reading)
    if not found and _NUMERIC_PREFILTER.search(fixed):
        for m in _DAYMONTH_GLUED.finditer(fixed):
            a, b, y = int(m.group("a")), int(m.group("b")), int(m.group("y"))
            date = _make_date(y, b, a) if prefer_day_first else _make_date(y, a, b)
            if date:
                add(ParsedDate(date, date.isoformat(), "dmy" if prefer_day_first else "mdy", not decided and a <= 12 and b <= 12, m.span()))
    found.sort(key=lambda p: p.span[0])
    return tuple(found)


def parse_date(text: Any, day_first: bool | None = None, country: str | None = None) -> ParsedDate | NoMatch:
    """The first date in `text` as an ISO date.

    `day_first` forces the reading of numeric dates such as 03/04/2018; when it
    is None the `country` hint decides (US prints month first), and when neither
    is given day-first is used and the result is flagged `ambiguous` so callers
    can look for evidence elsewhere on the receipt (another date with a day
    above 12, the currency, the phone prefix).
    """
    try:
        dates = find_dates(text, day_first, country)
    except Exception as exc:  # pragma: no cover - defensive: the contract is never to raise
        return _no("date", text, f"internal error: {exc!r}")
    if not dates:
        return _no("date", text, "no day/month/year pattern with a valid calendar date")
    return dates[0]


# ---------------------------------------------------------------------------
# Times
# ---------------------------------------------------------------------------

_AMPM = r"(?P<ampm>[AaPp]\.?\s?[Mm]\.?)"
# Not the minutes and seconds of a longer time ("11:12:34" holds no "12:34"), but after
# a label's colon ("Time:20:02:22", OCR's "Tlne:20:02:22").
_TIME_COLON = re.compile(rf"(?<![\d.])(?<!\d:)(?<!\d:\s)(?P<h>\d{{1,2}}):\s?(?P<m>\d{{2}})(?:\s?:\s?(?P<s>\d{{2}}))?(?![\d])\s*{_AMPM}?(?![A-Za-z])?")
_TIME_DOTS = re.compile(rf"(?<![\d.:])(?P<h>\d{{1,2}})[.h](?P<m>\d{{2}})(?:(?:\.(?P<s>\d{{2}}))|\s*{_AMPM})(?![\d.])")


# What every match of the two patterns above contains: "8:13", or "8.13" followed by ".45" or am/pm.
# Most lines with digits are prices ("12.50"), and this rules them out with one short search.
_TIME_PREFILTER = re.compile(r"\d:\s?\d\d|\d[.h]\d\d(?:\.\d\d|\s*[AaPp])")


def find_times(text: Any) -> list[ParsedTime]:
    """Every time of day in `text`, in order of appearance."""
    if not isinstance(text, str) or not text:
        return []
    return list(_find_times(text))


@lru_cache(maxsize=8192)
def _find_times(text: str) -> tuple[ParsedTime, ...]:
    fixed = fix_digits(text)
    out: list[ParsedTime] = []
    if not _TIME_PREFILTER.search(fixed):
        return ()

    def add(m: re.Match[str], offset: int = 0) -> None:
        t, span = _time_of(m), (offset + m.start(), offset + m.end())
        if t is not None and not any(span[0] < p.span[1] and p.span[0] < span[1] for p in out):
            out.append(ParsedTime(t, t.isoformat(), span))

    for rx in (_TIME_COLON, _TIME_DOTS):
        for m in rx.finditer(fixed):
            add(m)
    # A time OCR glued onto a date ("2018-02-1714:17:07"): the date pattern already
    # stops where the time starts, so read a time right there.
    for date in _find_dates(text, None, None):
        end = date.span[1]
        if fixed[end : end + 1].isdigit() and (m := _TIME_COLON.match(fixed[end:])):
            add(m, end)
    out.sort(key=lambda p: p.span[0])
    return tuple(out)


def _time_of(m: re.Match[str]) -> _dt.time | None:
    """The time of day a match of the time patterns reads, or None when it is not a valid one."""
    h, mi = int(m.group("h")), int(m.group("m"))
    s = int(m.group("s")) if m.group("s") else 0
    ampm = (m.groupdict().get("ampm") or "").lower().replace(".", "").replace(" ", "")
    if ampm:
        if not 1 <= h <= 12:
            return None
        h = (h % 12) + (12 if ampm == "pm" else 0)
    if h > 23 or mi > 59 or s > 59:
        return None
    return _dt.time(h, mi, s)


def parse_time(text: Any) -> ParsedTime | NoMatch:
    """The first time of day in `text` (HH:MM[:SS] with optional AM/PM) as ISO HH:MM:SS."""
    try:
        times = find_times(text)
    except Exception as exc:  # pragma: no cover
        return _no("time", text, f"internal error: {exc!r}")
    return times[0] if times else _no("time", text, "no HH:MM[:SS] time of day")


# ---------------------------------------------------------------------------
# Currencies
# ---------------------------------------------------------------------------

# Evidence -> ISO 4217. Longer marks are tried first so "S$" wins over "$".
_CURRENCY_MARKS: dict[str, str] = {
    "€": "EUR", "EUR": "EUR", "EURO": "EUR", "EUROS": "EUR",
    "£": "GBP", "GBP": "GBP",
    "RM": "MYR", "MYR": "MYR",
    "S$": "SGD", "SGD": "SGD",
    "US$": "USD", "USD": "USD",
    "HK$": "HKD", "HKD": "HKD",
    "A$": "AUD", "AUD": "AUD",
    "C$": "CAD", "CAD": "CAD",
    "NT$": "TWD", "TWD": "TWD",
    "¥": "JPY", "JPY": "JPY", "円": "JPY",
    "CNY": "CNY", "RMB": "CNY", "元": "CNY",
    "₹": "INR", "INR": "INR", "RS": "INR",
    "₩": "KRW", "KRW": "KRW",
    "₱": "PHP", "PHP": "PHP",
    "฿": "THB", "THB": "THB",
    "RP": "IDR", "IDR": "IDR",
    "CHF": "CHF",
    "₺": "TRY",
    "ZAR": "ZAR",
}
# What a bare "$" means in a country that prints it for its own currency.
_DOLLAR_BY_COUNTRY = {"US": "USD", "SG": "SGD", "AU": "AUD", "CA": "CAD", "HK": "HKD", "NZ": "NZD", "TW": "TWD", "MY": "MYR"}
_COUNTRY_CURRENCY = {
    "MY": "MYR", "MT": "EUR", "GB": "GBP", "UK": "GBP", "US": "USD", "SG": "SGD", "IE": "EUR", "DE": "EUR", "FR": "EUR",
    "IT": "EUR", "ES": "EUR", "NL": "EUR", "AU": "AUD", "CA": "CAD", "HK": "HKD", "IN": "INR", "JP": "JPY", "CN": "CNY",
}
_LETTER_MARKS = sorted((k for k in _CURRENCY_MARKS if k[0].isalpha()), key=len, reverse=True)
_SYMBOL_MARKS = sorted((k for k in _CURRENCY_MARKS if not k[0].isalpha()), key=len, reverse=True)
# Letter codes must stand alone or touch a number ("RM27.55"), never sit inside a word ("FARM").
# (The lookahead on the codes' first letters only lets the engine skip ahead quickly: it
# halves the time of this search, which runs on every line that prints an amount.)
_LETTER_MARK_RE = re.compile(
    r"(?<![A-Za-z])(?=[" + re.escape("".join(sorted({k[0] for k in _LETTER_MARKS}))) + r"])"
    r"(" + "|".join(re.escape(k) for k in _LETTER_MARKS) + r")(?![A-Za-z])",
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
            if mark in {"RS", "RP"} and not re.match(r"\s?\.?\s?\d", text[m.end():]):
                continue
            return CurrencyMatch(_CURRENCY_MARKS[mark], m.group(1))
        if "$" in text:
            return CurrencyMatch(_DOLLAR_BY_COUNTRY.get((country or "").upper(), "USD"), "$")
    except Exception as exc:  # pragma: no cover
        return _no("currency", text, f"internal error: {exc!r}")
    return _no("currency", text, "no currency symbol or ISO code")


# ---------------------------------------------------------------------------
# Amounts
# ---------------------------------------------------------------------------

# A number as receipts print money: 1,234.50 / 1.234,50 / 12,50 / 12.5 / 7 / -3.00 / (3.00) / 3.00-.
# Spaces are never thousands separators here: receipt columns are separated by spaces.
# (The leading lookahead changes nothing that matches; it lets the engine skip letters fast.)
_AMOUNT = re.compile(
    r"(?=[-–(\d.,])(?<![\d.,])(?P<neg>[-–(]\s?)?"
    r"(?P<num>\d{1,3}(?:[,.']\d{3})+(?:[.,]\d{1,3})?|\d+(?:[.,]\s?\d{1,3})?|[.,]\d{2})"
    r"(?P<trail>\)|-(?!\d))?(?![\d]|[.,]\d)"
)


def _to_decimal(num: str) -> Decimal | None:
    num = num.replace(" ", "").replace("'", "")
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
    matches = list(_AMOUNT.finditer(fixed))
    if not matches:
        return ()
    code: str | None = None
    if not fixed.isdigit():
        cur = detect_currency(text, country)
        code = cur.code if cur else None  # type: ignore[union-attr]
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
    ("1.234,50" and "1,234.50" are both 1234.50; "12,50" is 12.50), negatives
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


# ---------------------------------------------------------------------------
# Phone numbers
# ---------------------------------------------------------------------------

# Calling code and national-number rules for the countries tillroll's data come from.
# trunk: the national prefix dropped in E.164; lengths: digits after the country code.
_PHONE_RULES: dict[str, tuple[str, str, tuple[int, ...]]] = {
    # country: (calling code, trunk prefix, national-number lengths without trunk)
    "MY": ("60", "0", (8, 9, 10)),  # national numbers always print the trunk 0
    "MT": ("356", "", (8,)),
    "GB": ("44", "0", (9, 10)),
    "UK": ("44", "0", (9, 10)),
    "IE": ("353", "0", (7, 8, 9)),
    "US": ("1", "1", (10,)),
    "CA": ("1", "1", (10,)),
    "SG": ("65", "", (8,)),
    "DE": ("49", "0", tuple(range(6, 12))),
    "FR": ("33", "0", (9,)),
    "IT": ("39", "", tuple(range(6, 12))),
    "ES": ("34", "", (9,)),
    "NL": ("31", "0", (9,)),
    "AU": ("61", "0", (9,)),
    "IN": ("91", "0", (10,)),
    "CN": ("86", "0", (10, 11)),
    "HK": ("852", "", (8,)),
    "ID": ("62", "0", tuple(range(8, 12))),
    "PH": ("63", "0", (9, 10)),
    "TH": ("66", "0", (8, 9)),
}
_CALLING_CODES = sorted({(code, c) for c, (code, _, _) in _PHONE_RULES.items()}, key=lambda x: -len(x[0]))
# A run of digits with the separators phones are printed with; at least 6 digits.
_PHONE = re.compile(r"(?<![\w])(?P<num>(?:\+|00)?\s?\(?\d[\d\s\-./()]{4,22}\d)(?!\d)")


def _phone_from_digits(raw: str, country: str | None, span: tuple[int, int]) -> ParsedPhone | None:
    # "00" opens an international number only before a calling code (never 0): "000381..." is not one.
    international = raw.lstrip().startswith("+") or bool(re.match(r"00\s?[1-9]", raw.lstrip()))
    digits = re.sub(r"\D", "", raw)
    if international:
        digits = digits[2:] if raw.lstrip().startswith("00") else digits
        if not 7 <= len(digits) <= 15:
            return None
        for code, cc in _CALLING_CODES:
            if digits.startswith(code):
                rest = digits[len(code):]
                trunk = _PHONE_RULES[cc][1]
                if trunk and rest.startswith(trunk) and len(rest) - len(trunk) in _PHONE_RULES[cc][2]:
                    rest = rest[len(trunk):]  # "+44 (0)20 ..." prints the trunk zero too
                return ParsedPhone("+" + code + rest, digits, cc, True, span)
        return ParsedPhone("+" + digits, digits, None, True, span)
    if not 6 <= len(digits) <= 13:
        return None
    rule = _PHONE_RULES.get((country or "").upper())
    if rule:
        code, trunk, lengths = rule
        cc = (country or "").upper()
        if trunk and digits.startswith(trunk) and len(digits) - len(trunk) in lengths:
            return ParsedPhone("+" + code + digits[len(trunk):], digits, cc, True, span)
        # Where the trunk prefix is optional (NANP's "1") or absent (Malta), the bare
        # national number is complete; elsewhere a number without it is a fragment.
        if (not trunk or trunk == "1") and len(digits) in lengths:
            return ParsedPhone("+" + code + digits, digits, cc, True, span)
        if digits.startswith(code) and len(digits) - len(code) in lengths:
            return ParsedPhone("+" + digits, digits, cc, True, span)
    return ParsedPhone(digits, digits, (country or "").upper() or None, False, span)


def find_phones(text: Any, country: str | None = None) -> list[ParsedPhone]:
    """Every phone-like number in `text` (receipts often print two: "TEL 21 234567 / 79 123456")."""
    if not isinstance(text, str) or not text:
        return []
    return list(_find_phones(text, country))


@lru_cache(maxsize=8192)
def _find_phones(text: str, country: str | None) -> tuple[ParsedPhone, ...]:
    fixed = fix_digits(text)
    out: list[ParsedPhone] = []
    for part_match in re.finditer(r"[^/,;|]+", fixed):  # "/" and "," separate alternatives
        part = part_match.group(0)
        for m in _PHONE.finditer(part):
            raw = m.group("num").strip(" -./)(")
            if raw.count(".") >= 1 and re.fullmatch(r"\d+\.\d{2}", raw):
                continue  # an amount, not a phone number
            start = part_match.start() + m.start()
            p = _phone_from_digits(raw, country, (start, part_match.start() + m.end()))
            if p:
                out.append(p)
    return tuple(out)


def parse_phone(text: Any, country: str | None = None) -> ParsedPhone | NoMatch:
    """The first phone number in `text`, E.164 when the country is known.

    The country comes from the number (+356..., 0060...) or the `country` hint
    (ISO 3166 alpha-2); without either the digits are returned with e164=False.
    """
    try:
        phones = find_phones(text, country)
    except Exception as exc:  # pragma: no cover
        return _no("phone", text, f"internal error: {exc!r}")
    return phones[0] if phones else _no("phone", text, "no run of 6-15 digits")


# ---------------------------------------------------------------------------
# VAT / GST / tax registration numbers
# ---------------------------------------------------------------------------

# EU VAT number bodies by country prefix (after the two-letter prefix).
EU_VAT_FORMATS: dict[str, str] = {
    "AT": r"U\d{8}", "BE": r"[01]\d{9}", "BG": r"\d{9,10}", "CY": r"\d{8}[A-Z]", "CZ": r"\d{8,10}",
    "DE": r"\d{9}", "DK": r"\d{8}", "EE": r"\d{9}", "EL": r"\d{9}", "ES": r"[A-Z0-9]\d{7}[A-Z0-9]",
    "FI": r"\d{8}", "FR": r"[A-Z0-9]{2}\d{9}", "HR": r"\d{11}", "HU": r"\d{8}", "IE": r"\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W]",
    "IT": r"\d{11}", "LT": r"\d{9}|\d{12}", "LU": r"\d{8}", "LV": r"\d{11}", "MT": r"\d{8}", "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}", "PT": r"\d{9}", "RO": r"\d{2,10}", "SE": r"\d{12}", "SI": r"\d{8}", "SK": r"\d{10}",
    "GB": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}", "XI": r"\d{9}|\d{12}",
}
_EU_VAT = re.compile(
    r"(?<![A-Z0-9])(?P<cc>" + "|".join(EU_VAT_FORMATS) + r"|MI|M1)\s?[-:.]?\s?(?P<body>[A-Z0-9][A-Z0-9 \-.+*]{1,16}[A-Z0-9])",
    re.IGNORECASE,
)
# Names of a business's tax number that are not "VAT" or "TAX": US employer and seller's-permit
# numbers, Polish NIP, Spanish NIF/CIF, Italian partita IVA, German Steuernummer / USt-IdNr.
# The rules (`tillroll.rules.patterns`) read the same list.
TAX_ID_NAMES = (
    r"EIN|NIP|N\.?\s?I\.?\s?F|C\.?\s?I\.?\s?F|P\.?\s?IVA|PARTITA\s+IVA|STEUER\s?-?\s?N(?:R|UMMER)|ST\.?\s?-?\s?NR"
    r"|UST\.?\s?-?\s?ID\w*|SELLER'?S\s+PERMIT"
)
_VAT_KEYWORD = re.compile(
    r"\b(?:VAT|V\.A\.T\.?|GST|SST|TAX|TIN|EXO|EX0|ABN|BTW|TVA|IVA|UST|MWST|CO\.?\s?REG|REG(?:ISTRATION)?|" + TAX_ID_NAMES + r")\b"
    r"(?:\s*(?:REG(?:ISTRATION|\.)?|ID|NO|NUM(?:BER)?|N0|#|\.|:|-))*\s*:?\s*",
    re.IGNORECASE,
)
_GENERIC_TAX_ID = re.compile(r"([A-Z]{0,3}[\d][\dA-Z \-./]{4,20}[\dA-Z])")
_LETTERS_THEN_DIGITS = re.compile(r"[A-Z]{1,3}[\d \-./]+[A-Z]?")
# Malaysian GST: 12 digits; Malaysian SST: W10-1808-32000112.
_MY_GST = re.compile(r"(?<!\d)(\d{3}[\s-]?\d{3}[\s-]?\d{6}|\d{12})(?!\d)")
_MY_SST = re.compile(r"(?<![A-Z0-9])([A-Z]\d{2}-?\d{4}-?\d{8})(?![0-9])", re.IGNORECASE)
_MT_EXO = re.compile(r"\bEX[O0]\s*(?:NO|N0|NUM(?:BER)?)?\.?\s*:?\s*(\d{3,6})\b", re.IGNORECASE)


def malta_vat_checksum_ok(digits: str) -> bool:
    """Malta's VAT check: weights 3,4,6,7,8,9 on the first six digits plus the last two as a number, mod 37."""
    if not re.fullmatch(r"\d{8}", digits):
        return False
    total = sum(w * int(d) for w, d in zip((3, 4, 6, 7, 8, 9), digits[:6])) + int(digits[6:])
    return total % 37 == 0


def _compact(s: str) -> str:
    return re.sub(r"[\s\-.]", "", s).upper()


def parse_vat_number(text: Any, country: str | None = None) -> ParsedVat | NoMatch:
    """A VAT/GST/tax registration number in `text`, compacted and upper-cased.

    Recognised: EU VAT numbers with their country prefix (Malta's "MT1234-5678"
    included, with "MI"/"M1" read as "MT"), Malaysian GST (12 digits) and SST
    (W10-1808-32000112) numbers, Maltese EXO numbers, and otherwise any
    number of 6+ digits announced by a VAT/GST/TAX/TIN keyword ("generic").
    """
    if not isinstance(text, str) or not text.strip():
        return _no("vat", text, "empty text")
    try:
        upper = text.upper()
        for m in _EU_VAT.finditer(upper):
            cc = m.group("cc").upper()
            cc = "MT" if cc in {"MI", "M1"} else cc
            fmt = EU_VAT_FORMATS[cc]
            body_raw = _compact(m.group("body"))
            # The body regex is greedy; keep the longest prefix that fits the country format.
            for end in range(len(body_raw), 1, -1):
                body = body_raw[:end]
                if re.fullmatch(fmt, body) or re.fullmatch(fmt, fix_digits(body)):
                    body = body if re.fullmatch(fmt, body) else fix_digits(body)
                    has_keyword = bool(_VAT_KEYWORD.search(upper[: m.start()] + " "))
                    # A bare "GB123456789" could be anything; need a digit-rich body or a keyword.
                    if not has_keyword and sum(c.isdigit() for c in body) < 8:
                        break
                    checksum = malta_vat_checksum_ok(body) if cc == "MT" else None
                    return ParsedVat(cc + body, cc, "eu_vat", checksum, m.span())
        m = _MT_EXO.search(upper)
        if m:
            return ParsedVat("EXO" + m.group(1), "MT", "mt_exo", None, m.span())
        m = _MY_SST.search(upper)
        if m and ("SST" in upper or "TAX" in upper or "REG" in upper or (country or "").upper() == "MY"):
            return ParsedVat(_compact(m.group(1)), "MY", "my_sst", None, m.span(1))
        kw = _VAT_KEYWORD.search(upper)
        fixed = fix_digits(upper)
        if kw or (country or "").upper() == "MY":
            m = _MY_GST.search(fixed, kw.end() if kw else 0)
            if m and ("GST" in upper or (country or "").upper() == "MY"):
                return ParsedVat(_compact(m.group(1)), "MY", "my_gst", None, m.span(1))
        if kw:
            # With letters read for digits repaired ("0O1234567"), except a number that starts
            # with letters and is digits after them, kept as printed ("B25139073", a Spanish NIF,
            # whose B the repair would turn into an 8).
            m = _GENERIC_TAX_ID.search(upper, kw.end())
            if not (m and _LETTERS_THEN_DIGITS.fullmatch(m.group(1))):
                m = _GENERIC_TAX_ID.search(fixed, kw.end())
            if m:
                value = _compact(m.group(1))
                if sum(c.isdigit() for c in value) >= 6:
                    return ParsedVat(value, (country or "").upper() or None, "generic", None, m.span(1))
    except Exception as exc:  # pragma: no cover
        return _no("vat", text, f"internal error: {exc!r}")
    return _no("vat", text, "no EU VAT, GST/SST or keyword-announced tax number")
