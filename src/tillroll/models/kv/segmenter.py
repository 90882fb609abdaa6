"""The two-step entity tagger: cut a page's words into entity segments, then label each segment.

FUNSD's entities are runs of neighbouring words: a label and its colon, a value
in a box, a header over two lines. Tagging each word on its own (BIO) has to
rediscover that grouping word by word and breaks entities apart or glues two
together; here the grouping is its own decision.

1. **Segmenter.** Every pair of neighbouring words is a candidate join: the
   next word on the same line, and the nearest word on a lower line that
   overlaps it horizontally (multi-line values and headers). A tree ensemble
   scores "same entity" from the pair's geometry in text heights (gap, left-
   and right-edge alignment, height change), the two words' text shape (a
   colon at the end of the left word ends a key) and the gaps around them; the
   pairs scored above `join_threshold` are joined and every connected group of
   words is one segment.
2. **Labeller.** A multi-class tree ensemble labels each segment header /
   question / answer / other from its text shape, size, position and its
   neighbours (the segment to its left, right, above and below: a segment
   ending with ':' to the left makes this one an answer). A second stage reads
   the first stage's label probabilities of those neighbours.

Both are gradient-boosted trees fitted with scikit-learn at training time and
walked with numpy at run time (`linker.TreeEnsemble`), so inference needs
neither sklearn nor torch. The segments labelled "other" are dropped; the rest
are the entities the linker pairs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ModelError
from .data import Entity, KvPage
from .linker import TreeEnsemble, one_vs_rest_probabilities

SEGMENT_LABELS: tuple[str, ...] = ("other", "header", "question", "answer")

PAIR_FEATURES: tuple[str, ...] = (
    "below",  # 0: same line, 1: the lower word of a vertical pair
    "gap_x", "gap_y", "left_align", "right_align", "centre_dy",
    "h_a", "h_b", "h_ratio", "h_overlap",
    "a_len", "a_digits", "a_alpha", "a_upper", "a_title", "a_colon", "a_period", "a_lower_start", "a_punct", "a_open",
    "b_len", "b_digits", "b_alpha", "b_upper", "b_title", "b_colon", "b_period", "b_lower_start", "b_punct", "b_open",
    "a_last_in_line", "b_first_in_line", "a_gap_before", "b_gap_after", "line_gap_median",
    "a_line_words", "b_line_words", "a_x", "a_y", "b_line_x0_vs_a_line_x0",
    "a_lex_other", "a_lex_header", "a_lex_question", "a_lex_answer", "a_lex_seen",
    "b_lex_other", "b_lex_header", "b_lex_question", "b_lex_answer", "b_lex_seen",
    "fa_words", "fb_words", "fa_width", "fb_width", "f_left_align", "f_right_align", "fa_colon", "fa_last", "fb_first",
    "a_first_in_frag", "a_last_in_frag", "b_first_in_frag", "fa_line_frags", "fb_line_frags", "fa_period",
)  # fmt: skip

SEGMENT_FEATURES: tuple[str, ...] = (
    "words", "lines", "x0", "y0", "x1", "y1", "width_h", "height_h", "word_h",
    "chars", "digits", "alpha", "upper", "title", "ends_colon", "has_colon", "ends_q", "ends_period", "lower_start", "punct", "money", "slash_dash",
    "digit_start", "paren",
    "seg_index", "segs_in_line", "centre_offset",
    "left_gap", "left_colon", "left_digits", "left_words",
    "right_gap", "right_colon", "right_digits", "right_words",
    "above_gap", "above_colon", "above_words", "above_x",
    "below_gap", "below_colon", "below_words", "below_x",
    "lex_mean_other", "lex_mean_header", "lex_mean_question", "lex_mean_answer",
    "lex_first_other", "lex_first_header", "lex_first_question", "lex_first_answer",
    "lex_last_other", "lex_last_header", "lex_last_question", "lex_last_answer", "lex_seen",
)  # fmt: skip
FRAGMENT_GAP = 1.2  # for the pair features: a gap wider than this many text heights ends a run of text on a line
_NEIGHBOURS = 4  # left, right, above, below: whose first-stage probabilities the second stage reads
_DIGIT = re.compile(r"\d")
_STRIP = "".join(chr(c) for c in range(33, 127) if not chr(c).isalnum()) + "\u2610\u2611\u2612"


def _shapes(texts: Sequence[str]) -> np.ndarray:
    """Per word: length, digit / letter share, all capitals, capitalised, ends ':' / '.', lowercase start, no
    letters or digits, opens a bracket."""
    out = np.zeros((len(texts), 10), dtype=np.float64)
    for i, t in enumerate(texts):
        n = max(1, len(t))
        letters = [c for c in t if c.isalpha()]
        s = t.rstrip()
        out[i] = (
            len(t),
            len(_DIGIT.findall(t)) / n,
            len(letters) / n,
            bool(letters) and all(c.isupper() for c in letters),
            t[:1].isupper(),
            s.endswith(":"),
            s.endswith("."),
            t[:1].islower(),
            not any(c.isalnum() for c in t),
            t[:1] in "([",
        )
    return out


@dataclass
class _Layout:
    """A page's words arranged for both steps: lines left to right, text height, shapes."""

    boxes: np.ndarray
    h: float
    line_of: np.ndarray  # line index per word (0..L-1)
    order: list[list[int]]  # words of each line, left to right
    pos: np.ndarray  # position of each word in its line
    shapes: np.ndarray
    lex: np.ndarray  # per word: the lexicon's label shares and whether the word is in it


def lexicon_key(text: str) -> str | None:
    """The lexicon's key of a word: lowercased, outer punctuation stripped; None for numbers and symbols."""
    key = text.lower().strip(_STRIP)
    return key if key and not any(c.isdigit() for c in key) else None


def build_lexicon(pages: Sequence[KvPage], smoothing: float = 2.0, min_count: int = 2) -> dict[str, list[float]]:
    """Per word (seen at least `min_count` times): its label shares over the training entities, smoothed toward the
    overall shares. Form keys and values reuse a small vocabulary ("Date", "To", "Subject", "Brand"), which the
    word's shape alone cannot tell."""
    k = len(SEGMENT_LABELS)
    counts: dict[str, np.ndarray] = {}
    total = np.zeros(k)
    for page in pages:
        for e in page.entities:
            c = SEGMENT_LABELS.index(e.label) if e.label in SEGMENT_LABELS else 0
            for i in e.words:
                key = lexicon_key(page.texts[i])
                total[c] += 1
                if key is not None:
                    counts.setdefault(key, np.zeros(k))[c] += 1
    prior = total / max(1.0, total.sum())
    out = {"": [round(float(v), 4) for v in prior]}  # "" holds the prior for unseen words
    for key, seen in counts.items():
        if seen.sum() >= min_count:
            out[key] = [round(float(v), 4) for v in (seen + smoothing * prior) / (seen.sum() + smoothing)]
    return out


def _lexicon_rows(texts: Sequence[str], lexicon: dict[str, list[float]]) -> np.ndarray:
    k = len(SEGMENT_LABELS)
    prior = lexicon.get("", [1.0 / k] * k)
    rows = np.zeros((len(texts), k + 1))
    for i, t in enumerate(texts):
        key = lexicon_key(t)
        hit = lexicon.get(key) if key else None
        rows[i, :k] = hit if hit is not None else prior
        rows[i, k] = hit is not None
    return rows


def _layout(page: KvPage, lexicon: dict[str, list[float]] | None = None) -> _Layout:
    n = len(page.texts)
    boxes = np.array(page.boxes, dtype=np.float64).reshape(-1, 4)
    heights = boxes[:, 3] - boxes[:, 1]
    h = max(1.0, float(np.median(heights))) if n else 1.0
    raw = page.lines if page.lines and len(page.lines) == n and min(page.lines) >= 0 else list(range(n))
    ids: dict[int, int] = {}
    line_of = np.array([ids.setdefault(v, len(ids)) for v in raw], dtype=np.int64)
    order: list[list[int]] = [[] for _ in ids]
    for i in range(n):
        order[line_of[i]].append(i)
    pos = np.zeros(n, dtype=np.int64)
    for k, ws in enumerate(order):
        ws.sort(key=lambda i: boxes[i, 0])
        order[k] = ws
        for p, i in enumerate(ws):
            pos[i] = p
    return _Layout(boxes, h, line_of, order, pos, _shapes(page.texts), _lexicon_rows(page.texts, lexicon or {}))


def candidate_pairs(page: KvPage, lay: _Layout | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(pairs, features): every candidate join (a, b) of neighbouring words and its `PAIR_FEATURES` row."""
    lay = lay or _layout(page)
    n = len(page.texts)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64), np.zeros((0, len(PAIR_FEATURES)))
    b, h = lay.boxes, lay.h
    pairs: list[tuple[int, int]] = [(ws[k], ws[k + 1]) for ws in lay.order for k in range(len(ws) - 1)]
    n_same = len(pairs)
    # Nearest word on another, lower line that overlaps horizontally (half a text height of slack).
    overlap = (np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0])) > -0.5 * h
    lower = overlap & (lay.line_of[None, :] != lay.line_of[:, None]) & (b[None, :, 1] >= b[:, None, 1] + 0.3 * h)
    key = np.where(lower, b[None, :, 1] - b[:, None, 3] + 0.01 * np.abs(b[None, :, 0] - b[:, None, 0]), np.inf)
    nearest = key.argmin(axis=1)
    for i in np.nonzero(np.isfinite(key[np.arange(n), nearest]))[0]:
        j = int(nearest[i])
        if b[j, 1] - b[i, 3] <= 4 * h:  # further apart, no entity in the training forms continues
            pairs.append((int(i), j))
    p = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    a_, b_ = p[:, 0], p[:, 1]
    below = np.zeros(len(p))
    below[n_same:] = 1.0
    line_len = np.array([len(lay.order[k]) for k in lay.line_of], dtype=np.float64)
    line_x0 = np.array([b[lay.order[k][0], 0] for k in lay.line_of])
    # Gaps to the previous / next word on the line (-1: none), and each line's median gap.
    gap_before = np.full(n, -1.0)
    gap_after = np.full(n, -1.0)
    line_gap = np.full(len(lay.order), -1.0)
    for k, ws in enumerate(lay.order):
        if len(ws) > 1:
            g = (b[ws[1:], 0] - b[ws[:-1], 2]) / h
            gap_before[ws[1:]] = g
            gap_after[ws[:-1]] = g
            line_gap[k] = float(np.median(g))
    # Fixed-gap line fragments, so a vertical pair sees the two runs of text it would join.
    frag_of = np.zeros(n, dtype=np.int64)
    frags: list[list[int]] = []
    frag_line: list[int] = []
    for line_index, line_words in enumerate(lay.order):
        for p_, w in enumerate(line_words):
            if p_ == 0 or b[w, 0] - b[line_words[p_ - 1], 2] > FRAGMENT_GAP * h:
                frags.append([])
                frag_line.append(line_index)
            frags[-1].append(w)
            frag_of[w] = len(frags) - 1
    fbox = np.array([[b[f[0], 0], b[f, 1].min(), b[f[-1], 2], b[f, 3].max()] for f in frags])
    fwords = np.array([len(f) for f in frags], dtype=np.float64)
    fcolon = np.array([lay.shapes[f[-1], 5] for f in frags])
    fperiod = np.array([lay.shapes[f[-1], 6] for f in frags])
    ffirst = np.array([f[0] == lay.order[frag_line[j]][0] for j, f in enumerate(frags)], dtype=np.float64)
    flast = np.array([f[-1] == lay.order[frag_line[j]][-1] for j, f in enumerate(frags)], dtype=np.float64)
    line_frags = np.bincount(np.array(frag_line, dtype=np.int64), minlength=len(lay.order)).astype(np.float64)
    fa, fb = frag_of[a_], frag_of[b_]
    fl = np.array(frag_line, dtype=np.int64)
    frag_cols = [
        fwords[fa], fwords[fb], (fbox[fa, 2] - fbox[fa, 0]) / h, (fbox[fb, 2] - fbox[fb, 0]) / h,
        (fbox[fb, 0] - fbox[fa, 0]) / h, (fbox[fb, 2] - fbox[fa, 2]) / h, fcolon[fa], flast[fa], ffirst[fb],
        np.array([frags[j][0] == i for i, j in zip(a_, fa)], dtype=np.float64),
        np.array([frags[j][-1] == i for i, j in zip(a_, fa)], dtype=np.float64),
        np.array([frags[j][0] == i for i, j in zip(b_, fb)], dtype=np.float64),
        line_frags[fl[fa]], line_frags[fl[fb]], fperiod[fa],
    ]  # fmt: skip
    ha, hb = b[a_, 3] - b[a_, 1], b[b_, 3] - b[b_, 1]
    ho = np.clip(np.minimum(b[a_, 2], b[b_, 2]) - np.maximum(b[a_, 0], b[b_, 0]), 0, None)
    width = np.maximum(1.0, np.minimum(b[a_, 2] - b[a_, 0], b[b_, 2] - b[b_, 0]))
    pw, ph = max(1.0, page.size[0]), max(1.0, page.size[1])
    x = np.column_stack(
        [
            below,
            (b[b_, 0] - b[a_, 2]) / h,
            (b[b_, 1] - b[a_, 3]) / h,
            (b[b_, 0] - b[a_, 0]) / h,
            (b[b_, 2] - b[a_, 2]) / h,
            ((b[b_, 1] + b[b_, 3]) - (b[a_, 1] + b[a_, 3])) / (2 * h),
            ha / h,
            hb / h,
            hb / np.maximum(1.0, ha),
            ho / width,
            lay.shapes[a_],
            lay.shapes[b_],
            lay.pos[a_] == line_len[a_] - 1,
            lay.pos[b_] == 0,
            gap_before[a_],
            gap_after[b_],
            line_gap[lay.line_of[a_]],
            line_len[a_],
            line_len[b_],
            b[a_, 0] / pw,
            b[a_, 1] / ph,
            (line_x0[b_] - line_x0[a_]) / h,
            lay.lex[a_],
            lay.lex[b_],
            *frag_cols,
        ]
    )
    return p, x


def join_segments(n: int, pairs: np.ndarray, joined: np.ndarray) -> list[list[int]]:
    """Connected groups of words (union-find over the joined pairs), each in reading order, ordered by first word."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for (a, b), keep in zip(pairs.tolist(), joined.tolist()):
        if keep:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def segment_features(page: KvPage, segments: Sequence[Sequence[int]], lay: _Layout | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(features, neighbours): one `SEGMENT_FEATURES` row per segment, and the index of its left, right,
    above and below neighbour segment (-1: none) for the second stage."""
    lay = lay or _layout(page)
    s = len(segments)
    out = np.zeros((s, len(SEGMENT_FEATURES)))
    nb = np.full((s, _NEIGHBOURS), -1, dtype=np.int64)
    if not s:
        return out, nb
    b, h = lay.boxes, lay.h
    pw, ph = max(1.0, page.size[0]), max(1.0, page.size[1])
    seg_of = np.zeros(len(page.texts), dtype=np.int64)
    for k, seg in enumerate(segments):
        seg_of[list(seg)] = k
    sb = np.array([[b[g, 0].min(), b[g, 1].min(), b[g, 2].max(), b[g, 3].max()] for g in (list(seg) for seg in segments)])
    texts = [" ".join(page.texts[i] for i in seg) for seg in segments]
    shape = _shapes(texts)
    first = np.array([min(seg, key=lambda i: (lay.line_of[i], lay.pos[i])) for seg in segments])
    last = np.array([max(seg, key=lambda i: (lay.line_of[i], lay.pos[i])) for seg in segments])
    # Left / right neighbour: the segment of the word before the first word / after the last word on its line.
    for k in range(s):
        ws = lay.order[lay.line_of[first[k]]]
        p = lay.pos[first[k]]
        if p > 0:
            nb[k, 0] = seg_of[ws[p - 1]]
        ws = lay.order[lay.line_of[last[k]]]
        p = lay.pos[last[k]]
        if p + 1 < len(ws):
            nb[k, 1] = seg_of[ws[p + 1]]
    overlap = (np.minimum(sb[:, None, 2], sb[None, :, 2]) - np.maximum(sb[:, None, 0], sb[None, :, 0])) > 0
    np.fill_diagonal(overlap, False)
    up = np.where(overlap & (sb[None, :, 3] <= sb[:, None, 1] + 0.3 * h), sb[:, None, 1] - sb[None, :, 3], np.inf)
    down = np.where(overlap & (sb[None, :, 1] >= sb[:, None, 3] - 0.3 * h), sb[None, :, 1] - sb[:, None, 3], np.inf)
    for col, d in ((2, up), (3, down)):
        j = d.argmin(axis=1)
        nb[:, col] = np.where(np.isfinite(d[np.arange(s), j]), j, -1)
    n_words = np.array([len(seg) for seg in segments], dtype=np.float64)
    n_lines = np.array([len({int(lay.line_of[i]) for i in seg}) for seg in segments], dtype=np.float64)
    word_h = np.array([float(np.mean(b[list(seg), 3] - b[list(seg), 1])) for seg in segments]) / h
    seg_line = lay.line_of[first]
    line_segs: dict[int, list[int]] = {}
    for k in np.argsort(sb[:, 0], kind="stable"):
        line_segs.setdefault(int(seg_line[k]), []).append(int(k))
    seg_index = np.zeros(s)
    segs_in_line = np.zeros(s)
    for ks in line_segs.values():
        for p, k in enumerate(ks):
            seg_index[k], segs_in_line[k] = p, len(ks)
    extra = np.array(
        [
            (
                ("$" in t or "%" in t),
                ("/" in t or "-" in t),
                t[:1].isdigit(),
                ("(" in t or ")" in t),
                ":" in t,
                t.rstrip().endswith("?"),
                sum(w[:1].isupper() for w in t.split()) / max(1, len(t.split())),
            )
            for t in texts
        ],
        dtype=np.float64,
    )

    def side(col: int, gap: np.ndarray) -> list[np.ndarray]:
        j = nb[:, col]
        has = j >= 0
        jj = np.where(has, j, 0)
        return [
            np.where(has, gap, -1.0),
            np.where(has, shape[jj, 5], -1.0),
            np.where(has, shape[jj, 1], -1.0),
            np.where(has, n_words[jj], -1.0),
        ]

    k = len(SEGMENT_LABELS)
    lex_mean = np.array([lay.lex[list(seg), :k].mean(axis=0) for seg in segments])
    lex_seen = np.array([lay.lex[list(seg), k].mean() for seg in segments])
    jl, jr, ja, jb = (np.where(nb[:, c] >= 0, nb[:, c], 0) for c in range(4))
    left = side(0, (sb[:, 0] - sb[jl, 2]) / h)
    right = side(1, (sb[jr, 0] - sb[:, 2]) / h)
    above = side(2, (sb[:, 1] - sb[ja, 3]) / h)
    below = side(3, (sb[jb, 1] - sb[:, 3]) / h)
    out[:] = np.column_stack(
        [
            n_words, n_lines, sb[:, 0] / pw, sb[:, 1] / ph, sb[:, 2] / pw, sb[:, 3] / ph, (sb[:, 2] - sb[:, 0]) / h, (sb[:, 3] - sb[:, 1]) / h, word_h,
            shape[:, 0], shape[:, 1], shape[:, 2], shape[:, 3], extra[:, 6], shape[:, 5], extra[:, 4], extra[:, 5], shape[:, 6], shape[:, 7], shape[:, 8],
            extra[:, 0], extra[:, 1], extra[:, 2], extra[:, 3],
            seg_index, segs_in_line, ((sb[:, 0] + sb[:, 2]) / 2 - pw / 2) / pw,
            *left, *right,
            above[0], above[1], above[3], np.where(nb[:, 2] >= 0, (sb[:, 0] - sb[ja, 0]) / h, 0.0),
            below[0], below[1], below[3], np.where(nb[:, 3] >= 0, (sb[jb, 0] - sb[:, 0]) / h, 0.0),
            lex_mean, lay.lex[first, :k], lay.lex[last, :k], lex_seen,
        ]
    )  # fmt: skip
    return out, nb


def stacked(x: np.ndarray, probs: np.ndarray, nb: np.ndarray) -> np.ndarray:
    """Second-stage input: the segment's features, its first-stage probabilities and its four neighbours' (-1: none)."""
    padded = np.vstack([probs, np.full((1, probs.shape[1]), -1.0)])
    return np.hstack([x, probs, *(padded[nb[:, c]] for c in range(_NEIGHBOURS))])


def softmax_raw(ensembles: Sequence[TreeEnsemble], x: np.ndarray) -> np.ndarray:
    """Class probabilities from one-vs-rest raw scores of a multi-class ensemble (one per class), walked in one pass."""
    return one_vs_rest_probabilities(ensembles, TreeEnsemble.concatenate(ensembles), x)


@dataclass
class SegmentTagger:
    """Join scorer + segment labeller (+ optional second stage), with the join threshold."""

    joiner: TreeEnsemble
    labeller: list[TreeEnsemble]
    stage2: list[TreeEnsemble] | None = None
    join_threshold: float = 0.5  # words on one line are joined at this probability
    join_threshold_below: float = 0.5  # a word and the word below it, at this one (a wrong join merges two whole entities)
    lexicon: dict[str, list[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # One concatenated ensemble per multi-class model, so each stage is one tree walk.
        self._labeller = TreeEnsemble.concatenate(self.labeller) if self.labeller else None
        self._stage2 = TreeEnsemble.concatenate(self.stage2) if self.stage2 else None

    def segments(self, page: KvPage, lay: _Layout | None = None) -> list[list[int]]:
        lay = lay or _layout(page, self.lexicon)
        pairs, x = candidate_pairs(page, lay)
        if not len(pairs):
            return join_segments(len(page.texts), pairs, np.zeros(0, dtype=bool))
        return join_segments(len(page.texts), pairs, self.joins(x, self.joiner.predict(x)))

    def joins(self, x: np.ndarray, probs: np.ndarray) -> np.ndarray:
        """Which candidate pairs (feature rows `x`, join probabilities `probs`) are joined."""
        below = x[:, PAIR_FEATURES.index("below")] > 0
        joined: np.ndarray = probs >= np.where(below, self.join_threshold_below, self.join_threshold)
        return joined

    def label_probabilities(self, page: KvPage, segments: Sequence[Sequence[int]], lay: _Layout | None = None) -> np.ndarray:
        x, nb = segment_features(page, segments, lay or _layout(page, self.lexicon))
        if not len(x):
            return np.zeros((0, len(SEGMENT_LABELS)))
        if self._labeller is None:
            raise ModelError("this segment tagger has no labeller")
        probs = one_vs_rest_probabilities(self.labeller, self._labeller, x)
        if self.stage2 and self._stage2 is not None:
            probs = one_vs_rest_probabilities(self.stage2, self._stage2, stacked(x, probs, nb))
        return probs

    def predict(self, page: KvPage) -> list[Entity]:
        """Header / question / answer entities of `page` (segments labelled "other" are left out)."""
        if not page.texts:
            return []
        lay = _layout(page, self.lexicon)
        return self.entities(page, self.segments(page, lay), lay)

    def entities(self, page: KvPage, segs: Sequence[Sequence[int]], lay: _Layout) -> list[Entity]:
        """The labelled segments that are header / question / answer, as entities."""
        probs = self.label_probabilities(page, segs, lay)
        out = []
        for seg, p in zip(segs, probs):
            k = int(p.argmax())
            if SEGMENT_LABELS[k] != "other":
                out.append(Entity(label=SEGMENT_LABELS[k], words=list(seg), confidence=round(float(p[k]), 4)))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "segment_tagger_trees",
            "pair_features": list(PAIR_FEATURES),
            "segment_features": list(SEGMENT_FEATURES),
            "labels": list(SEGMENT_LABELS),
            "join_threshold": self.join_threshold,
            "join_threshold_below": self.join_threshold_below,
            "joiner": self.joiner.to_dict(),
            "labeller": [e.to_dict() for e in self.labeller],
            "stage2": [e.to_dict() for e in self.stage2] if self.stage2 else None,
            "lexicon": self.lexicon,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SegmentTagger:
        if (
            tuple(d.get("pair_features", ())) != PAIR_FEATURES
            or tuple(d.get("segment_features", ())) != SEGMENT_FEATURES
            or tuple(d.get("labels", ())) != SEGMENT_LABELS
        ):
            raise ModelError("the segment tagger was trained with other features or labels than this tillroll computes; retrain it")
        stage2 = d.get("stage2")
        return cls(
            TreeEnsemble.from_dict(d["joiner"], check_features=False),
            [TreeEnsemble.from_dict(e, check_features=False) for e in d["labeller"]],
            [TreeEnsemble.from_dict(e, check_features=False) for e in stage2] if stage2 else None,
            float(d.get("join_threshold", 0.5)),
            float(d.get("join_threshold_below", 0.5)),
            {str(k): [float(x) for x in v] for k, v in d.get("lexicon", {}).items()},
        )


def load_segment_tagger(path: Path) -> SegmentTagger:
    try:
        return SegmentTagger.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"cannot read the segment tagger {path}: {exc}; retrain it with `tillroll train --task kv`") from exc


# --------------------------------------------------------------------------- training (scikit-learn)


def pair_targets(page: KvPage, pairs: np.ndarray) -> np.ndarray:
    """1 where both words of a candidate pair belong to the same gold entity (any label, "other" included)."""
    owner = np.full(len(page.texts), -1, dtype=np.int64)
    for k, e in enumerate(page.entities):
        owner[e.words] = k
    a, b = owner[pairs[:, 0]], owner[pairs[:, 1]]
    out: np.ndarray = ((a == b) & (a >= 0)).astype(np.int64)
    return out


def segment_targets(page: KvPage, segments: Sequence[Sequence[int]]) -> np.ndarray:
    """Per segment, the index in `SEGMENT_LABELS` of the gold label most of its words carry ("other" for none)."""
    label = np.zeros(len(page.texts), dtype=np.int64)
    for e in page.entities:
        label[e.words] = SEGMENT_LABELS.index(e.label) if e.label in SEGMENT_LABELS else 0
    return np.array([int(np.bincount(label[list(seg)], minlength=len(SEGMENT_LABELS)).argmax()) for seg in segments], dtype=np.int64)


def _fit(x: np.ndarray, y: np.ndarray, seed: int, max_iter: int, leaves: int, classes: int) -> list[TreeEnsemble]:
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(
        max_iter=max_iter, learning_rate=0.1, max_leaf_nodes=leaves, min_samples_leaf=10, l2_regularization=1.0, random_state=seed, early_stopping=False
    )
    model.fit(x, y)
    if list(model.classes_) != list(range(classes)):
        raise ModelError(f"the training pages lack some classes (have {list(model.classes_)} of {classes}); give more forms")
    if classes == 2:
        return [TreeEnsemble.from_sklearn(model)]
    return [TreeEnsemble.from_sklearn(model, k) for k in range(classes)]


def _fit_joiner(pages: Sequence[KvPage], lays: Sequence[_Layout], seed: int, max_iter: int) -> TreeEnsemble:
    xs, ys = [], []
    for page, lay in zip(pages, lays):
        pairs, x = candidate_pairs(page, lay)
        xs.append(x)
        ys.append(pair_targets(page, pairs))
    return _fit(np.concatenate(xs), np.concatenate(ys), seed, max_iter, 15, 2)[0]


def _fit_labeller(
    pages: Sequence[KvPage], lays: Sequence[_Layout], segments: Sequence[Sequence[Sequence[int]]], seed: int, max_iter: int, fold_of: Sequence[int], folds: int
) -> tuple[list[TreeEnsemble], list[TreeEnsemble]]:
    """First stage on every page's segments; second stage on out-of-fold first-stage probabilities."""
    feats = [segment_features(p, s, lay) for p, s, lay in zip(pages, segments, lays)]
    ys = [segment_targets(p, s) for p, s in zip(pages, segments)]
    x, y = np.concatenate([f[0] for f in feats]), np.concatenate(ys)
    k = len(SEGMENT_LABELS)
    first = _fit(x, y, seed, max_iter, 15, k)
    held: list[np.ndarray] = [np.zeros(0)] * len(pages)
    for fold in range(folds):
        part = _fit(
            np.concatenate([f[0] for i, f in enumerate(feats) if fold_of[i] != fold]),
            np.concatenate([t for i, t in enumerate(ys) if fold_of[i] != fold]),
            seed,
            max_iter,
            15,
            k,
        )
        for i, f in enumerate(feats):
            if fold_of[i] == fold:
                held[i] = stacked(f[0], softmax_raw(part, f[0]), f[1])
    second = _fit(np.concatenate(held), y, seed, max_iter, 15, k)
    return first, second


def segment_f1(pages: Sequence[KvPage], segments: Sequence[Sequence[Sequence[int]]]) -> float:
    """Label-agnostic F1 of segments against every gold entity ("other" included): exact word sets."""
    tp = n_pred = n_gold = 0
    for page, segs in zip(pages, segments):
        gold = {frozenset(e.words) for e in page.entities if e.words}
        pred = {frozenset(s) for s in segs}
        tp, n_pred, n_gold = tp + len(gold & pred), n_pred + len(pred), n_gold + len(gold)
    p, r = tp / max(1, n_pred), tp / max(1, n_gold)
    return 2 * p * r / (p + r) if p + r else 0.0


def train_segment_tagger(
    pages: Sequence[KvPage], seed: int = 13, max_iter: int = 100, folds: int = 2, groups: Sequence[int] | None = None
) -> tuple[SegmentTagger, list[list[Entity]]]:
    """Fit the tagger on gold pages; also return each page's entities as predicted by models that never saw it.

    Every step learns from what it will meet on new forms: a page's lexicon
    features come from the other folds' pages; the two join thresholds are the
    pair with the best out-of-fold segment F1 on the training pages; and the
    labeller learns from the segments a joiner fitted on the other folds cut
    (with their mistakes). The out-of-fold entities let the linker train on
    realistic input. No dev or test page steers anything.

    `groups`: pages with the same group id (one form's annotation and OCR copies)
    always share a fold; by default every page is its own group.
    """
    group = list(groups) if groups is not None else list(range(len(pages)))
    fold_of = [g % folds for g in group]
    if len(fold_of) != len(pages):
        raise ModelError(f"{len(fold_of)} group ids for {len(pages)} pages")
    lexicons = [build_lexicon([p for i, p in enumerate(pages) if fold_of[i] != k]) for k in range(folds)]
    lays = [_layout(p, lexicons[fold_of[i]]) for i, p in enumerate(pages)]
    held_pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = [(np.zeros((0, 2), dtype=np.int64), np.zeros((0, 0)), np.zeros(0))] * len(pages)
    fold_joiners = []
    for k in range(folds):
        part = _fit_joiner([p for i, p in enumerate(pages) if fold_of[i] != k], [a for i, a in enumerate(lays) if fold_of[i] != k], seed, max_iter)
        fold_joiners.append(part)
        for i, (p, lay) in enumerate(zip(pages, lays)):
            if fold_of[i] == k:
                pairs, x = candidate_pairs(p, lay)
                held_pairs[i] = (pairs, x, part.predict(x) if len(pairs) else np.zeros(0))
    probe = SegmentTagger(fold_joiners[0], [])
    best = (-1.0, 0.5, 0.5)
    for th in np.arange(0.3, 0.81, 0.1):
        for th_below in np.arange(0.3, 0.91, 0.1):
            probe.join_threshold, probe.join_threshold_below = float(th), float(th_below)
            segs = [join_segments(len(p.texts), pairs, probe.joins(x, pr)) for p, (pairs, x, pr) in zip(pages, held_pairs)]
            f1 = segment_f1(pages, segs)
            if f1 > best[0]:
                best = (f1, round(float(th), 2), round(float(th_below), 2))
    _, th, th_below = best
    probe.join_threshold, probe.join_threshold_below = th, th_below
    held_segments = [join_segments(len(p.texts), pairs, probe.joins(x, pr)) for p, (pairs, x, pr) in zip(pages, held_pairs)]
    joiner = _fit_joiner(pages, lays, seed, max_iter)
    first, second = _fit_labeller(pages, lays, held_segments, seed, max_iter, fold_of, folds)
    held_entities: list[list[Entity]] = [[] for _ in pages]
    for k in range(folds):
        idx = [i for i in range(len(pages)) if fold_of[i] != k]
        f1_, f2_ = _fit_labeller(
            # Its own second stage re-splits these pages in two, again keeping a form's copies together.
            [pages[i] for i in idx],
            [lays[i] for i in idx],
            [held_segments[i] for i in idx],
            seed,
            max_iter,
            [group[i] // folds % folds for i in idx],
            folds,
        )
        fold_tagger = SegmentTagger(fold_joiners[k], f1_, f2_, th, th_below)
        for i, (p, lay) in enumerate(zip(pages, lays)):
            if fold_of[i] == k:
                held_entities[i] = fold_tagger.entities(p, held_segments[i], lay)
    return SegmentTagger(joiner, first, second, th, th_below, build_lexicon(pages)), held_entities
