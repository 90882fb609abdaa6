"""A tree-ensemble BIO tagger over hand-made word features: the entity model's light alternative.

Each word is described by its box (page-relative and in text heights), the
shape of its text (colon, digits, capitals, length), its place in its printed
line and in its gap-separated segment of that line, its neighbours on the line
and the nearest text above and below. Gradient-boosted trees (scikit-learn at
training time, one binary ensemble per tag, walked with numpy at run time)
give each word a probability per BIO tag; `decode.decode_entities` turns them
into entities exactly as it does the LayoutLM tagger's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ModelError
from .data import BIO_LABELS, KvPage
from .linker import TreeEnsemble, one_vs_rest_probabilities

WORD_FEATURES: tuple[str, ...] = (
    "x0", "y0", "x1", "y1", "w_h", "h_rel",
    "len", "digits", "alpha", "upper", "title", "ends_colon", "has_colon", "ends_q", "punct", "money", "slash_dash",
    "first_in_line", "last_in_line", "index_in_line", "words_in_line",
    "gap_prev", "gap_next", "prev_colon", "prev_digits", "prev_upper", "next_colon", "next_digits", "next_upper",
    "seg_index", "segs_in_line", "seg_words", "first_in_seg", "last_in_seg", "seg_ends_colon", "prev_seg_colon", "next_seg_exists",
    "above_gap", "above_colon", "below_gap", "below_colon", "above_x_offset",
)  # fmt: skip
_DIGIT = re.compile(r"\d")
# Packed copies of a tagger's ensembles, keyed by the list they were made from (built on first use).
_PACKED: dict[int, tuple[Sequence[TreeEnsemble], TreeEnsemble]] = {}
SEGMENT_GAP = 0.6  # a gap wider than this many text heights splits a line into segments


def _shape(text: str) -> tuple[float, float, float, float, float, float, float, float, float, float, float]:
    n = max(1, len(text))
    letters = [c for c in text if c.isalpha()]
    return (
        float(len(text)),
        len(_DIGIT.findall(text)) / n,
        len(letters) / n,
        float(bool(letters) and all(c.isupper() for c in letters)),
        float(text[:1].isupper() and not all(c.isupper() for c in letters)),
        float(text.rstrip().endswith(":")),
        float(":" in text),
        float(text.rstrip().endswith("?")),
        float(not any(c.isalnum() for c in text)),
        float("$" in text or "%" in text),
        float("/" in text or "-" in text),
    )


def word_features(page: KvPage) -> np.ndarray:
    """One row of `WORD_FEATURES` per word of `page` (reading order, line ids in `page.lines`)."""
    return word_features_and_context(page)[0]


def word_features_and_context(page: KvPage) -> tuple[np.ndarray, np.ndarray]:
    """`word_features`, and per word the index of its left and right neighbour on the line,
    the nearest word above, and its segment id (-1: none), for the second stage."""
    n = len(page.texts)
    out = np.zeros((n, len(WORD_FEATURES)), dtype=np.float64)
    context = np.full((n, 4), -1, dtype=np.int64)
    if not n:
        return out, context
    boxes = np.array(page.boxes, dtype=np.float64).reshape(-1, 4)
    heights = boxes[:, 3] - boxes[:, 1]
    h = max(1.0, float(np.median(heights)))
    pw, ph = max(1.0, page.size[0]), max(1.0, page.size[1])
    lines = page.lines if page.lines and len(page.lines) == n else list(range(n))
    shapes = [_shape(t) for t in page.texts]
    # Lines and segments, in reading order.
    by_line: dict[int, list[int]] = {}
    for i, line in enumerate(lines):
        by_line.setdefault(line, []).append(i)
    segment_of: dict[int, tuple[int, int]] = {}  # word -> (segment index in line, segment id)
    segments: list[list[int]] = []
    segs_in_line: dict[int, int] = {}
    for line, ws in by_line.items():
        ws = sorted(ws, key=lambda i: boxes[i, 0])
        k = 0
        segments.append([ws[0]])
        segment_of[ws[0]] = (0, len(segments) - 1)
        for left, right in zip(ws, ws[1:]):
            if boxes[right, 0] - boxes[left, 2] > SEGMENT_GAP * h:
                k += 1
                segments.append([])
            segments[-1].append(right)
            segment_of[right] = (k, len(segments) - 1)
        segs_in_line[line] = k + 1
    # Nearest words above and below each word that overlap it horizontally (one n x n pass).
    overlap = (np.minimum(boxes[:, None, 2], boxes[None, :, 2]) - np.maximum(boxes[:, None, 0], boxes[None, :, 0])) > -0.5 * h
    np.fill_diagonal(overlap, False)
    is_above = overlap & (boxes[None, :, 3] <= boxes[:, None, 1] + 0.3 * h)
    is_below = overlap & (boxes[None, :, 1] >= boxes[:, None, 3] - 0.3 * h)
    above_key = np.where(is_above, boxes[None, :, 3], -np.inf)
    below_key = np.where(is_below, boxes[None, :, 1], np.inf)
    above_of = np.where(is_above.any(axis=1), above_key.argmax(axis=1), -1)
    below_of = np.where(is_below.any(axis=1), below_key.argmin(axis=1), -1)
    ordered = {line: sorted(ws, key=lambda j: boxes[j, 0]) for line, ws in by_line.items()}
    for i in range(n):
        line = lines[i]
        ws = ordered[line]
        pos = ws.index(i)
        prev = ws[pos - 1] if pos > 0 else None
        nxt = ws[pos + 1] if pos + 1 < len(ws) else None
        k, sid = segment_of[i]
        seg = segments[sid]
        prev_seg = segments[sid - 1] if k > 0 else None
        seg_text_colon = shapes[seg[-1]][5]
        a = int(above_of[i]) if above_of[i] >= 0 else None
        b = int(below_of[i]) if below_of[i] >= 0 else None
        s = shapes[i]
        context[i] = (prev if prev is not None else -1, nxt if nxt is not None else -1, a if a is not None else -1, sid)
        out[i] = (
            boxes[i, 0] / pw, boxes[i, 1] / ph, boxes[i, 2] / pw, boxes[i, 3] / ph, (boxes[i, 2] - boxes[i, 0]) / h, heights[i] / h,
            *s,
            pos == 0, nxt is None, pos, len(ws),
            (boxes[i, 0] - boxes[prev, 2]) / h if prev is not None else -1, (boxes[nxt, 0] - boxes[i, 2]) / h if nxt is not None else -1,
            shapes[prev][5] if prev is not None else -1, shapes[prev][1] if prev is not None else -1, shapes[prev][3] if prev is not None else -1,
            shapes[nxt][5] if nxt is not None else -1, shapes[nxt][1] if nxt is not None else -1, shapes[nxt][3] if nxt is not None else -1,
            k, segs_in_line[line], len(seg), seg[0] == i, seg[-1] == i, seg_text_colon,
            shapes[prev_seg[-1]][5] if prev_seg else -1, float(k + 1 < segs_in_line[line]),
            (boxes[i, 1] - boxes[a, 3]) / h if a is not None else -1, shapes[a][5] if a is not None else -1,
            (boxes[b, 1] - boxes[i, 3]) / h if b is not None else -1, shapes[b][5] if b is not None else -1,
            (boxes[i, 0] - boxes[a, 0]) / h if a is not None else 0,
        )  # fmt: skip
    return out, context


def stacked_features(x: np.ndarray, probs: np.ndarray, context: np.ndarray) -> np.ndarray:
    """Second-stage input: the word's features, its first-stage tag probabilities, those of its
    left and right neighbours and of the word above (-1 where none), and its segment's mean."""
    n, k = probs.shape
    padded = np.vstack([probs, np.full((1, k), -1.0)])  # index -1 -> the "none" row
    segments = context[:, 3]
    seg_mean = np.zeros_like(probs)
    for sid in np.unique(segments):
        rows = segments == sid
        seg_mean[rows] = probs[rows].mean(axis=0)
    return np.hstack([x, probs, padded[context[:, 0]], padded[context[:, 1]], padded[context[:, 2]], seg_mean])


@dataclass
class WordTagger:
    """One binary tree ensemble per BIO tag; probabilities are a softmax of their raw scores."""

    ensembles: list[TreeEnsemble]
    stage2: list[TreeEnsemble] | None = None  # trees over `stacked_features` (neighbours' first-stage tags)

    def predict(self, page: KvPage) -> np.ndarray:
        x, context = word_features_and_context(page)
        if not len(x):
            return np.zeros((0, len(BIO_LABELS)), dtype=np.float32)
        probs = _softmax_raw(self.ensembles, x)
        if self.stage2:
            probs = _softmax_raw(self.stage2, stacked_features(x, probs, context))
        return probs

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "word_tagger_trees",
            "features": list(WORD_FEATURES),
            "labels": list(BIO_LABELS),
            "ensembles": [e.to_dict() for e in self.ensembles],
            "stage2": [e.to_dict() for e in self.stage2] if self.stage2 else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WordTagger:
        if tuple(d.get("features", ())) != WORD_FEATURES or list(d.get("labels", [])) != list(BIO_LABELS):
            raise ModelError("the word tagger was trained with other features or tags than this tillroll uses; retrain it")
        stage2 = d.get("stage2")
        return cls(
            [TreeEnsemble.from_dict(e, check_features=False) for e in d["ensembles"]],
            [TreeEnsemble.from_dict(e, check_features=False) for e in stage2] if stage2 else None,
        )


def _softmax_raw(ensembles: Sequence[TreeEnsemble], x: np.ndarray) -> np.ndarray:
    """Softmax over the tags of the per-tag ensembles' raw scores, all trees walked in one pass."""
    packed = _PACKED.get(id(ensembles))
    if packed is None or packed[0] is not ensembles:
        packed = (ensembles, TreeEnsemble.concatenate(ensembles))
        _PACKED[id(ensembles)] = packed
    probs: np.ndarray = one_vs_rest_probabilities(ensembles, packed[1], x).astype(np.float32)
    return probs


def load_word_tagger(path: Path) -> WordTagger:
    try:
        return WordTagger.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"cannot read the word tagger {path}: {exc}") from exc


def _fit(x: np.ndarray, y: np.ndarray, seed: int, max_iter: int) -> list[TreeEnsemble]:
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(
        max_iter=max_iter, learning_rate=0.1, max_leaf_nodes=31, min_samples_leaf=10, l2_regularization=1.0, random_state=seed, early_stopping=False
    )
    model.fit(x, y)
    classes = list(model.classes_)
    if classes != list(range(len(BIO_LABELS))):
        raise ModelError(f"the training pages lack some tags (have {classes}); give more forms")
    return [TreeEnsemble.from_sklearn(model, k) for k in range(len(BIO_LABELS))]


def train_word_tagger(pages: Sequence[KvPage], seed: int = 13, max_iter: int = 200, stacked: bool = True, folds: int = 2) -> WordTagger:
    """Fit the first stage on every page; with `stacked`, fit the second stage on out-of-fold
    first-stage probabilities (so it learns from probabilities like those it meets on new forms)."""
    feats = [word_features_and_context(p) for p in pages]
    tags = [np.array(p.bio_tags(), dtype=np.int64) for p in pages]
    x, y = np.concatenate([f[0] for f in feats]), np.concatenate(tags)
    first = _fit(x, y, seed, max_iter)
    if not stacked:
        return WordTagger(first)
    held: list[np.ndarray | None] = [None] * len(pages)
    for k in range(folds):
        fold = _fit(
            np.concatenate([f[0] for i, f in enumerate(feats) if i % folds != k]),
            np.concatenate([t for i, t in enumerate(tags) if i % folds != k]),
            seed,
            max_iter,
        )
        for i, f in enumerate(feats):
            if i % folds == k:
                held[i] = stacked_features(f[0], _softmax_raw(fold, f[0]), f[1])
    second = _fit(np.concatenate([h for h in held if h is not None]), y, seed, max_iter)
    return WordTagger(first, second)
