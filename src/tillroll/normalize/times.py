"""Times of day (HH:MM[:SS], dotted, AM/PM, glued onto a date) -> ISO times."""

from __future__ import annotations

import datetime as _dt
import re
from functools import lru_cache
from typing import Any

from .dates import _find_dates
from .ocr_fixes import fix_digits
from .results import NoMatch, ParsedTime, _no

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
        if fixed[end : end + 1].isdigit() and (glued := _TIME_COLON.match(fixed[end:])):
            add(glued, end)
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
