"""Learned choice of the shop-name and address spans (issue 20, point 3).

The assembler's hand-ordered rules pick one span per field: the first block of
labelled lines, joined or cut by cues such as a company form or a doubtful first
line. Those cues are good evidence but fixed in their order, and they lose what
the classifier's probabilities know. Here the rules' span becomes one candidate
among its neighbours (a line more or less at either end, other runs of lines
near the labelled ones), each candidate is described by a few features
(`FEATURES`: classifier probabilities, position on the page, line height as a
font-size proxy, keyword cues, and whether it is the rules' choice), and a
conditional logistic regression picks one. Its weights are a small JSON file
(`data/span_scorer.json`), so running it needs numpy only.

Explainable by construction: a field the scorer changed has source "model",
and `doc.meta["span_scorer"][field]` names the candidate it preferred over the
rules' one, both scores, and the features that weighed most for the choice.
Where the scorer agrees with the rules nothing changes, not even the source.

Trained by `scripts/train_span_scorer.py` on the train split (gold from the
annotations, words from the default OCR engine, classifier probabilities cross-
fitted: each training dataset read by a classifier that never saw it), features
and regularisation chosen on dev, scored on test once.

Status (2026-12-03, session 9): in the joint pipeline as the `spans` stage after
`assemble`, for addresses only (dev chose no shop-name setting that beat the
rules on both datasets, so the weights hold none and names stay the rules').
docs/benchmarks.md, "Learned span assembly, cross-fitted", has the numbers.
PipelineConfig.span_scorer or TILLROLL_SPAN_SCORER=0 switches it off.
"""

from __future__ import annotations

import json
import math
import os
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..document import Document, Field, Word
from ..labels import ADDRESS, MISC, SHOP_NAME

SCORED_FIELDS: tuple[str, ...] = (SHOP_NAME, ADDRESS)
# At most this many lines make one candidate: a shop name wraps onto three lines at
# most on the receipts we have seen, an address onto six (the assembler's own limits).
MAX_LINES = {SHOP_NAME: 3, ADDRESS: 6}
# Shop names are printed at the top even when the classifier misses them entirely,
# so the first lines of the page are always candidates for that field.
TOP_LINES = 4
DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "data" / "span_scorer.json"
# "1" / "0" switch the stage on or off whatever PipelineConfig.span_scorer says, so any
# front end (`tillroll evaluate` included) can compare the scorer with the rules' spans.
SPAN_SCORER_ENV = "TILLROLL_SPAN_SCORER"

FEATURES: tuple[str, ...] = (
    "bias_rule",  # the rules' own span
    "rule_overlap",  # Jaccard overlap with the rules' span
    "p_mean",  # mean classifier probability of this field over the words
    "p_min",
    # The same probability relative to the field's other candidates on this receipt. A
    # classifier's absolute probabilities differ from model to model and from seen to
    # unseen receipts; which span it likes best transfers better (the scorer trains on one
    # classifier's outputs and runs on another's).
    "p_gap",  # p_mean minus the best p_mean among the candidates (0 for the best)
    "p_top",  # 1 for the candidate(s) with the best p_mean
    "label_frac",  # share of words the joint labels give this field
    "label_cover",  # share of the page's words of this field inside the candidate
    "labelled_above",  # the line above carries the field too (candidate may start late)
    "labelled_below",
    "rule_source",  # share of words a rule labelled
    "first_line",  # index of the first line / number of lines
    "y_top",  # top of the span / page height
    "n_lines",
    "log_words",
    "height",  # mean line height / the page's median line height (font size)
    "digit_frac",
    "legal_form",  # SDN BHD, LTD, INC, GMBH ...
    "street_cue",  # JALAN, STREET, AVE, ROAD, NO., postcode-like number
    "contact_cue",  # TEL, FAX, PHONE, WWW, @: rarely part of either field
    "tax_cue",  # GST, VAT, REG NO
    "whole_lines",  # every word of its lines, not only the labelled ones
    # Where rules' spans go wrong on the training receipts: a name cut inside its line
    # ("Iron Horse" of "Iron Horse Tavern"), an address that swallows the shop-name line
    # above it or a "THANK YOU" below it, a street number left out.
    "cut_frac",  # share of the words on the candidate's lines that it leaves out
    "other_field",  # share of its words the joint labels give another field (not misc)
    "rule_superset",  # holds the rules' span and more
    "rule_subset",  # part of the rules' span
    "starts_number",  # first word starts with a digit or NO / LOT (how addresses begin)
    "ends_postcode",  # last line holds a 4-6 digit number (how addresses end)
)

_LEGAL = re.compile(
    r"(?<![A-Z])(?:SDN\.?\s*BHD|SDN|BHD|BERHAD|S/B|ENTERPRISES?|TRADING|HOLDINGS|LTD|LIMITED|LLC|INC|CORP|GMBH|PLC|SRL|SPA|SARL|PTE|PTY)(?![A-Z])"
)
_STREET = re.compile(
    r"(?<![A-Z])(?:JALAN|JLN|LORONG|TAMAN|LOT|NO\.?|STREET|ST\.?|AVE(?:NUE)?|ROAD|RD\.?|BLVD|DRIVE|DR\.?|WAY|HWY|SUITE|STE|STRASSE|STR\.?|VIA|RUE|UL\.?)(?![A-Z])"
    r"|(?<!\d)\d{5}(?!\d)"
)
_CONTACT = re.compile(r"(?<![A-Z])(?:TEL|FAX|PHONE|PH|HP|WWW|HTTP|EMAIL|E-MAIL)(?![A-Z])|@")
_STARTS_NUMBER = re.compile(r"\s*(?:\d|NO\b|NO\.|LOT\b)")
_POSTCODE = re.compile(r"(?<!\d)\d{4,6}(?!\d)")
_TAX = re.compile(r"(?<![A-Z])(?:GST|VAT|SST|TAX|REG|ROC|CO\.?\s*NO)(?![A-Z])")


@dataclass
class Candidate:
    """One possible span of a field: its words (reading order) and the features that describe it."""

    words: list[Word]
    features: list[float]
    from_rules: bool = False

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(w.id for w in self.words)

    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def _prob(w: Word, field_name: str) -> float:
    if w.label_scores:
        return float(w.label_scores.get(field_name, 0.0))
    return 1.0 if w.label == field_name else 0.0


def _line_height(line: Sequence[Word]) -> float:
    return statistics.median(w.y1 - w.y0 for w in line) if line else 0.0


@dataclass
class _Page:
    """What every candidate of one document shares: lines, where each word sits, page-level scales."""

    lines: list[list[Word]]
    line_of: dict[int, int]
    median_height: float
    page_height: float
    labelled: dict[str, set[int]] = field(default_factory=dict)  # field -> word ids with that label

    @classmethod
    def of(cls, doc: Document) -> _Page:
        lines = [line for line in doc.lines() if line]
        line_of = {w.id: i for i, line in enumerate(lines) for w in line}
        heights = [h for line in lines if (h := _line_height(line)) > 0]
        median = statistics.median(heights) if heights else 1.0
        page_height = max((p.height for p in doc.pages), default=0) or max((w.y1 for w in doc.words), default=1.0)
        labelled = {f: {w.id for w in doc.words if w.label == f} for f in SCORED_FIELDS}
        return cls(lines, line_of, median or 1.0, float(page_height) or 1.0, labelled)


def _features(page: _Page, field_name: str, words: list[Word], rule_ids: set[int], whole: bool) -> list[float]:
    ids = {w.id for w in words}
    line_idx = sorted({page.line_of[w.id] for w in words})
    probs = [_prob(w, field_name) for w in words]
    labelled = page.labelled[field_name]
    text = " ".join(w.text for w in words).upper()
    chars = [c for c in text if c.isalnum()]
    above = line_idx[0] - 1
    below = line_idx[-1] + 1
    n = len(page.lines)
    values = {
        "bias_rule": 1.0 if rule_ids and ids == rule_ids else 0.0,
        "rule_overlap": len(ids & rule_ids) / len(ids | rule_ids) if rule_ids else 0.0,
        "p_mean": sum(probs) / len(probs),
        "p_min": min(probs),
        "p_gap": 0.0,  # relative features: filled in by `candidates`, which sees them all
        "p_top": 0.0,
        "label_frac": sum(1 for w in words if w.id in labelled) / len(words),
        "label_cover": len(ids & labelled) / len(labelled) if labelled else 0.0,
        "labelled_above": 1.0 if above >= 0 and any(w.id in labelled for w in page.lines[above]) else 0.0,
        "labelled_below": 1.0 if below < n and any(w.id in labelled for w in page.lines[below]) else 0.0,
        "rule_source": sum(1 for w in words if w.label_source == "rule") / len(words),
        "first_line": line_idx[0] / max(1, n - 1),
        "y_top": min(w.y0 for w in words) / page.page_height,
        "n_lines": float(len(line_idx)),
        "log_words": math.log(len(words)),
        "height": sum(_line_height([w for w in words if page.line_of[w.id] == i]) for i in line_idx) / len(line_idx) / page.median_height,
        "digit_frac": sum(c.isdigit() for c in chars) / len(chars) if chars else 0.0,
        "legal_form": 1.0 if _LEGAL.search(text) else 0.0,
        "street_cue": 1.0 if _STREET.search(text) else 0.0,
        "contact_cue": 1.0 if _CONTACT.search(text) else 0.0,
        "tax_cue": 1.0 if _TAX.search(text) else 0.0,
        "whole_lines": 1.0 if whole else 0.0,
        "cut_frac": 1.0 - len(words) / sum(len(page.lines[i]) for i in line_idx),
        "other_field": sum(1 for w in words if w.label not in (None, MISC, field_name)) / len(words),
        "rule_superset": 1.0 if rule_ids and rule_ids < ids else 0.0,
        "rule_subset": 1.0 if rule_ids and ids < rule_ids else 0.0,
        "starts_number": 1.0 if _STARTS_NUMBER.match(text) else 0.0,
        "ends_postcode": 1.0 if _POSTCODE.search(" ".join(w.text for w in words if page.line_of[w.id] == line_idx[-1])) else 0.0,
    }
    return [values[name] for name in FEATURES]


def candidates(doc: Document, field_name: str, rule_field: Field | None, page: _Page | None = None) -> list[Candidate]:
    """The rules' span (first, when there is one) and its neighbours, each with its features.

    Neighbours: the rules' span less its first or last line, or with the line above
    or below added; and every run of up to MAX_LINES lines among the lines that
    carry the field's label, the lines next to them and (shop names) the top of
    the page, taken whole and as their labelled words only.
    """
    page = page or _Page.of(doc)
    if not page.lines:
        return []
    by_id = {w.id: w for w in doc.words}
    rule_words = [by_id[i] for i in (rule_field.word_ids if rule_field else []) if i in by_id and i in page.line_of]
    rule_ids = {w.id for w in rule_words}
    labelled = page.labelled[field_name]
    if not rule_words and not labelled:
        return []  # nothing says this receipt prints the field: do not invent one
    seen: set[tuple[int, ...]] = set()
    out: list[Candidate] = []

    def add(words: list[Word], whole: bool, from_rules: bool = False) -> None:
        words = sorted({w.id: w for w in words}.values(), key=lambda w: (page.line_of[w.id], w.x0))
        key = tuple(w.id for w in words)
        if not words or key in seen:
            return
        seen.add(key)
        out.append(Candidate(words, _features(page, field_name, words, rule_ids, whole), from_rules))

    def part(i: int) -> list[Word]:
        """Line i's words of the field, or the whole line when none carries it."""
        own = [w for w in page.lines[i] if w.id in labelled]
        return own or list(page.lines[i])

    if rule_words:
        add(rule_words, whole=False, from_rules=True)
        rows = sorted({page.line_of[w.id] for w in rule_words})
        if len(rows) > 1:
            add([w for w in rule_words if page.line_of[w.id] != rows[0]], whole=False)
            add([w for w in rule_words if page.line_of[w.id] != rows[-1]], whole=False)
        if rows[0] > 0:
            add(part(rows[0] - 1) + rule_words, whole=False)
        if rows[-1] + 1 < len(page.lines) and len(rows) < MAX_LINES[field_name]:
            add(rule_words + part(rows[-1] + 1), whole=False)
    region: set[int] = set()
    for wid in labelled:
        i = page.line_of.get(wid)
        if i is not None:
            region.update((i - 1, i, i + 1))
    if field_name == SHOP_NAME:
        region.update(range(TOP_LINES))
    region = {i for i in region if 0 <= i < len(page.lines)}
    for start in sorted(region):
        for length in range(1, MAX_LINES[field_name] + 1):
            rows = list(range(start, start + length))
            if rows[-1] not in region:
                break
            add([w for i in rows for w in page.lines[i]], whole=True)
            own = [w for i in rows for w in page.lines[i] if w.id in labelled]
            if own and {page.line_of[w.id] for w in own} == set(rows):
                add(own, whole=False)
    i_mean, i_gap, i_top = FEATURES.index("p_mean"), FEATURES.index("p_gap"), FEATURES.index("p_top")
    best = max(c.features[i_mean] for c in out) if out else 0.0
    for c in out:
        c.features[i_gap] = c.features[i_mean] - best
        c.features[i_top] = 1.0 if c.features[i_mean] >= best - 1e-9 else 0.0
    return out


# Feature sets the training script compares on dev (the others get weight 0). The
# classifier's absolute probabilities are the least portable evidence (their scale
# depends on the model and on whether it has seen the receipt), so there are sets
# with only the relative ones and with none, and one that also drops the labels the
# classifier put on the words (rules cues and layout only; the candidates themselves
# are still found around the labelled lines).
_PROB = ("p_mean", "p_min", "p_gap", "p_top")
_LABELS = ("label_frac", "label_cover", "labelled_above", "labelled_below", "other_field")
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "all": FEATURES,
    "relative-prob": tuple(f for f in FEATURES if f not in ("p_mean", "p_min")),
    "no-prob": tuple(f for f in FEATURES if f not in _PROB),
    "no-classifier": tuple(f for f in FEATURES if f not in _PROB + _LABELS),
}

# --------------------------------------------------------------------------- the model


@dataclass
class SpanScorer:
    """A conditional logistic regression per field: score = w . standardised features; highest wins."""

    weights: dict[str, list[float]]
    mean: dict[str, list[float]]
    scale: dict[str, list[float]]
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path = DEFAULT_WEIGHTS) -> SpanScorer:
        from ..errors import ModelError

        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read the span scorer's weights {path}: {exc}") from exc
        if data.get("features") != list(FEATURES):
            raise ModelError(f"span scorer weights {path} were trained on other features; retrain with scripts/train_span_scorer.py")
        return cls(data["weights"], data["mean"], data["scale"], data.get("meta", {}))

    def to_json(self) -> str:
        return json.dumps(
            {"features": list(FEATURES), "weights": self.weights, "mean": self.mean, "scale": self.scale, "meta": self.meta},
            indent=1,
        )

    def contributions(self, field_name: str, features: Sequence[float]) -> list[float]:
        w, m, s = self.weights[field_name], self.mean[field_name], self.scale[field_name]
        return [wi * (x - mi) / si for wi, x, mi, si in zip(w, features, m, s)]

    def score(self, field_name: str, features: Sequence[float]) -> float:
        return sum(self.contributions(field_name, features))


def fit_conditional_logit(
    groups: Sequence[tuple[Sequence[Sequence[float]], Sequence[bool]]],
    l2: float,
    steps: int = 1500,
    use: Sequence[int] | None = None,
) -> tuple[list[float], list[float], list[float]]:
    """Weights maximising sum over groups of log P(a right candidate), P a softmax of scores over the group.

    Groups with no right candidate teach nothing and are skipped. Features are
    standardised first (mean, scale returned with the weights); `l2` is the
    ridge penalty per group. `use`: the feature columns to fit (the others get
    weight 0, mean 0, scale 1, so a file always holds every feature). Full-batch gradient ascent with an adaptive step
    (grown after a success, halved after a failure): the problem is small (a few
    thousand candidates) and concave, so nothing more elaborate is needed.
    """
    import numpy as np

    usable = [(np.asarray(x, dtype=float), np.asarray(y, dtype=bool)) for x, y in groups if any(y) and len(y) > 1]
    if not usable:
        raise ValueError("no training group has both a right and a wrong candidate")
    stacked = np.vstack([x for x, _ in usable])
    width = stacked.shape[1]
    cols = np.asarray(sorted(set(use)) if use is not None else range(width), dtype=int)
    usable = [(x[:, cols], y) for x, y in usable]
    stacked = stacked[:, cols]
    mean = stacked.mean(axis=0)
    scale = stacked.std(axis=0)
    scale[scale < 1e-6] = 1.0
    # All groups in one matrix; `starts` marks where each group begins, so the per-group
    # softmax is a handful of reduceat calls instead of a Python loop over receipts.
    x_all = (stacked - mean) / scale
    y_all = np.concatenate([y for _, y in usable])
    sizes = np.asarray([len(y) for _, y in usable])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    group = np.repeat(np.arange(len(usable)), sizes)
    n = len(usable)
    w = np.zeros(stacked.shape[1])

    def objective(w: Any) -> tuple[float, Any]:
        s = x_all @ w
        p = np.exp(s - np.maximum.reduceat(s, starts)[group])
        p /= np.add.reduceat(p, starts)[group]
        pos = np.add.reduceat(np.where(y_all, p, 0.0), starts)
        # d log(sum_pos p) / dw = E_{p|pos}[x] - E_p[x], summed over groups
        coef = np.where(y_all, p / np.maximum(pos, 1e-300)[group], 0.0) - p
        total = float(np.log(np.maximum(pos, 1e-300)).sum())
        return total / n - l2 * float(w @ w), coef @ x_all / n - 2 * l2 * w

    value, grad = objective(w)
    step = 1.0
    for _ in range(steps):
        while step > 1e-8:
            trial = w + step * grad
            v2, g2 = objective(trial)
            if v2 >= value:
                w, value, grad = trial, v2, g2
                step *= 1.5
                break
            step *= 0.5
        else:
            break
        if float(np.abs(grad).max()) < 1e-6:
            break
    full_w, full_mean, full_scale = np.zeros(width), np.zeros(width), np.ones(width)
    full_w[cols], full_mean[cols], full_scale[cols] = w, mean, scale
    return full_w.tolist(), full_mean.tolist(), full_scale.tolist()


# --------------------------------------------------------------------------- the stage


def _value_of(words: Sequence[Word], field_name: str) -> str:
    """The value the assembler would give these words (company number cut, OCR digit slips in words repaired)."""
    from ..normalize.ocr_fixes import fix_letters_in_words
    from ..rules.entities import COMPANY_NUMBER

    raw = " ".join(" ".join(w.text for w in words).split())
    if field_name == SHOP_NAME:
        raw = COMPANY_NUMBER.sub("", raw).strip() or raw
    return fix_letters_in_words(raw)


class SpanScorerStage:
    """`spans` stage, after `assemble`: re-decides shop name and address among candidate spans."""

    name = "spans"

    def __init__(self, config: Any = None, scorer: SpanScorer | None = None, entity_db: object | None = None) -> None:
        self.config = config
        self._scorer = scorer
        self._entity_db = entity_db
        self._assembler: Any = None

    @property
    def scorer(self) -> SpanScorer:
        if self._scorer is None:
            self._scorer = SpanScorer.load()
        return self._scorer

    def _spelling(self, field_name: str, value: str) -> str:
        """The entity database's stored spelling of `value` when it knows it, exactly as the assembler applies it."""
        if self._assembler is None:
            from .assemble import AssembleStage

            self._assembler = AssembleStage(self.config, entity_db=self._entity_db)
        return str(self._assembler._canonical({field_name: value})[field_name])

    def enabled(self) -> bool:
        """TILLROLL_SPAN_SCORER when set, else PipelineConfig.span_scorer (on without a config)."""
        env = os.environ.get(SPAN_SCORER_ENV, "").strip().lower()
        if env in ("1", "on", "true", "yes"):
            return True
        if env in ("0", "off", "false", "no"):
            return False
        return self.config is None or bool(getattr(self.config, "span_scorer", True))

    def __call__(self, doc: Document) -> Document:
        if not self.enabled():
            return doc  # switched off: the rules' spans stand
        page = _Page.of(doc)
        notes: dict[str, Any] = {}
        for field_name in SCORED_FIELDS:
            rule_field = doc.fields.get(field_name)
            # Whether the receipt prints the field at all stays the rules' call: the scorer
            # learnt only from receipts that have one, so it cannot say "none here".
            if rule_field is None or field_name not in self.scorer.weights:
                continue
            cands = candidates(doc, field_name, rule_field, page)
            if len(cands) < 2:
                continue
            scores = [self.scorer.score(field_name, c.features) for c in cands]
            best = max(range(len(cands)), key=lambda i: scores[i])
            chosen = cands[best]
            if chosen.from_rules:
                continue
            rule_score = next((s for c, s in zip(cands, scores) if c.from_rules), None)
            # Softmax probability of the chosen span among the candidates: its confidence.
            top = max(scores)
            z = sum(math.exp(s - top) for s in scores)
            confidence = 1.0 / z
            value = self._spelling(field_name, _value_of(chosen.words, field_name))
            doc.fields[field_name] = Field(
                text=" ".join(w.text for w in chosen.words),
                value=value,
                confidence=round(confidence, 4),
                word_ids=list(chosen.ids),
                source="model",
            )
            contrib = self.scorer.contributions(field_name, chosen.features)
            if rule_score is not None:
                rule_features = next(c.features for c in cands if c.from_rules)
                contrib = [a - b for a, b in zip(contrib, self.scorer.contributions(field_name, rule_features))]
            order = sorted(range(len(FEATURES)), key=lambda i: -abs(contrib[i]))[:3]
            notes[field_name] = {
                "decided_by": "span_scorer",
                "rules_text": rule_field.text if rule_field else None,
                "score": round(scores[best], 3),
                "rules_score": round(rule_score, 3) if rule_score is not None else None,
                "deciding_features": {FEATURES[i]: round(contrib[i], 3) for i in order},
            }
        if notes:
            doc.meta["span_scorer"] = notes
        return doc
