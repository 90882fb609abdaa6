"""Key-value training and scoring data: a page as words, entities and question->answer links.

The key-value model works on *entities* (FUNSD's unit): a group of words that
is one question (key), one answer (value), a header or other text. A
`KvPage` holds a page's words in reading order, the entities as lists of word
positions, and the links between them. It is built from a FUNSD example (gold
words, gold entities) or from OCR words that inherit the gold entity of the
annotation word they overlap (so training and scoring can use what OCR reads).

Entity labels per word are BIO tags over header/question/answer; FUNSD's
"other" is outside (O), as in the FUNSD papers' entity-labelling task.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ...document import Box, Document, Word

ENTITY_TYPES: tuple[str, ...] = ("header", "question", "answer")
OTHER = "other"
BIO_LABELS: tuple[str, ...] = ("O", "B-HEADER", "I-HEADER", "B-QUESTION", "I-QUESTION", "B-ANSWER", "I-ANSWER")
BIO_TO_ID: dict[str, int] = {name: i for i, name in enumerate(BIO_LABELS)}


def begin_id(entity_type: str) -> int:
    return BIO_TO_ID[f"B-{entity_type.upper()}"]


def inside_id(entity_type: str) -> int:
    return BIO_TO_ID[f"I-{entity_type.upper()}"]


def tag_type(tag_id: int) -> str | None:
    """'question' for B-QUESTION/I-QUESTION, None for O."""
    name = BIO_LABELS[tag_id]
    return None if name == "O" else name[2:].lower()


@dataclass
class Entity:
    """Words (positions in the page's word list, reading order) that form one key, value, header or other text."""

    label: str  # header | question | answer | other
    words: list[int]
    confidence: float = 1.0


@dataclass
class KvPage:
    """One page: words in reading order, their boxes, the entities and the question->answer links."""

    id: str
    texts: list[str]
    boxes: list[Box]
    size: tuple[float, float]
    entities: list[Entity] = field(default_factory=list)
    links: list[tuple[int, int]] = field(default_factory=list)  # (question entity index, answer entity index)
    lines: list[int] = field(default_factory=list)  # line id per word (tillroll's line grouping)

    def entity_text(self, e: Entity) -> str:
        return " ".join(self.texts[i] for i in e.words)

    def entity_box(self, e: Entity) -> Box:
        boxes = [self.boxes[i] for i in e.words]
        return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))

    def bio_tags(self) -> list[int]:
        """BIO tag id per word: B on an entity's first word in reading order, I on the rest, O for other/no entity."""
        tags = [BIO_TO_ID["O"]] * len(self.texts)
        for e in self.entities:
            if e.label not in ENTITY_TYPES or not e.words:
                continue
            ordered = sorted(e.words)
            tags[ordered[0]] = begin_id(e.label)
            for i in ordered[1:]:
                tags[i] = inside_id(e.label)
        return tags


def page_from_words(
    doc_id: str, words: Sequence[Word], size: tuple[float, float], entity_of: dict[int, int], label_of: dict[int, str], links: Sequence[Sequence[int]]
) -> KvPage:
    """A `KvPage` from words (any order is kept) and the entity id / label of each word id."""
    page = KvPage(
        id=doc_id, texts=[w.text for w in words], boxes=[w.box for w in words], size=size, lines=[w.line if w.line is not None else -1 for w in words]
    )
    index: dict[int, int] = {}
    for pos, w in enumerate(words):
        eid = entity_of.get(w.id)
        if eid is None:
            continue
        if eid not in index:
            index[eid] = len(page.entities)
            page.entities.append(Entity(label=label_of.get(w.id, OTHER), words=[]))
        page.entities[index[eid]].words.append(pos)
    for q, a in links:
        if q in index and a in index:
            page.links.append((index[q], index[a]))
    return page


def page_from_reference(doc_id: str, reference: Document) -> KvPage:
    """The gold page of a FUNSD example (`reference.meta` holds entities, labels and links)."""
    meta: dict[str, Any] = reference.meta
    entity_of = {int(k): int(v) for k, v in meta.get("funsd_entities", {}).items()}
    label_of = {int(k): str(v) for k, v in meta.get("funsd_labels", {}).items()}
    page = reference.pages[0] if reference.pages else None
    size = (float(page.width), float(page.height)) if page else (max(w.x1 for w in reference.words), max(w.y1 for w in reference.words))
    return page_from_words(doc_id, reference.words, size, entity_of, label_of, meta.get("funsd_links", []))


def page_from_ocr(doc_id: str, ocr_words: Sequence[Word], reference: Document) -> KvPage:
    """OCR words labelled with the gold entity of the annotation word they overlap most.

    An OCR word that touches no annotated word stays outside every entity. Used to
    score entity F1 from OCR against gold (and optionally to train on OCR words).
    """
    from ...io.gold.align import match_words

    gold = page_from_reference(doc_id, reference)
    gold_entity_of_word: dict[int, int] = {}
    for ei, e in enumerate(gold.entities):
        for pos in e.words:
            gold_entity_of_word[reference.words[pos].id] = ei
    entity_of: dict[int, int] = {}
    label_of: dict[int, str] = {}
    # The annotation's own words fed as "OCR" keep their entity exactly (boxes of
    # neighbouring FUNSD words can overlap, which the area match could confuse).
    exact = {(g.text, tuple(g.box)): g.id for g in reference.words}
    for w, m in zip(ocr_words, match_words(list(ocr_words), reference.words)):
        same = exact.get((w.text, tuple(w.box)))
        ids = [gold_entity_of_word[g] for g in ([same] if same is not None else m.gold_ids) if g in gold_entity_of_word]
        if ids:
            ei = max(set(ids), key=ids.count)
            entity_of[w.id] = ei
            label_of[w.id] = gold.entities[ei].label
    links = list(gold.links)
    return page_from_words(doc_id, ocr_words, gold.size, entity_of, label_of, links)
