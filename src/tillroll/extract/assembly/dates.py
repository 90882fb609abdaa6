"""The transaction date and time, with the day/month order settled from the whole receipt."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence

from ...document import Document, Field
from ...labels import DATE_TIME
from ...normalize import ParsedTime, find_dates, find_times
from .common import _confidence, _Context, _field, _join, _labelled_lines, _words_in_span

_DOTTED_TIME_AFTER_DATE = re.compile(r"\s+(?P<h>[01]?\d|2[0-3])\.(?P<m>[0-5]\d)(?![\d.,])")


def _times_beside_dates(text: str, date_spans: Sequence[tuple[int, int]]) -> list[ParsedTime]:
    """The times in `text` that are not a date read as a time ("10.07.13 21:52": the date, then the time)."""
    return [t for t in find_times(text) if not any(t.span[0] < end and start < t.span[1] for start, end in date_spans)]


def date_time_fields(ctx: _Context, fields: dict[str, Field], doc: Document) -> None:
    day_first: bool | None = None
    if any(d.ambiguous for _, ws in _labelled_lines(ctx, DATE_TIME) for d in find_dates(_join(ws), country=ctx.country)):
        # Day/month order: any date on the receipt with a day above 12 settles it for all
        # (only worth reading the whole receipt for when a labelled date is ambiguous).
        decided = [d for d in find_dates(ctx.text) if not d.ambiguous and d.order in ("dmy", "mdy") and not d.textual_month]
        if decided:
            day_first = decided[0].order == "dmy"
    # The transaction date: a plausible one, announced by a DATE keyword if possible,
    # with a four-digit year, nearest the top (printed dates of other things come later).
    today = _dt.date.today()
    best = None
    for rank, (i, ws) in enumerate(_labelled_lines(ctx, DATE_TIME)):
        joined = _join(ws)
        for d in find_dates(joined, day_first=day_first, country=ctx.country, glued=True):
            plausible = _dt.date(1990, 1, 1) <= d.value <= today + _dt.timedelta(days=1)
            keyword = bool(re.search(r"(?i)DATE|TARIKH|DATA|DATUM|FECHA", _join(ctx.lines[i])))
            four_digit = bool(re.search(r"(?:19|20)\d\d", joined[d.span[0] : d.span[1]])) or d.textual_month
            key = (plausible, keyword, four_digit, -rank)
            if best is None or key > best[0]:
                best = (key, ws, joined, d)
    if best is not None:
        _, ws, joined, d = best
        date_words = _words_in_span(ws, d.span)
        conf = _confidence(date_words) * (0.7 if d.ambiguous else 1.0) * (1.0 if best[0][0] else 0.5)
        fields["date"] = _field(date_words, d.iso, confidence=conf)
        doc.meta["date_order_ambiguous"] = d.ambiguous
        # The time printed with the transaction date is the transaction's; opening
        # hours or a validity time printed above it are not.
        times = _times_beside_dates(joined, [d.span])
        if times:
            fields["time"] = _field(_words_in_span(ws, times[0].span), times[0].iso)
        elif (dotted := _DOTTED_TIME_AFTER_DATE.match(joined, d.span[1])) is not None:
            # "07/02/2022 14.39": a time printed with dots, which alone would read as a price.
            iso = f"{int(dotted['h']):02d}:{dotted['m']}:00"
            fields["time"] = _field(_words_in_span(ws, dotted.span(0)), iso)
    for _, ws in _labelled_lines(ctx, DATE_TIME):
        joined = _join(ws)
        if "time" not in fields:
            times = _times_beside_dates(joined, [d.span for d in find_dates(joined, day_first=day_first, country=ctx.country)])
            if times:
                t = times[0]
                fields["time"] = _field(_words_in_span(ws, t.span), t.iso)
        else:
            return
