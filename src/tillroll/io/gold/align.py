"""Gold labels for words: by box overlap with annotated regions, or by spelling entity strings.

Two situations (paper section 3, Fig. 2):

1. The annotation has labelled boxes (WildReceipt lines, FUNSD words, our own
   JSON, SROIE lines once their entities are located). An OCR word takes the
   label of the annotated boxes that cover it: the share of the word's area
   they cover, weighted by how well their texts agree. A word no labelled box
   covers is `misc`. With the annotation's own boxes as "OCR" (OCR = gold) the
   same code returns the annotation itself, so the classifier can be scored
   with and without OCR errors.
2. The annotation has only strings (SROIE task 3: company, address, date,
   total as printed). `locate_entities` finds the run of words, possibly over
   several lines, that spells each string, tolerating OCR slips and spacing
   differences, and says how many it found. Totals are located by value and
   by the words around them, because "9.00" is printed three times on a
   receipt (total, cash, rounding) and only one of them is the total.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from ...document import Document, Page, Word, box_area, box_intersection
from ...labels import MISC, SROIE_ENTITY_TO_LABEL
from ...ocr.stage import words_to_document

if TYPE_CHECKING:  # pragma: no cover
    from ...ocr.base import OcrEngine
    from ..datasets.base import Example

# An OCR word gets a region's label when labelled regions cover at least this
# share of its area. Half: a word straddling two regions goes to the larger share.
MIN_WORD_COVER = 0.5
# Fuzzy score (0-100) a word run must reach to count as spelling an entity.
# Short strings (dates) need a stricter score: one wrong digit is another date.
MIN_ENTITY_SCORE = {"company": 80.0, "address": 80.0, "date": 90.0, "total": 90.0}

_TIME = re.compile(r"^\(?\d{1,2}[:.]\d{2}([:.]\d{2})?\)?$|^(AM|PM|A\.M\.|P\.M\.)$", re.IGNORECASE)
_AMOUNT = re.compile(r"-?\d{1,3}(?:[,\s]\d{3})*(?:[.,]\d{1,2})?|-?\d+(?:[.,]\d{1,2})?")


def canon(text: str) -> str:
    """Upper-case letters and digits only: spacing and punctuation differ between annotators and OCR."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def amount_value(text: str) -> Decimal | None:
    """The number printed in `text` ("RM9.00", "9,00", "$1,234.50"), or None when it is not one amount."""
    stripped = re.sub(r"^[^\d\-]*", "", text.strip())  # currency prefix: RM, $, MYR
    stripped = re.sub(r"[^\d]*$", "", stripped)  # trailing currency or "SR" tax code
    if not stripped or not _AMOUNT.fullmatch(stripped):
        return None
    s = stripped.replace(" ", "")
    if re.search(r",\d{1,2}$", s) and "." not in s:
        s = s.replace(",", ".")  # decimal comma
    s = s.replace(",", "")
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


# --------------------------------------------------------------------------- boxes


@dataclass
class WordMatch:
    """The gold label chosen for one word and the annotated words behind it."""

    label: str
    cover: float  # share of the word's area covered by regions of that label
    gold_ids: list[int] = field(default_factory=list)  # ids of the gold words it overlaps, best first


def match_words(words: Sequence[Word], gold: Sequence[Word], min_cover: float = MIN_WORD_COVER) -> list[WordMatch]:
    """For each word, the label of the gold regions covering it (by area x text agreement), else misc."""
    import numpy as np

    out: list[WordMatch] = []
    if not gold:
        return [WordMatch(MISC, 0.0) for _ in words]
    g = np.array([w.box for w in gold], dtype=float)
    g_area = np.maximum((g[:, 2] - g[:, 0]) * (g[:, 3] - g[:, 1]), 1e-6)
    gold_canon = [canon(w.text) for w in gold]
    for w in words:
        x0, y0, x1, y1 = w.box
        iw = np.clip(np.minimum(x1, g[:, 2]) - np.maximum(x0, g[:, 0]), 0, None)
        ih = np.clip(np.minimum(y1, g[:, 3]) - np.maximum(y0, g[:, 1]), 0, None)
        inter = iw * ih
        hits = np.nonzero(inter > 0)[0]
        if hits.size == 0:
            out.append(WordMatch(MISC, 0.0))
            continue
        area = max(box_area(w.box), 1e-6)
        text = canon(w.text)
        per_label: dict[str, float] = {}
        cover: dict[str, float] = {}
        scored: list[tuple[float, int]] = []
        for i in hits:
            gi = int(i)
            if gold[gi].page != w.page:
                continue
            # A word can be bigger than the gold word it matches (OCR glued "TOTAL:9.00"),
            # so coverage counts from both sides.
            share = max(inter[gi] / area, inter[gi] / g_area[gi])
            similarity = fuzz.partial_ratio(text, gold_canon[gi]) / 100.0 if text and gold_canon[gi] else 0.5
            weight = min(1.0, share) * (0.5 + 0.5 * similarity)
            label = gold[gi].label or MISC
            per_label[label] = per_label.get(label, 0.0) + weight
            cover[label] = cover.get(label, 0.0) + inter[gi] / area
            scored.append((weight, gi))
        if not per_label:
            out.append(WordMatch(MISC, 0.0))
            continue
        best = max(per_label, key=lambda k: per_label[k])
        best_cover = min(1.0, cover[best])
        scored.sort(reverse=True)
        ids = [gi for _, gi in scored]
        strongest_share = max((inter[gi] / g_area[gi] for gi in ids if (gold[gi].label or MISC) == best), default=0.0)
        if best_cover >= min_cover or strongest_share >= min_cover:
            out.append(WordMatch(best, round(best_cover, 4), ids))
        else:
            out.append(WordMatch(MISC, round(best_cover, 4), ids))
    return out


def gold_labels(words: Sequence[Word], gold: Sequence[Word], min_cover: float = MIN_WORD_COVER) -> list[str]:
    """Gold label of each word (see `match_words`)."""
    return [m.label for m in match_words(words, gold, min_cover)]


# --------------------------------------------------------------------------- entity strings


@dataclass
class Location:
    """Where an entity string was found: the word ids that spell it and how well (0-100)."""

    key: str
    text: str
    word_ids: list[int]
    score: float

    @property
    def located(self) -> bool:
        return bool(self.word_ids)


def _span_text(words: Sequence[Word], start: int, end: int) -> str:
    return "".join(canon(w.text) for w in words[start : end + 1])


def find_span(words: Sequence[Word], target: str, min_score: float) -> tuple[list[int], float]:
    """Indices (into `words`, in reading order) of the contiguous run that best spells `target`.

    A fuzzy substring search over the letters and digits of the whole page finds
    the region; the run's ends are then nudged word by word to the best full
    ratio, because a fixed-width window cuts words where OCR inserted or
    dropped characters.
    """
    wanted = canon(target)
    if not wanted or not words:
        return [], 0.0
    owner: list[int] = []
    pieces: list[str] = []
    for i, w in enumerate(words):
        c = canon(w.text)
        pieces.append(c)
        owner.extend([i] * len(c))
    page = "".join(pieces)
    if not page:
        return [], 0.0
    exact = page.find(wanted)
    if exact >= 0:  # spelled letter for letter (perhaps glued to a neighbour, "DATE:11/03/18")
        ids = sorted({owner[k] for k in range(exact, exact + len(wanted))})
        return ids, 100.0
    if len(wanted) <= len(page):
        alignment = fuzz.partial_ratio_alignment(wanted, page)
        assert alignment is not None  # None only under a score_cutoff, and none is given
        lo, hi = alignment.dest_start, alignment.dest_end
    else:
        lo, hi = 0, len(page)
    if hi <= lo:
        return [], 0.0
    start, end = owner[lo], owner[hi - 1]
    best = (fuzz.ratio(wanted, _span_text(words, start, end)), start, end)
    for ds in range(-2, 3):
        for de in range(-2, 3):
            s, e = start + ds, end + de
            if 0 <= s <= e < len(words):
                score = fuzz.ratio(wanted, _span_text(words, s, e))
                if score > best[0] + 1e-9:
                    best = (score, s, e)
    score, start, end = best
    if score < min_score:
        return [], float(score)
    ids = [i for i in range(start, end + 1) if pieces[i]]  # punctuation-only words between are not the entity
    return ids, float(score)


# Words around a printed total, by how strongly they say "this is the amount paid".
_TOTAL_CUES: tuple[tuple[str, float], ...] = (
    (r"\bTOTAL\b", 4.0),
    (r"\bGRAND\b|\bNETT?\b", 2.0),
    (r"\bROUND", 1.5),
    (r"\bAMOUNT\b|\bAMT\b|\bDUE\b|\bPAYABLE\b", 1.0),
    (r"SUB\s*-?\s*TOTAL|TOTAL\s+(QTY|QUANTITY|ITEM|DISC|SAVING)", -5.0),
    (r"\bCASH\b|\bCHANGE\b|\bTENDER|\bPAID\b|\bVISA\b|\bCARD\b|\bMASTER", -1.0),
    (r"\bGST\b|\bTAX\b|\bEXCL", -1.5),
)


def _line_of(words: Sequence[Word], i: int) -> list[int]:
    line = words[i].line
    return [j for j, w in enumerate(words) if w.line == line and w.page == words[i].page] if line is not None else [i]


def locate_total(words: Sequence[Word], total: str) -> tuple[list[int], float]:
    """The word holding the receipt's total, chosen among equal amounts by the words on its line."""
    value = amount_value(total)
    if value is None:
        return find_span(words, total, MIN_ENTITY_SCORE["total"])
    candidates = [i for i, w in enumerate(words) if amount_value(w.text) == value]
    if not candidates:
        return find_span(words, total, MIN_ENTITY_SCORE["total"])

    def cue_score(i: int) -> float:
        text = " ".join(words[j].text for j in _line_of(words, i)).upper()
        return sum(weight for pattern, weight in _TOTAL_CUES if re.search(pattern, text))

    best = max(candidates, key=lambda i: (cue_score(i), -i))  # ties: the first printed
    return [best], 100.0


def locate_date(words: Sequence[Word], date: str) -> tuple[list[int], float]:
    """The words printing the same calendar date as `date`, in whatever format ("20180304" = "04/03/2018")."""
    from ...normalize import parse_date

    ids, score = find_span(words, date, MIN_ENTITY_SCORE["date"])
    if ids:
        return ids, score
    wanted = parse_date(date, country="MY")
    if not wanted:
        return [], score
    for size in (1, 2, 3):  # "04/03/2018", "4 MAR 2018" as three words
        for i in range(len(words) - size + 1):
            window = words[i : i + size]
            if any(w.line != window[0].line for w in window):
                continue
            found = parse_date(" ".join(w.text for w in window), country="MY")
            if found and found.iso == wanted.iso:
                return list(range(i, i + size)), 95.0
    return [], score


def locate_entities(words: Sequence[Word], entities: dict[str, str]) -> dict[str, Location]:
    """Locate each SROIE entity string (company, address, date, total) among `words` (reading order)."""
    found: dict[str, Location] = {}
    for key, text in entities.items():
        if not text or not text.strip():
            continue
        if key == "total":
            ids, score = locate_total(words, text)
        elif key == "date":
            ids, score = locate_date(words, text)
        else:
            ids, score = find_span(words, text, MIN_ENTITY_SCORE.get(key, 80.0))
        found[key] = Location(key, text, [words[i].id for i in ids], round(score, 2))
    return found


def entity_labels(words: Sequence[Word], locations: dict[str, Location]) -> dict[int, str]:
    """Word id -> label implied by located entities, with the cue words the label set assigns too.

    The paper labels a whole "TOTAL 12.30" line as total (labels.py: Total_key ->
    total) and its date_time class covers times, so the words before a located
    total on its line, and the time printed on the date's line, get those labels.
    """
    by_id = {w.id: w for w in words}
    labels: dict[int, str] = {}
    # Specific entities first: a total or date never gives its words to the address.
    for key in ("total", "date", "company", "address"):
        loc = locations.get(key)
        if loc is None or not loc.located:
            continue
        label = SROIE_ENTITY_TO_LABEL[key]
        for wid in loc.word_ids:
            labels.setdefault(wid, label)
        anchor = by_id[loc.word_ids[0]]
        same_line = [w for w in words if w.line is not None and w.line == anchor.line and w.page == anchor.page]
        if key == "total":
            for w in same_line:
                if w.x1 <= anchor.x0 + 1:
                    labels.setdefault(w.id, label)
        elif key == "date":
            for w in same_line:
                if _TIME.match(w.text.strip()):
                    labels.setdefault(w.id, label)
    return labels


def label_by_entities(doc: Document, entities: dict[str, str]) -> dict[str, Location]:
    """Label `doc.words` in place from SROIE entity strings (unlocated words: misc); returns the locations."""
    locations = locate_entities(doc.words, entities)
    labels = entity_labels(doc.words, locations)
    for w in doc.words:
        w.set_label(labels.get(w.id, MISC), 1.0, "human")
    return locations


# --------------------------------------------------------------------------- documents for training


def gold_labelled_document(example: Example, engine: OcrEngine | None = None, attach_image: bool = True) -> Document:
    """The example's image with words from `engine` (None: the annotation's own words) and gold labels.

    Labels come from `match_words` against the labelled reference words, with
    `label_source="human"`; fields, line items and key-value pairs are copied
    from the reference with their word ids mapped onto the new words. This is
    what the classifier trains on: words as the OCR engine really reads them.
    """
    image = example.load_image() if (attach_image or engine is not None) else None
    ref = example.reference
    page = ref.pages[0]
    doc = Document(
        source=str(example.image_path),
        pages=[Page(index=0, width=image.width if image else page.width, height=image.height if image else page.height, image=image if attach_image else None)],
        meta={"dataset": example.dataset, "id": example.id, "ocr": engine.name if engine is not None else "gold", "labels": "gold"},
    )
    if engine is None:
        doc.words = example.gold_words()
        for w in doc.words:
            w.set_label(w.label or MISC, 1.0, "human")
        mapping = {w.id: [w.id] for w in doc.words}
    else:
        words_to_document(doc, 0, engine.read(image))  # type: ignore[arg-type]  # loaded above whenever engine is set
        matches = match_words(doc.words, ref.words)
        mapping = {}
        for w, m in zip(doc.words, matches):
            w.set_label(m.label, 1.0, "human")
            if m.gold_ids and m.label != MISC:
                mapping.setdefault(m.gold_ids[0], []).append(w.id)
    _copy_structure(ref, doc, mapping)
    return doc


def _copy_structure(ref: Document, doc: Document, mapping: dict[int, list[int]]) -> None:
    from ...document import Field, KeyValue, LineItem

    def remap(ids: list[int]) -> list[int]:
        return sorted({new for old in ids for new in mapping.get(old, [])})

    doc.fields = {k: Field(f.text, f.value, f.confidence, remap(f.word_ids), f.source, f.currency) for k, f in ref.fields.items()}
    doc.line_items = [LineItem(li.description, li.quantity, li.unit_price, li.amount, remap(li.word_ids), li.confidence, li.source) for li in ref.line_items]
    doc.key_values = [KeyValue(kv.key, kv.value, remap(kv.key_word_ids), remap(kv.value_word_ids), kv.confidence) for kv in ref.key_values]


# --------------------------------------------------------------------------- OCR text against gold lines


def ocr_line_texts(gold: Sequence[Word], words: Sequence[Word], min_cover: float = MIN_WORD_COVER) -> tuple[list[str], list[str]]:
    """(gold line texts, OCR text read inside each gold line); see `read_gold_lines`."""
    gold_texts, pred_texts, _ = read_gold_lines(gold, words, min_cover)
    return gold_texts, pred_texts


def read_gold_lines(gold: Sequence[Word], words: Sequence[Word], min_cover: float = MIN_WORD_COVER) -> tuple[list[str], list[str], list[str]]:
    """(gold line texts, OCR text read inside each gold line, OCR words outside every line), for paper Table 1.

    A gold line is the reference words sharing a line id, its region their
    union box. Each OCR word goes to the line region covering most of it
    (at least `min_cover` of its area); a line's OCR text is its words left to
    right. OCR words outside every line are not compared here (they still count
    against token precision), so an engine is not blamed for annotators'
    skipped scribbles twice.
    """
    lines: dict[tuple[int, int], list[Word]] = {}
    for w in gold:
        lines.setdefault((w.page, w.line if w.line is not None else -1 - w.id), []).append(w)
    keys = list(lines)
    regions = [(min(w.x0 for w in ws), min(w.y0 for w in ws), max(w.x1 for w in ws), max(w.y1 for w in ws)) for ws in (lines[k] for k in keys)]
    read: list[list[Word]] = [[] for _ in keys]
    for w in words:
        area = max(box_area(w.box), 1e-6)
        best, best_cover = -1, min_cover - 1e-9  # ties go to the first line
        for i, (key, region) in enumerate(zip(keys, regions)):
            if key[0] != w.page:
                continue
            cover = box_intersection(w.box, region) / area
            if cover > best_cover:
                best, best_cover = i, cover
        if best >= 0:
            read[best].append(w)
    gold_texts = [" ".join(w.text for w in sorted(lines[k], key=lambda x: x.x0)) for k in keys]
    pred_texts = [" ".join(w.text for w in sorted(ws, key=lambda x: x.x0)) for ws in read]
    inside = {id(w) for ws in read for w in ws}
    outside = [w.text for w in words if id(w) not in inside]
    return gold_texts, pred_texts, outside
