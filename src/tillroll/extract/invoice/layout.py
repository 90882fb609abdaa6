"""Geometry of an invoice page: printed lines as pieces with boxes, and the labels on them.

A *piece* is a word, or part of a word where a label is glued to its value
("Kundennummer:2", "UStID#DE123"): the value half keeps the word (so its id and
box) but starts a new piece. Lines come from `Document.lines()`, so receipts and
invoices share one notion of a line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median

from ...document import Document, Word
from .lexicon import Lexicon, Meaning, norm

# A label glued to its value: split after ":" or "#" when a letter or digit follows.
_GLUE = re.compile(r"(?<=[:#])(?=[\w(])")


@dataclass
class Piece:
    word: Word
    text: str
    key: str  # normal form (lexicon.norm)
    x0: float
    x1: float


@dataclass
class Line:
    index: int
    page: int
    pieces: list[Piece]
    y0: float
    y1: float
    height: float
    hits: list[Hit] = field(default_factory=list)

    @property
    def x0(self) -> float:
        return self.pieces[0].x0

    @property
    def x1(self) -> float:
        return self.pieces[-1].x1

    @property
    def text(self) -> str:
        return " ".join(p.text for p in self.pieces)


@dataclass
class Hit:
    """A label phrase found on a line: pieces [start, end) of line `line`."""

    line: int
    start: int
    end: int
    meanings: tuple[Meaning, ...]
    x0: float
    x1: float

    def names(self, kind: str) -> list[str]:
        return [m.name for m in self.meanings if m.kind == kind]


def _pieces(word: Word) -> list[Piece]:
    parts = [p for p in _GLUE.split(word.text) if p]
    if len(parts) <= 1:
        return [Piece(word, word.text, norm(word.text), word.x0, word.x1)]
    out, offset, n = [], 0, max(1, len(word.text))
    for part in parts:
        a = word.x0 + word.width * offset / n
        offset += len(part)
        b = word.x0 + word.width * offset / n
        out.append(Piece(word, part, norm(part), a, b))
    return out


def build_lines(doc: Document) -> list[Line]:
    """The document's printed lines as pieces, in reading order, page by page."""
    out: list[Line] = []
    for words in doc.lines():
        pieces = [p for w in words for p in _pieces(w)]
        if not pieces:
            continue
        y0 = median(w.y0 for w in words)
        y1 = median(w.y1 for w in words)
        out.append(Line(len(out), words[0].page, pieces, y0, y1, max(1.0, y1 - y0)))
    return out


def find_hits(line: Line, lexicon: Lexicon, ocr: bool = False) -> list[Hit]:
    """Label phrases on `line`, longest match first, left to right, without overlap.

    `ocr`: the line was read by OCR, so a phrase also matches with the letters OCR
    confuses folded together (`lexicon.ocr_fold`: "TIf." is "Tlf.").
    """
    hits: list[Hit] = []
    pieces = line.pieces
    i = 0
    while i < len(pieces):
        if not pieces[i].key:
            i += 1
            continue
        best: tuple[int, tuple[Meaning, ...]] | None = None
        joined = ""
        for j in range(i, len(pieces)):
            joined += pieces[j].key
            if len(joined) > lexicon.longest:
                break
            if j > i and pieces[j].x0 - pieces[j - 1].x1 > 1.5 * line.height:
                break  # a label does not span a column gap
            found = lexicon.lookup(joined) or (lexicon.lookup_ocr(joined) if ocr else ())
            if found and pieces[j].key:
                best = (j + 1, found)
        if best is None:
            i += 1
            continue
        end, meanings = best
        if all(m.heading_only for m in meanings) and not _alone_in_block(line, i, end):
            i += 1
            continue
        hits.append(Hit(line.index, i, end, meanings, pieces[i].x0, pieces[end - 1].x1))
        i = end
    return hits


def _alone_in_block(line: Line, start: int, end: int) -> bool:
    """Whether pieces [start, end) of `line` are a whole block of it, but for a colon after them."""
    for a, b in segments(line):
        if a == start:
            rest = line.pieces[end:b]
            return all(not p.key for p in rest)  # only punctuation (":") may follow
    return False


def segments(line: Line, gap_factor: float = 2.0) -> list[tuple[int, int]]:
    """[start, end) piece ranges of `line` separated by wide horizontal gaps (columns of a layout)."""
    out, start = [], 0
    for k in range(1, len(line.pieces)):
        if line.pieces[k].x0 - line.pieces[k - 1].x1 > gap_factor * line.height:
            out.append((start, k))
            start = k
    out.append((start, len(line.pieces)))
    return out


def segment_of(line: Line, index: int, gap_factor: float = 2.0) -> tuple[int, int]:
    for a, b in segments(line, gap_factor):
        if a <= index < b:
            return a, b
    return index, index + 1


def overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def words_of(pieces: Sequence[Piece]) -> list[Word]:
    """The distinct words behind `pieces`, in order."""
    seen: dict[int, Word] = {}
    for p in pieces:
        seen.setdefault(p.word.id, p.word)
    return list(seen.values())
