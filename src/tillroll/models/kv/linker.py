"""The linker: scores every (question, answer) entity pair of a page, torch- and sklearn-free at run time.

Features of a pair are geometric (where the answer sits relative to the
question, in units of the page's text height and of the page size), the
ranks that make "nearest" explicit (is this answer the closest one to the right
of / below this question, is this question the closest one to the left of /
above this answer), whether another question stands between them, a few text
cues (a trailing colon, a question mark, digits, length) and the entity
model's confidence in both entities.

The scorer is a gradient-boosted tree ensemble trained with scikit-learn
(`HistGradientBoostingClassifier`, training side only) and saved as plain
arrays in `linker.json`; `TreeEnsemble.predict` walks all trees at once with
numpy, so inference needs neither sklearn nor torch.
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
from .data import Entity, KvPage

FEATURE_NAMES: tuple[str, ...] = (
    "dx",  # answer left edge - question right edge, in text heights
    "dy",  # answer centre - question centre, vertical, in text heights
    "gap_below",  # answer top - question bottom, in text heights
    "dx_left",  # answer left - question left, in text heights
    "v_overlap",  # vertical overlap / smaller height
    "h_overlap",  # horizontal overlap / smaller width
    "dist",  # nearest-edge distance, in text heights
    "q_x0",
    "q_y0",
    "q_x1",
    "q_y1",  # question box / page size
    "a_x0",
    "a_y0",
    "a_x1",
    "a_y1",  # answer box / page size
    "rank_a_for_q",  # rank of this answer among the question's answers by distance
    "rank_q_for_a",  # rank of this question among the answer's questions by distance
    "rank_q_for_a_right",  # rank among questions to the left on the same line (-1: not that layout)
    "rank_q_for_a_below",  # rank among questions above with horizontal overlap (-1: not that layout)
    "questions_between",  # questions whose box lies between the two on a line or column
    "q_colon",
    "q_question_mark",
    "q_words",
    "q_digits",
    "q_lines",
    "a_words",
    "a_digits",
    "a_lines",
    "a_colon",
    "q_conf",
    "a_conf",
    "n_questions",
    "n_answers",
)

_DIGIT = re.compile(r"\d")


def _height(page: KvPage) -> float:
    heights = sorted(b[3] - b[1] for b in page.boxes if b[3] > b[1])
    return max(1.0, heights[len(heights) // 2]) if heights else 10.0


def _lines(page: KvPage, e: Entity) -> int:
    return len({page.lines[i] for i in e.words}) if page.lines else 1


def _entity_arrays(page: KvPage, entities: Sequence[Entity], ids: Sequence[int]) -> tuple[np.ndarray, list[str]]:
    boxes = np.array([page.entity_box(entities[i]) for i in ids], dtype=np.float64).reshape(-1, 4)
    return boxes, [page.entity_text(entities[i]) for i in ids]


def _overlaps(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertical and horizontal overlap of every box of `a` with every box of `b`, over the smaller extent."""
    v = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    h = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    ah, bh = a[:, 3] - a[:, 1], b[:, 3] - b[:, 1]
    aw, bw = a[:, 2] - a[:, 0], b[:, 2] - b[:, 0]
    return v / np.maximum(1.0, np.minimum(ah[:, None], bh[None, :])), h / np.maximum(1.0, np.minimum(aw[:, None], bw[None, :]))


def _masked_rank(dist: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per column, the rank of each row's distance among the rows where `mask` holds; -1 elsewhere."""
    d = np.where(mask, dist, np.inf)
    rank = d.argsort(axis=0, kind="stable").argsort(axis=0, kind="stable").astype(np.float64)
    return np.where(mask, rank, -1.0)


def pair_features(page: KvPage, entities: Sequence[Entity], questions: Sequence[int], answers: Sequence[int]) -> np.ndarray:
    """Feature matrix, one row per (question, answer) pair in row-major order (questions x answers)."""
    n_q, n_a = len(questions), len(answers)
    if not n_q or not n_a:
        return np.zeros((n_q * n_a, len(FEATURE_NAMES)), dtype=np.float64)
    h = _height(page)
    pw, ph = max(1.0, page.size[0]), max(1.0, page.size[1])
    qb, tq = _entity_arrays(page, entities, questions)
    ab, ta = _entity_arrays(page, entities, answers)
    gap_x = np.clip(np.maximum(qb[:, None, 0], ab[None, :, 0]) - np.minimum(qb[:, None, 2], ab[None, :, 2]), 0, None)
    gap_y = np.clip(np.maximum(qb[:, None, 1], ab[None, :, 1]) - np.minimum(qb[:, None, 3], ab[None, :, 3]), 0, None)
    dist = np.hypot(gap_x, gap_y)
    rank_a = dist.argsort(axis=1, kind="stable").argsort(axis=1, kind="stable")
    rank_q = dist.argsort(axis=0, kind="stable").argsort(axis=0, kind="stable")
    vo, ho = _overlaps(qb, ab)
    left_of = (vo > 0.3) & (qb[:, None, 2] <= ab[None, :, 0] + 0.5 * h)
    above = (ho > 0) & (qb[:, None, 3] <= ab[None, :, 1] + 0.5 * h)
    right_rank = _masked_rank(dist, left_of)
    below_rank = _masked_rank(dist, above)
    # Questions k standing between question i and answer j, on their line or in their column.
    kv, kh = _overlaps(qb, ab)  # k x j
    on_line = (kv[None, :, :] > 0.3) & (qb[:, None, None, 2] <= qb[None, :, None, 0]) & (qb[None, :, None, 2] <= ab[None, None, :, 0] + 0.5 * h)
    in_column = (kh[None, :, :] > 0) & (qb[:, None, None, 3] <= qb[None, :, None, 1]) & (qb[None, :, None, 3] <= ab[None, None, :, 1] + 0.5 * h)
    not_self = ~np.eye(n_q, dtype=bool)[:, :, None]
    between = np.where(left_of, (on_line & not_self).sum(axis=1), np.where(above, (in_column & not_self).sum(axis=1), 0))

    def text_cues(es: Sequence[int], texts: list[str]) -> np.ndarray:
        return np.array(
            [
                (
                    t.rstrip().endswith(":"),
                    "?" in t,
                    len(entities[e].words),
                    len(_DIGIT.findall(t)) / max(1, len(t)),
                    _lines(page, entities[e]),
                    entities[e].confidence,
                )
                for e, t in zip(es, texts)
            ],
            dtype=np.float64,
        )

    cq, ca = text_cues(questions, tq), text_cues(answers, ta)
    shape = (n_q, n_a)

    def qcol(v: np.ndarray) -> np.ndarray:
        return np.broadcast_to(v[:, None], shape)

    def acol(v: np.ndarray) -> np.ndarray:
        return np.broadcast_to(v[None, :], shape)

    columns = [
        (ab[None, :, 0] - qb[:, None, 2]) / h,
        ((ab[None, :, 1] + ab[None, :, 3]) / 2 - (qb[:, None, 1] + qb[:, None, 3]) / 2) / h,
        (ab[None, :, 1] - qb[:, None, 3]) / h,
        (ab[None, :, 0] - qb[:, None, 0]) / h,
        vo,
        ho,
        dist / h,
        qcol(qb[:, 0] / pw),
        qcol(qb[:, 1] / ph),
        qcol(qb[:, 2] / pw),
        qcol(qb[:, 3] / ph),
        acol(ab[:, 0] / pw),
        acol(ab[:, 1] / ph),
        acol(ab[:, 2] / pw),
        acol(ab[:, 3] / ph),
        rank_a,
        rank_q,
        right_rank,
        below_rank,
        between,
        qcol(cq[:, 0]),
        qcol(cq[:, 1]),
        qcol(cq[:, 2]),
        qcol(cq[:, 3]),
        qcol(cq[:, 4]),
        acol(ca[:, 2]),
        acol(ca[:, 3]),
        acol(ca[:, 4]),
        acol(ca[:, 0]),
        qcol(cq[:, 5]),
        acol(ca[:, 5]),
        np.full(shape, n_q),
        np.full(shape, n_a),
    ]
    return np.stack([np.broadcast_to(np.asarray(c, dtype=np.float64), shape) for c in columns], axis=-1).reshape(n_q * n_a, len(FEATURE_NAMES))


def candidates(entities: Sequence[Entity]) -> tuple[list[int], list[int]]:
    """Indices of the question and answer entities."""
    return [i for i, e in enumerate(entities) if e.label == "question"], [i for i, e in enumerate(entities) if e.label == "answer"]


# --------------------------------------------------------------------------- the tree ensemble


@dataclass
class TreeEnsemble:
    """Binary gradient-boosted trees as flat arrays (one row per tree, padded to the largest tree)."""

    baseline: float
    feature: np.ndarray  # (trees, nodes) int
    threshold: np.ndarray  # (trees, nodes) float
    left: np.ndarray  # (trees, nodes) int
    right: np.ndarray
    missing_left: np.ndarray  # (trees, nodes) bool
    leaf: np.ndarray  # (trees, nodes) bool
    value: np.ndarray  # (trees, nodes) float
    depth: int
    feature_names: tuple[str, ...] = FEATURE_NAMES
    threshold_link: float = 0.5  # an answer's best question is linked at this probability
    threshold_extra: float = 0.9  # a second (third...) question of the same answer needs this much

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probability of a link for each row of `x`."""
        if x.shape[0] == 0:
            return np.zeros(0, dtype=np.float32)
        probs: np.ndarray = (1.0 / (1.0 + np.exp(-self.raw(x)))).astype(np.float32)
        return probs

    def raw(self, x: np.ndarray) -> np.ndarray:
        """The ensemble's raw score (log-odds) per row."""
        raw: np.ndarray = self.baseline + self.leaf_values(x).sum(axis=0)
        return raw

    def leaf_values(self, x: np.ndarray) -> np.ndarray:
        """(trees, rows): the value of the leaf each row reaches in each tree.

        All (tree, row) walks advance together, one level per step, and a walk
        that reached its leaf drops out, so the work is the total path length,
        not the deepest tree times everything.
        """
        n = x.shape[0]
        trees, width = self.feature.shape
        feature, threshold, left, right, missing_left, leaf = (
            a.ravel() for a in (self.feature, self.threshold, self.left, self.right, self.missing_left, self.leaf)
        )
        base = np.repeat(np.arange(trees, dtype=np.int64) * width, n)  # flat offset of each walk's tree
        node = base.copy()  # flat node index per walk (tree-major)
        row_offset = np.tile(np.arange(n, dtype=np.int64) * x.shape[1], trees)
        xf = np.ascontiguousarray(x, dtype=np.float64).ravel()
        walking = np.nonzero(~leaf[node])[0]
        while walking.size:
            at = node[walking]
            v = xf[row_offset[walking] + feature[at]]
            go_left = np.where(np.isnan(v), missing_left[at], v <= threshold[at])
            nxt = np.where(go_left, left[at], right[at]) + base[walking]
            node[walking] = nxt
            walking = walking[~leaf[nxt]]
        values: np.ndarray = self.value.ravel()[node].reshape(trees, n)
        return values

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "gradient_boosted_trees",
            "baseline": self.baseline,
            "depth": self.depth,
            "feature_names": list(self.feature_names),
            "threshold_link": self.threshold_link,
            "threshold_extra": self.threshold_extra,
            "trees": [
                {
                    "feature": self.feature[t].tolist(),
                    # Full precision: sklearn's thresholds can equal training values exactly.
                    "threshold": [float(v) for v in self.threshold[t]],
                    "left": self.left[t].tolist(),
                    "right": self.right[t].tolist(),
                    "missing_left": self.missing_left[t].astype(int).tolist(),
                    "leaf": self.leaf[t].astype(int).tolist(),
                    "value": [float(v) for v in self.value[t]],
                }
                for t in range(self.feature.shape[0])
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], check_features: bool = True) -> TreeEnsemble:
        names = tuple(d.get("feature_names", ()))
        if check_features and names != FEATURE_NAMES:
            raise ModelError("the linker was trained with other features than this tillroll computes; retrain it with `tillroll train --task kv`")
        trees = d["trees"]
        width = max(len(t["feature"]) for t in trees)

        def pad(key: str, dtype: Any, fill: Any) -> np.ndarray:
            arr = np.full((len(trees), width), fill, dtype=dtype)
            for i, t in enumerate(trees):
                arr[i, : len(t[key])] = t[key]
            return arr

        return cls(
            baseline=float(d["baseline"]),
            feature=pad("feature", np.int64, 0),
            threshold=pad("threshold", np.float64, 0.0),
            left=pad("left", np.int64, 0),
            right=pad("right", np.int64, 0),
            missing_left=pad("missing_left", bool, True),
            leaf=pad("leaf", bool, True),
            value=pad("value", np.float64, 0.0),
            depth=int(d["depth"]),
            threshold_link=float(d.get("threshold_link", 0.5)),
            threshold_extra=float(d.get("threshold_extra", 0.9)),
        )

    @classmethod
    def concatenate(cls, ensembles: Sequence[TreeEnsemble]) -> TreeEnsemble:
        """All trees of several ensembles in one (baseline 0), so one walk scores them all."""
        width = max(e.feature.shape[1] for e in ensembles)

        def stack(name: str, fill: Any) -> np.ndarray:
            parts = []
            for e in ensembles:
                a = getattr(e, name)
                pad = np.full((a.shape[0], width - a.shape[1]), fill, dtype=a.dtype)
                parts.append(np.hstack([a, pad]))
            return np.vstack(parts)

        return cls(
            0.0,
            stack("feature", 0),
            stack("threshold", 0.0),
            stack("left", 0),
            stack("right", 0),
            stack("missing_left", True),
            stack("leaf", True),
            stack("value", 0.0),
            max(e.depth for e in ensembles),
        )

    @classmethod
    def from_sklearn(cls, model: Any, k: int = 0) -> TreeEnsemble:
        """Flatten a fitted `HistGradientBoostingClassifier` (numeric features only): binary, or class `k`'s trees of a multi-class one."""
        predictors = [p[k] for p in model._predictors]
        width = max(len(p.nodes) for p in predictors)
        n = len(predictors)
        feature = np.zeros((n, width), dtype=np.int64)
        threshold = np.zeros((n, width))
        left = np.zeros((n, width), dtype=np.int64)
        right = np.zeros((n, width), dtype=np.int64)
        missing = np.ones((n, width), dtype=bool)
        leaf = np.ones((n, width), dtype=bool)
        value = np.zeros((n, width))
        depth = 0
        for t, p in enumerate(predictors):
            nodes = p.nodes
            m = len(nodes)
            feature[t, :m] = nodes["feature_idx"]
            threshold[t, :m] = nodes["num_threshold"]
            left[t, :m] = nodes["left"]
            right[t, :m] = nodes["right"]
            missing[t, :m] = nodes["missing_go_to_left"].astype(bool)
            leaf[t, :m] = nodes["is_leaf"].astype(bool)
            value[t, :m] = nodes["value"]
            depth = max(depth, int(nodes["depth"].max()))
        baseline = float(np.ravel(model._baseline_prediction)[k])
        return cls(baseline, feature, threshold, left, right, missing, leaf, value, depth)


def one_vs_rest_probabilities(ensembles: Sequence[TreeEnsemble], together: TreeEnsemble, x: np.ndarray) -> np.ndarray:
    """Class probabilities (rows of `x` x classes) from one ensemble per class, softmax over their raw scores.

    `together` is `TreeEnsemble.concatenate(ensembles)`, built once by the caller,
    so that all classes' trees are walked in one pass.
    """
    leaves = together.leaf_values(x)
    bounds = np.cumsum([0, *(e.feature.shape[0] for e in ensembles)])
    raw = np.stack([leaves[bounds[k] : bounds[k + 1]].sum(axis=0) + e.baseline for k, e in enumerate(ensembles)], axis=1)
    raw -= raw.max(axis=1, keepdims=True)
    e = np.exp(raw)
    probs: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return probs


def load_linker(path: Path) -> TreeEnsemble:
    try:
        return TreeEnsemble.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"cannot read the linker {path}: {exc}; retrain it with `tillroll train --task kv`") from exc


def train_linker(pages: Sequence[tuple[KvPage, Sequence[Entity], Sequence[tuple[int, int]]]], seed: int = 13, max_iter: int = 150) -> TreeEnsemble:
    """Fit the pair scorer on (page, entities, gold links) triples; every question x answer pair is a sample."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    xs, ys = [], []
    for page, entities, links in pages:
        qs, ans = candidates(entities)
        if not qs or not ans:
            continue
        gold = set(links)
        xs.append(pair_features(page, entities, qs, ans))
        ys.append(np.array([(q, a) in gold for q in qs for a in ans], dtype=np.int64))
    if not xs:
        raise ModelError("no question/answer pairs to train the linker on")
    x, y = np.concatenate(xs), np.concatenate(ys)
    model = HistGradientBoostingClassifier(
        max_iter=max_iter,
        learning_rate=0.08,
        max_leaf_nodes=15,
        max_depth=6,
        min_samples_leaf=20,
        l2_regularization=1.0,
        random_state=seed,
        early_stopping=False,
    )
    model.fit(x, y)
    return TreeEnsemble.from_sklearn(model)


def choose_thresholds(
    pages: Sequence[tuple[KvPage, Sequence[Entity], Sequence[tuple[int, int]]]], folds: int = 2, seed: int = 13, max_iter: int = 150
) -> tuple[float, float, float]:
    """(threshold_link, threshold_extra, out-of-fold link F1) chosen on the training pages alone.

    Each fold's pages are scored by trees fitted on the other folds, and the two
    decoding thresholds are the pair that gives the best link F1 on those
    held-out scores (gold entities), so no dev or test form steers them.
    """
    from .decode import decode_links
    from .metrics import link_scores

    usable = [p for p in pages if all(candidates(p[1]))]
    held: list[tuple[KvPage, Sequence[Entity], Sequence[tuple[int, int]], np.ndarray]] = []
    for k in range(folds):
        fit = [p for i, p in enumerate(usable) if i % folds != k]
        model = train_linker(fit, seed=seed, max_iter=max_iter)
        for i, (page, entities, links) in enumerate(usable):
            if i % folds == k:
                qs, ans = candidates(entities)
                held.append((page, entities, links, model.predict(pair_features(page, entities, qs, ans)).reshape(len(qs), len(ans))))
    best = (0.5, 1.01, -1.0)
    for th in np.arange(0.2, 0.71, 0.05):
        for extra in [*np.arange(0.5, 0.96, 0.05), 1.01]:
            if extra < th:
                continue
            rows = []
            for _page, entities, links, probs in held:
                qs, ans = candidates(entities)
                found = decode_links(probs, qs, ans, float(th), float(extra))
                rows.append((list(entities), list(links), list(entities), [(q, a) for q, a, _ in found]))
            f1 = float(link_scores(rows)["f1"])
            if f1 > best[2]:
                best = (round(float(th), 2), round(float(extra), 2), f1)
    return best


def link_page(
    linker: TreeEnsemble, page: KvPage, entities: Sequence[Entity], threshold: float | None = None, extra_threshold: float | None = None
) -> list[tuple[int, int, float]]:
    """(question, answer, probability) links of one page, decoded one-to-many (see decode.decode_links)."""
    from .decode import decode_links

    qs, ans = candidates(entities)
    if not qs or not ans:
        return []
    probs = linker.predict(pair_features(page, entities, qs, ans)).reshape(len(qs), len(ans))
    return decode_links(
        probs,
        qs,
        ans,
        linker.threshold_link if threshold is None else threshold,
        linker.threshold_extra if extra_threshold is None else extra_threshold,
    )
