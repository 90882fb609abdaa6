"""Dates as receipts print them (numeric, month names in several languages, glued by OCR) -> ISO dates."""

from __future__ import annotations

import datetime as _dt
import re
from functools import lru_cache
from typing import Any

from .ocr_fixes import fix_digits
from .results import NoMatch, ParsedDate, _no

# Month names: English and Maltese, French, Spanish, Italian, German, Polish, Portuguese, Dutch,
# Nordic and Finnish, full and abbreviated (Baltic ones below), plus misreadings seen in OCR output (0 for O, missing letters). Keys are lower case.
_MONTH_WORDS: dict[str, int] = {}
for _num, _names in enumerate(
    [
        "january janeiro januari tammikuuta jan jannar jann janu jauary januray janvier janv enero ene gennaio genn gen januar jänner jaenner stycznia styczeń sty",
        "february fevereiro februari helmikuuta feb febr frar fra febuary feburary février fevrier févr fevr fév fev febrero febbraio februar feber lutego luty lut",
        "march março marco maart marts maaliskuuta mar marzu mrz mars marzo märz marz marca marzec",
        "april huhtikuuta apr aprile apl avril avr abril abr kwietnia kwiecień kwi",
        "may maio mei toukokuuta mejju mej mai mayo maggio mag maja maj",
        "june junho kesäkuuta jun gunju ġunju ġun gun jume juin junio giugno giu juni czerwca czerwiec cze",
        "july julho heinäkuuta jul lulju lul juli juillet juil julio luglio lug lipca lipiec lip",
        "august augustus augusti elokuuta aug awwissu aww agust augst auc août aout agosto ago sierpnia sierpień sie",
        "september setembro syyskuuta sep sept settembru set septembre septiembre settembre września wrzesień wrz",
        "october outubro lokakuuta oct ottubru ott 0ct octobre 0ctober octubre ottobre okt oktober października październik paź",
        "november marraskuuta nov novembru n0v novemver noviembre novembre listopada listopad lis",
        "december dezembro desember joulukuuta dec dicembru diċembru dic diċ decmber dec3mber décembre decembre déc diciembre dicembre dezember dez grudnia grudzień gru",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTH_WORDS[_name] = _num
# Estonian, Latvian (nominative, genitive and locative: "2025. gada 7. martā") and Lithuanian
# (genitive: "2025 m. kovo 14 d.") month names, and their spellings without diacritics where
# those are no other word.
for _num, _names in enumerate(
    [
        "jaanuar janvāris janvāra janvārī janvari sausio",
        "veebruar februāris februāra februārī vasario",
        "märts martā kovo",
        "aprill aprīlis aprīļa aprīlī aprili balandžio balandzio",
        "maijs maija maijā gegužės geguzes",
        "juuni jūnijs jūnija jūnijā junija birželio birzelio",
        "juuli jūlijs jūlija jūlijā julija liepos",
        "augusts augustā rugpjūčio rugpjucio",
        "septembris septembra septembrī septembri rugsėjo rugsejo",
        "oktoober oktobris oktobra oktobrī oktobri spalio",
        "novembris novembra novembrī novembri lapkričio lapkricio",
        "detsember decembris decembra decembrī decembri gruodžio gruodzio",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTH_WORDS.setdefault(_name, _num)

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
# A time glued on by OCR may follow a four-digit year ("11-Dec-20147:50:45P"). Spanish and
# Portuguese join the parts with "de" ("9 de octubre de 2024", "3 de março de 2024").
_DAY_MONTH_YEAR = re.compile(
    rf"(?<!\d)(?P<d>\d{{1,2}})(?:st|nd|rd|th|\s+ta['’]?|\s+de)?[\s\-/.,]*(?P<m>{_MONTH_RE})\.?(?:\s+del?(?=\s))?[\s\-/.,']*(?P<y>\d{{4}}(?=\d{{1,2}}:\d{{2}})|(?:\d{{4}}|\d{{2}}(?!\s?:\d))(?!\d))",
    re.IGNORECASE,
)
# Textual: March 14, 2018 / Mar 14 2018 / MAR-14-2018. In both, two digits followed by a
# colon are the hour of a time, not the year ("Jun 15 12:47:59 2011").
_MONTH_DAY_YEAR = re.compile(
    rf"(?<![A-Za-z])(?P<m>{_MONTH_RE})\.?[\s\-/.]*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s\-/.,']+(?P<y>\d{{4}}|\d{{2}}(?!\s?:\d))(?!\d)",
    re.IGNORECASE,
)
# The C library's layout: "Jun 15 12:47:59 2011", the time between the day and the year.
# Year first, as Lithuanian ("2025 m. kovo 14 d.") and Latvian ("2025. gada 7. martā") print dates.
_YEAR_MONTH_DAY = re.compile(rf"(?<![\d.])(?P<y>(?:19|20)\d{{2}})\.?\s*(?:m\.\s*)?(?P<m>{_MONTH_RE})\s+(?P<d>\d{{1,2}})(?:\s*d\.)?(?![\d.,])", re.IGNORECASE)
_YEAR_DAY_MONTH = re.compile(rf"(?<![\d.])(?P<y>(?:19|20)\d{{2}})\.?\s*gada\s+(?P<d>\d{{1,2}})\.\s*(?P<m>{_MONTH_RE})(?![^\W\d_])", re.IGNORECASE)
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
    if not found:
        rejoined = _rejoin_split_months(text)
        if rejoined != text:
            found = _find_dates(rejoined, day_first, country)
    if not found and glued:
        found = _find_glued_dates(text, day_first, country)
    return list(found)


# OCR cuts a word at a little air inside it: "12-M ar-2024". Two letter runs a single space
# apart that together are a month name, followed by the rest of a date.
_SPLIT_MONTH = re.compile(r"(?<![^\W\d_])([^\W\d_]{1,5}) ([^\W\d_]{1,6})(?=[\s\-/.,']*\d)")


def _rejoin_split_months(text: str) -> str:
    """`text` with a month name OCR split in two put back together, the space moved after it
    (same length, so spans found in the result are spans of `text`)."""

    def join(m: re.Match[str]) -> str:
        word = m.group(1) + m.group(2)
        return word + " " if word.lower() in _MONTH_WORDS and len(word) >= 3 else m.group(0)

    return _SPLIT_MONTH.sub(join, text)


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
        return ParsedDate(chosen, chosen.isoformat(), order, False, span)
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
    month_patterns = ((_DAY_MONTH_YEAR, "dmy"), (_MONTH_DAY_YEAR, "mdy"), (_MONTH_DAY_TIME_YEAR, "mdy"), (_YEAR_MONTH_DAY, "ymd"), (_YEAR_DAY_MONTH, "ymd"))
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
