"""Entity F1 and link F1 for key-value extraction (FUNSD's two tasks, end to end).

Both are computed over one word list shared by gold and prediction: the
annotation's words ("from gold words"), or the OCR words with the gold entity
of the annotation word each overlaps ("from OCR"; see `data.page_from_ocr`).

- An entity is right when its label and its exact set of words equal a gold
  entity's (header/question/answer; "other" is not scored).
- A link is right when its question and its answer are both right entities of
  a gold question->answer link. Predicted entities that are wrong make their
  links wrong too: this is the "entities and links both predicted" setting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .data import ENTITY_TYPES, Entity


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, Any]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "pred": n_pred, "gold": n_gold}


def _key(e: Entity) -> tuple[str, frozenset[int]]:
    return (e.label, frozenset(e.words))


def entity_scores(pairs: Iterable[tuple[Sequence[Entity], Sequence[Entity]]]) -> dict[str, Any]:
    """Micro and per-type P/R/F1 over (gold entities, predicted entities) per page."""
    counts = {t: [0, 0, 0] for t in ENTITY_TYPES}  # tp, pred, gold
    for gold, pred in pairs:
        gold_keys = {_key(e) for e in gold if e.label in ENTITY_TYPES and e.words}
        pred_keys = {_key(e) for e in pred if e.label in ENTITY_TYPES and e.words}
        for label, words in pred_keys:
            counts[label][1] += 1
            counts[label][0] += (label, words) in gold_keys
        for label, _ in gold_keys:
            counts[label][2] += 1
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    return {"micro": _prf(*total), "per_type": {t: _prf(*c) for t, c in counts.items()}}


def link_scores(pages: Iterable[tuple[Sequence[Entity], Sequence[tuple[int, int]], Sequence[Entity], Sequence[tuple[int, int]]]]) -> dict[str, Any]:
    """P/R/F1 of question->answer links: (gold entities, gold links, predicted entities, predicted links) per page."""
    tp = n_pred = n_gold = 0
    for gold_e, gold_l, pred_e, pred_l in pages:
        gold_set = {(frozenset(gold_e[q].words), frozenset(gold_e[a].words)) for q, a in gold_l}
        pred_set = {(frozenset(pred_e[q].words), frozenset(pred_e[a].words)) for q, a in pred_l}
        tp += len(gold_set & pred_set)
        n_pred += len(pred_set)
        n_gold += len(gold_set)
    return _prf(tp, n_pred, n_gold)
