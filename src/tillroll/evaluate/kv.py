"""Entity and link scores of key-value extraction on FUNSD-format forms (for `tillroll evaluate`).

Gold entities are projected onto the words the pipeline read (`models.kv.data.page_from_ocr`):
with `--ocr gold` these are the annotation's words, so the scores are the
papers' end-to-end entity labelling and entity linking F1; with OCR they say
what a user gets, an entity counting only when OCR's words for it are exactly
the words the annotation's entity covers.

The predicted entities are the learned model's (`doc.meta["kv_entities"]`); the
heuristic has no entity step, so its keys count as questions and its values as
answers. Links compare by word sets, so a pair is right only when both its
key's and its value's words are exactly a gold question's and its answer's.
"""

from __future__ import annotations

from typing import Any

from ..document import Document
from ..models.kv.data import Entity, page_from_ocr
from ..models.kv.metrics import entity_scores, link_scores


def predicted_entities(doc: Document) -> tuple[list[Entity], list[tuple[int, int]]]:
    """The document's entities (positions in doc.words) and its key->value links as entity index pairs."""
    position = {w.id: i for i, w in enumerate(doc.words)}
    entities: list[Entity] = []
    index: dict[tuple[str, frozenset[int]], int] = {}

    def add(label: str, word_ids: list[int]) -> int:
        words = sorted(position[i] for i in word_ids if i in position)
        key = (label, frozenset(words))
        if key not in index:
            index[key] = len(entities)
            entities.append(Entity(label=label, words=words))
        return index[key]

    for record in doc.meta.get("kv_entities", []):
        add(str(record["label"]), list(record["word_ids"]))
    links = [(add("question", kv.key_word_ids), add("answer", kv.value_word_ids)) for kv in doc.key_values]
    return entities, links


def kv_record(example: Any, doc: Document) -> tuple[list[Entity], list[tuple[int, int]], list[Entity], list[tuple[int, int]]]:
    """(gold entities, gold links, predicted entities, predicted links) of one form, over `doc.words`."""
    gold = page_from_ocr(example.id, doc.words, example.reference)
    pred_entities, pred_links = predicted_entities(doc)
    return gold.entities, gold.links, pred_entities, pred_links


def kv_report(records: list[tuple[list[Entity], list[tuple[int, int]], list[Entity], list[tuple[int, int]]]], mode: str) -> dict[str, Any]:
    return {
        "key_values_from": mode,
        "entities": entity_scores([(g, p) for g, _, p, _ in records]),
        "links": link_scores(records),
        "documents": len(records),
    }
