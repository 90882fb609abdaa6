"""From per-word BIO probabilities to entities, and from pair scores to links.

Entities. Words arrive in reading order (line by line), but a form's
multi-line answer sits beside other text: in "Name: | John Smith" /
"Date: | of Acme Ltd" the answer's second line follows "Date:", not its own
first line. So an I- word continues the entity of the word before it only when
that entity has its type and is next to it; otherwise it joins the open entity
of its type whose last line is directly above it and overlaps it horizontally,
and starts a new entity when there is none.

Links. Every answer gets at most one question (the best-scoring one above the
threshold), while a question may own several answers (check-box lists, a
"Date" over several columns): one-to-many, as FUNSD annotates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .data import BIO_LABELS, Entity, KvPage

_O = 0


def _v_gap(upper: Sequence[float], lower: Sequence[float]) -> float:
    return lower[1] - upper[3]


def _h_overlap(a: Sequence[float], b: Sequence[float]) -> float:
    return min(a[2], b[2]) - max(a[0], b[0])


def _adjacent_below(entity_box: Sequence[float], last_box: Sequence[float], box: Sequence[float]) -> float | None:
    """How well `box` continues an entity ending at `last_box` on a lower line (smaller is better), or None."""
    h = max(1.0, last_box[3] - last_box[1], box[3] - box[1])
    gap = _v_gap(last_box, box)
    if gap < -0.5 * h or gap > 1.6 * h:
        return None
    if _h_overlap(entity_box, box) <= 0 and abs(box[0] - entity_box[0]) > 2 * h:
        return None
    return max(gap, 0.0) / h + abs(box[0] - entity_box[0]) / (10 * h)


def decode_entities(page: KvPage, probs: np.ndarray) -> list[Entity]:
    """Entities (header/question/answer) from BIO probabilities per word of `page`."""
    tags = probs.argmax(axis=1) if len(probs) else np.zeros(0, dtype=int)
    entities: list[Entity] = []
    boxes = page.boxes
    entity_of_word: dict[int, int] = {}
    conf: list[list[float]] = []
    for i, tag in enumerate(tags):
        tag = int(tag)
        if tag == _O:
            continue
        name = BIO_LABELS[tag]
        kind = name[2:].lower()
        target: int | None = None
        if name.startswith("I-"):
            prev = entity_of_word.get(i - 1)
            if prev is not None and entities[prev].label == kind:
                last = boxes[entities[prev].words[-1]]
                same_line = page.lines and page.lines[i] == page.lines[i - 1] and page.lines[i] >= 0
                h = max(1.0, last[3] - last[1])
                if (same_line and boxes[i][0] - last[2] < 3 * h) or _adjacent_below(page.entity_box(entities[prev]), last, boxes[i]) is not None:
                    target = prev
            if target is None:
                best: tuple[float, int] | None = None
                for k in range(len(entities) - 1, -1, -1):
                    e = entities[k]
                    if e.label != kind:
                        continue
                    score = _adjacent_below(page.entity_box(e), boxes[e.words[-1]], boxes[i])
                    if score is not None and (best is None or score < best[0]):
                        best = (score, k)
                if best is not None:
                    target = best[1]
        if target is None:
            entities.append(Entity(label=kind, words=[i]))
            conf.append([float(probs[i, tag])])
            entity_of_word[i] = len(entities) - 1
        else:
            entities[target].words.append(i)
            conf[target].append(float(probs[i, tag]))
            entity_of_word[i] = target
    for e, c in zip(entities, conf):
        e.confidence = round(float(np.mean(c)), 4)
    return entities


def decode_links(
    scores: np.ndarray, questions: Sequence[int], answers: Sequence[int], threshold: float = 0.5, extra_threshold: float = 1.01
) -> list[tuple[int, int, float]]:
    """(question, answer, score) links from a (len(questions), len(answers)) score matrix.

    Each answer keeps its best question when that score reaches `threshold`,
    and any further question scoring at least `extra_threshold` (FUNSD links
    about one answer in eight to two questions: a row and a column title). A
    question may keep several answers (one-to-many).
    """
    out: list[tuple[int, int, float]] = []
    if scores.size == 0:
        return out
    for j, a in enumerate(answers):
        column = scores[:, j]
        best = int(np.argmax(column))
        if column[best] < threshold:
            continue
        out.append((questions[best], a, float(column[best])))
        for i in np.nonzero(column >= extra_threshold)[0]:
            if int(i) != best:
                out.append((questions[int(i)], a, float(column[i])))
    return out
