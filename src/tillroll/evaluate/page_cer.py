"""Page character error rate: the whole page's text in reading order, OCR against the annotation.

The measure behind issue 19's engine table and `tillroll ocr-bench`'s "page
CER": both texts are put in reading order by the same rule, upper-cased and
stripped of all whitespace, and CER is the Levenshtein distance over the
reference's length. Unlike the per-line scores of `metrics.ocr_counts` it also
charges an engine for lines it did not find, text it found twice and lines
it merged or split in another order; and it does not depend on how the engine
cuts lines into words. It does charge for printed text the annotation leaves
out (about 3 points on SROIE, for every engine alike), so compare engines with
it, not against zero.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Box = tuple[float, float, float, float]

_SPACE = re.compile(r"\s+")


def reading_order(items: Iterable[tuple[Box, str]]) -> list[str]:
    """Texts of (box, text) items in reading order: rows top to bottom, left to right inside a row.

    Items are taken by the vertical centre of their box; an item joins the
    current row while its centre is within half a line height (the smaller of
    the two) of the centre of the row's first item.
    """
    boxes = sorted(
        (((b[1] + b[3]) / 2, (b[0] + b[2]) / 2, max(1.0, b[3] - b[1]), text) for b, text in items),
        key=lambda item: (item[0], item[1]),
    )
    rows: list[list[tuple[float, float, float, str]]] = []
    for item in boxes:
        if rows and abs(item[0] - rows[-1][0][0]) <= 0.5 * min(rows[-1][0][2], item[2]):
            rows[-1].append(item)
        else:
            rows.append([item])
    return [text for row in rows for _, _, _, text in sorted(row, key=lambda item: item[1])]


def normalise(texts: Sequence[str]) -> str:
    """Texts joined, upper-cased, every whitespace character removed."""
    return _SPACE.sub("", "".join(texts)).upper()


@dataclass(frozen=True)
class PageCer:
    edits: int
    reference_chars: int

    @property
    def cer(self) -> float:
        return self.edits / max(1, self.reference_chars)

    def __add__(self, other: PageCer) -> PageCer:
        return PageCer(self.edits + other.edits, self.reference_chars + other.reference_chars)


def page_cer(reference: Iterable[tuple[Box, str]], hypothesis: Iterable[tuple[Box, str]]) -> PageCer:
    """Edits and reference characters of one page (sum them over pages for a micro-averaged CER)."""
    from rapidfuzz.distance import Levenshtein

    ref = normalise(reading_order(reference))
    hyp = normalise(reading_order(hypothesis))
    return PageCer(int(Levenshtein.distance(hyp, ref)), len(ref))
