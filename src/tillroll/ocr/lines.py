"""Group OCR words into printed lines and put them in reading order.

Receipts print "TOTAL ........ 12.30" with wide gaps; those words still share a
line, so grouping is by vertical overlap only, never by horizontal distance.
Slightly rotated photos are handled by comparing a word with the line's word
nearest to it in x, not with the line's first word.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..document import Word


def _vertical_overlap(a: Word, b: Word) -> float:
    """Overlap of the two y-intervals as a fraction of the shorter height."""
    inter = min(a.y1, b.y1) - max(a.y0, b.y0)
    shorter = max(1e-6, min(a.height, b.height))
    return inter / shorter


def _horizontal_overlap(a: Word, b: Word) -> float:
    """Overlap of the two x-intervals as a fraction of the narrower width."""
    inter = min(a.x1, b.x1) - max(a.x0, b.x0)
    narrower = max(1e-6, min(a.x1 - a.x0, b.x1 - b.x0))
    return inter / narrower


def group_lines(words: Sequence[Word], min_overlap: float = 0.5) -> list[list[Word]]:
    """Return lines (lists of words, left to right), top to bottom."""
    lines: list[list[Word]] = []
    # Each line's vertical extent: a line that does not reach into the word's y-interval
    # cannot overlap it at all, so the per-word checks below are skipped for it. This keeps
    # the grouping exactly as before while most of a receipt's lines lie far above the word.
    tops: list[float] = []
    bottoms: list[float] = []
    for w in sorted(words, key=lambda w: (w.cy, w.x0)):
        best, best_score, best_index = None, min_overlap, -1
        for index, line in enumerate(lines):
            if bottoms[index] <= w.y0 or tops[index] >= w.y1:
                continue
            nearest = min(line, key=lambda o: abs(o.cx - w.cx))
            score = _vertical_overlap(nearest, w)
            if score <= best_score:
                continue  # not chosen whatever the check below says: skip it
            # A word that covers part of one already on this line is printed above or below it,
            # on another line. "Part" means a real share of the narrower word: neighbouring word
            # boxes from one detected line often touch or overlap by a pixel or two
            # ("290," and "JALAN" on a SROIE address line), and those stay together.
            if any(_horizontal_overlap(o, w) > 0.25 and _vertical_overlap(o, w) > 0.3 for o in line):
                continue
            best, best_score, best_index = line, score, index
        if best is None:
            lines.append([w])
            tops.append(w.y0)
            bottoms.append(w.y1)
        else:
            best.append(w)
            tops[best_index] = min(tops[best_index], w.y0)
            bottoms[best_index] = max(bottoms[best_index], w.y1)
    for line in lines:
        line.sort(key=lambda w: w.x0)
    lines.sort(key=lambda line: sum(w.cy for w in line) / len(line))
    return lines


def assign_lines(words: list[Word], first_line_id: int = 0) -> list[Word]:
    """Set `line` on each word and return the words in reading order (ids untouched)."""
    ordered: list[Word] = []
    for i, line in enumerate(group_lines(words), start=first_line_id):
        for w in line:
            w.line = i
            ordered.append(w)
    return ordered
