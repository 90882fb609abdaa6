"""The one scorer of tillroll: word labels, fields, line items, key-value pairs and OCR text.

OCR text scores live in `ocr_metrics` and are re-exported here.

Training (model selection), `tillroll evaluate`, the benchmarks and the tests
all call these functions, so a number means the same thing everywhere.

Conventions
- Word labels: one gold and one predicted label per word. A predicted `None`
  (a stage that left a word unlabelled) counts as misc. Per-label precision,
  recall and F1 are 0 where undefined (no predictions / no support), as in
  scikit-learn's `zero_division=0`. `micro` pools every label including misc
  (for single-label words it equals accuracy, and is what the paper's Table 2
  reports); `micro_no_misc` pools only the informative labels; `macro` is the
  plain mean and `weighted` the support-weighted mean over the labels present
  in gold or predictions.
- Labels a dataset does not annotate (SROIE has no telephone) are folded into
  misc on both sides before counting (`restrict_to`), so finding a phone
  number SROIE ignores costs nothing.
- Fields: a predicted field that does not match its gold counts as a false
  positive *and* a false negative (SROIE's convention): the user got a wrong
  value and still lacks the right one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from ..document import Field, KeyValue, LineItem, TaxRow
from ..labels import FIELD_NAMES, LABEL_TO_ID, LABELS, MISC, SROIE_ENTITY_TO_FIELD
from .ocr_metrics import OcrCounts as OcrCounts
from .ocr_metrics import ocr_counts as ocr_counts
from .ocr_metrics import ocr_report as ocr_report
from .values import canon, exact_match, lenient_match, squash, strict_match

# --------------------------------------------------------------------------- P/R/F1


@dataclass(frozen=True)
class PRF:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: PRF) -> PRF:
        return PRF(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def to_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


ZERO = PRF(0, 0, 0)

# --------------------------------------------------------------------------- word labels


def restrict_labels(labels: Iterable[str | None], restrict_to: Iterable[str] | None = None) -> list[str]:
    """Labels with None -> misc and, when `restrict_to` is given, every other label -> misc."""
    keep = set(restrict_to) if restrict_to is not None else None
    out = []
    for label in labels:
        label = label or MISC
        if label not in LABEL_TO_ID:
            raise ValueError(f"unknown label {label!r}; expected one of {', '.join(LABELS)}")
        out.append(label if keep is None or label in keep else MISC)
    return out


@dataclass
class LabelReport:
    """Per-label and averaged scores of word labelling, plus the confusion matrix behind them."""

    labels: tuple[str, ...]
    matrix: list[list[int]]  # matrix[gold][pred], indexed like `labels`

    @classmethod
    def from_labels(
        cls, gold: Sequence[str | None], pred: Sequence[str | None], restrict_to: Iterable[str] | None = None, labels: Sequence[str] = LABELS
    ) -> LabelReport:
        if len(gold) != len(pred):
            raise ValueError(f"{len(gold)} gold labels but {len(pred)} predictions: score the same words")
        restrict = list(restrict_to) if restrict_to is not None else None
        g = restrict_labels(gold, restrict)
        p = restrict_labels(pred, restrict)
        index = {label: i for i, label in enumerate(labels)}
        matrix = [[0] * len(labels) for _ in labels]
        for a, b in zip(g, p):
            matrix[index[a]][index[b]] += 1
        return cls(tuple(labels), matrix)

    def __add__(self, other: LabelReport) -> LabelReport:
        if self.labels != other.labels:
            raise ValueError("cannot add reports over different label sets")
        return LabelReport(self.labels, [[a + b for a, b in zip(r1, r2)] for r1, r2 in zip(self.matrix, other.matrix)])

    @classmethod
    def empty(cls, labels: Sequence[str] = LABELS) -> LabelReport:
        return cls(tuple(labels), [[0] * len(labels) for _ in labels])

    def prf(self, label: str) -> PRF:
        i = self.labels.index(label)
        tp = self.matrix[i][i]
        fn = sum(self.matrix[i]) - tp
        fp = sum(row[i] for row in self.matrix) - tp
        return PRF(tp, fp, fn)

    def support(self, label: str) -> int:
        return sum(self.matrix[self.labels.index(label)])

    def present(self) -> list[str]:
        """Labels that occur in gold or predictions (the ones averages run over)."""
        return [lab for lab in self.labels if self.support(lab) or sum(row[self.labels.index(lab)] for row in self.matrix)]

    @property
    def total(self) -> int:
        return sum(map(sum, self.matrix))

    def averages(self) -> dict[str, dict[str, float]]:
        present = self.present()
        per = {lab: self.prf(lab) for lab in present}
        out: dict[str, dict[str, float]] = {}
        micro = sum(per.values(), ZERO)
        out["micro"] = {"precision": micro.precision, "recall": micro.recall, "f1": micro.f1}
        informative = sum((v for k, v in per.items() if k != MISC), ZERO)
        out["micro_no_misc"] = {"precision": informative.precision, "recall": informative.recall, "f1": informative.f1}
        n = len(present)
        out["macro"] = {m: (sum(getattr(v, m) for v in per.values()) / n if n else 0.0) for m in ("precision", "recall", "f1")}
        weight = sum(self.support(lab) for lab in present)
        out["weighted"] = {
            m: (sum(getattr(per[lab], m) * self.support(lab) for lab in present) / weight if weight else 0.0) for m in ("precision", "recall", "f1")
        }
        return {k: {m: round(v, 4) for m, v in d.items()} for k, d in out.items()}

    def accuracy(self) -> float:
        total = self.total
        return sum(self.matrix[i][i] for i in range(len(self.labels))) / total if total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "words": self.total,
            "accuracy": round(self.accuracy(), 4),
            "per_label": {lab: {**self.prf(lab).to_dict(), "support": self.support(lab)} for lab in self.labels},
            "averages": self.averages(),
            "confusion": {"labels": list(self.labels), "matrix": self.matrix},
        }

    def confusion_text(self, normalise: bool = False) -> str:
        """The confusion matrix as a fixed-width table (rows gold, columns predicted)."""
        present = self.present() or list(self.labels)
        idx = [self.labels.index(lab) for lab in present]
        short = [lab[:8] for lab in present]
        width = max(8, max(len(s) for s in short))
        lines = ["gold \\ pred".ljust(14) + " ".join(s.rjust(width) for s in short)]
        for i, lab in zip(idx, present):
            row = [self.matrix[i][j] for j in idx]
            total = sum(self.matrix[i]) or 1
            cells = [f"{v / total:.2f}" if normalise else str(v) for v in row]
            lines.append(lab[:13].ljust(14) + " ".join(c.rjust(width) for c in cells))
        return "\n".join(lines)

    def plot_confusion(self, path: str | Path, title: str = "Word labels: confusion (rows: gold, normalised)") -> Path:
        """Row-normalised confusion matrix as a PNG (paper Fig. 6); needs matplotlib (extra `eval`)."""
        from ..errors import EngineUnavailableError

        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EngineUnavailableError("plots need matplotlib: pip install 'tillroll[eval]'") from exc
        present = self.present() or list(self.labels)
        idx = [self.labels.index(lab) for lab in present]
        rates = []
        for i in idx:
            total = sum(self.matrix[i]) or 1
            rates.append([self.matrix[i][j] / total for j in idx])
        fig, ax = plt.subplots(figsize=(1.0 + 0.62 * len(present), 1.0 + 0.55 * len(present)))
        im = ax.imshow(rates, cmap="Blues", vmin=0.0, vmax=1.0)
        ax.set_xticks(range(len(present)), present, rotation=45, ha="right")
        ax.set_yticks(range(len(present)), present)
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold")
        ax.set_title(title, fontsize=10)
        for r, row in enumerate(rates):
            for c, v in enumerate(row):
                if v >= 0.005:
                    ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=7, color="white" if v > 0.6 else "black")
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        fig.tight_layout()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return path


def word_label_report(gold: Sequence[str | None], pred: Sequence[str | None], restrict_to: Iterable[str] | None = None) -> LabelReport:
    """Per-label P/R/F1, averages and confusion for paired word labels (paper Tables 2-3, Fig. 6)."""
    return LabelReport.from_labels(gold, pred, restrict_to)


# --------------------------------------------------------------------------- fields

FieldMap = Mapping[str, Field]


def field_scores(pairs: Iterable[tuple[FieldMap, FieldMap]], fields: Sequence[str] = FIELD_NAMES) -> dict[str, Any]:
    """Exact, strict and lenient P/R/F1 per field and pooled, over (gold fields, predicted fields) per document.

    exact: normalised `value`s equal (names and addresses case aside). strict:
    `values.strict_match`, the headline scorer of docs/benchmarks.md (names and
    addresses by letters and digits only, other fields by normalised value).
    lenient: `values.lenient_match` (case, spacing, punctuation, number and
    date formats forgiven). Fields absent from gold and prediction alike do not count.
    """
    modes = ("exact", "strict", "lenient")
    counts = {mode: dict.fromkeys(fields, ZERO) for mode in modes}
    for gold, pred in pairs:
        for name in fields:
            g, p = gold.get(name), pred.get(name)
            if g is None and p is None:
                continue
            for mode in modes:
                if g is not None and p is not None:
                    if mode == "exact":
                        ok = exact_match(g.value, p.value, name)
                    elif mode == "strict":
                        ok = strict_match(g.value, p.value, name)
                    else:
                        ok = lenient_match(name, (g.text, g.value), (p.text, p.value))
                    counts[mode][name] = counts[mode][name] + (PRF(1, 0, 0) if ok else PRF(0, 1, 1))
                elif g is not None:
                    counts[mode][name] = counts[mode][name] + PRF(0, 0, 1)
                else:
                    counts[mode][name] = counts[mode][name] + PRF(0, 1, 0)
    out: dict[str, Any] = {}
    for mode, per in counts.items():
        used = {k: v for k, v in per.items() if v.tp + v.fp + v.fn}
        pooled = sum(used.values(), ZERO)
        out[mode] = {
            "per_field": {k: {**v.to_dict(), "support": v.tp + v.fn} for k, v in used.items()},
            "micro": pooled.to_dict(),
            "macro_f1": round(sum(v.f1 for v in used.values()) / len(used), 4) if used else 0.0,
        }
    return out


def sroie_strings_equal(gold: str, pred: str) -> bool:
    """SROIE task-3 comparison: the strings as printed, case and spacing aside."""
    return squash(gold).upper() == squash(pred).upper()


def sroie_scores(pairs: Iterable[tuple[FieldMap, FieldMap]]) -> dict[str, Any]:
    """SROIE-style 4-entity scores (company, address, date, total) and their micro F1.

    Company, address and date compare the printed texts (case and spacing
    aside), like the SROIE leaderboard. Totals compare normalised amounts,
    because SROIE's gold totals are bare numbers ("9.00") while a field's text
    may carry the currency ("RM 9.00").
    """
    per = dict.fromkeys(SROIE_ENTITY_TO_FIELD, ZERO)
    for gold, pred in pairs:
        for key, name in SROIE_ENTITY_TO_FIELD.items():
            g, p = gold.get(name), pred.get(name)
            if g is None and p is None:
                continue
            if g is None:
                per[key] = per[key] + PRF(0, 1, 0)
            elif p is None:
                per[key] = per[key] + PRF(0, 0, 1)
            else:
                ok = exact_match(g.value, p.value) if key == "total" else sroie_strings_equal(g.text, p.text)
                per[key] = per[key] + (PRF(1, 0, 0) if ok else PRF(0, 1, 1))
    pooled = sum(per.values(), ZERO)
    return {"per_entity": {k: v.to_dict() for k, v in per.items()}, "micro": pooled.to_dict()}


# --------------------------------------------------------------------------- line items and key-value pairs

DESCRIPTION_SIMILARITY = 80.0  # rapidfuzz ratio (0-100) on canonical text


def _amount_equal(gold: str | None, pred: str | None) -> bool:
    if gold is None:
        return True  # nothing to check against
    return pred is not None and lenient_match("amount", (gold, gold), (pred, pred))


def description_prefix_ok(gold: str | None, pred: str | None, row: str | None) -> bool:
    """Whether the gold description opens the predicted one, which starts on the amount's row.

    E-invoice gold descriptions are the XML's item names ("Ballons"), the first part
    of what the page prints in the cell ("Ballons: various colors, ~2000ml", maybe
    over several lines). Letters and digits compare; `row` is the text printed on
    the line of the predicted amount, and the description must start there, so a
    description gathered from another row earns nothing.
    """
    g, p = canon(gold or ""), canon(pred or "")
    return len(g) >= 2 and row is not None and p.startswith(g) and g[:8] in canon(row)


def line_item_scores(
    pairs: Iterable[tuple[Sequence[LineItem], Sequence[LineItem]]],
    rows: Sequence[Sequence[str | None]] | None = None,
) -> dict[str, Any]:
    """Line-item P/R/F1: an item is found when a predicted item has a similar description and the same amount.

    Matching is one-to-one and greedy by description similarity, per document.
    Descriptions compare case-, space- and punctuation-insensitively (ratio >=
    80), amounts numerically. `attributes` scores each column (quantity,
    unit_price, amount) over the matched items whose gold has it.
    With `rows` (per document, per predicted item: the text printed on the row of
    the item's amount), a gold description that opens the predicted one on that
    row also matches (`description_prefix_ok`); the e-invoice scorer passes them.
    """
    total = ZERO
    attribute_hits = {"quantity": [0, 0], "unit_price": [0, 0], "amount": [0, 0]}
    for k, (gold_items, pred_items) in enumerate(pairs):
        doc_rows = rows[k] if rows is not None else None
        candidates = []
        for gi, g in enumerate(gold_items):
            for pi, p in enumerate(pred_items):
                sim = fuzz.ratio(canon(g.description or ""), canon(p.description or ""))
                if sim < DESCRIPTION_SIMILARITY and doc_rows is not None and description_prefix_ok(g.description, p.description, doc_rows[pi]):
                    sim = DESCRIPTION_SIMILARITY  # a match, ranked below closer ones
                if sim >= DESCRIPTION_SIMILARITY and _amount_equal(g.amount, p.amount):
                    candidates.append((sim, gi, pi))
        used_g: set[int] = set()
        used_p: set[int] = set()
        for _, gi, pi in sorted(candidates, reverse=True):
            if gi in used_g or pi in used_p:
                continue
            used_g.add(gi)
            used_p.add(pi)
            g, p = gold_items[gi], pred_items[pi]
            for attr in attribute_hits:
                gv = getattr(g, attr)
                if gv is not None:
                    attribute_hits[attr][1] += 1
                    pv = getattr(p, attr)
                    if pv is not None and lenient_match("quantity" if attr == "quantity" else "amount", (gv, gv), (pv, pv)):
                        attribute_hits[attr][0] += 1
        tp = len(used_g)
        total = total + PRF(tp, len(pred_items) - tp, len(gold_items) - tp)
    return {
        **total.to_dict(),
        "attributes": {k: {"correct": c, "of": n, "accuracy": round(c / n, 4) if n else None} for k, (c, n) in attribute_hits.items()},
    }


# Legal-form designations that close a company name, as letters and digits
# ("GmbH & Co. KG" is gmbh + co + kg). E-invoice XML names the seller with or without
# them (BT-27 "Au bon moulin" where the page prints "Au bon moulin SARL"), so the
# e-invoice scorer compares company names without a trailing legal form (both sides).
LEGAL_FORMS = frozenset(
    "gmbh mbh ag kg ohg ug gbr ek eg kgaa se co cokg gmbhcokg sarl sas sasu sa eurl snc sci scop scs "
    "ltd limited llc llp lp inc corp plc pty pte bv nv vof cv srl srls spa sapa snc sl slu sll sc "
    "spzoo spj sk ska zoo ab hb kb as asa aps is oy oyj ay tmi ou uab mb sia kft zrt nyrt sro as doo lda "
    "sdnbhd bhd berhad".split()
)


def without_legal_form(name: str) -> str:
    """`name` without a trailing legal-form designation ("Au bon moulin SARL" -> "Au bon moulin")."""
    tokens = re.findall(r"[^\W_]+", name)
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        for k in (3, 2, 1):
            if len(tokens) > k and "".join(tokens[-k:]).casefold() in LEGAL_FORMS:
                tokens = tokens[:-k]
                changed = True
                break
    return " ".join(tokens)


def magnitude(value: str | None) -> str | None:
    """A normalised amount without its sign ("-14.99" -> "14.99"); other values unchanged."""
    if value is None or not re.fullmatch(r"-\d+(?:\.\d+)?", value.strip()):
        return value
    return value.strip()[1:]


def _number(text: str | None) -> Decimal | None:
    """A decimal string ("19.00", "-14.99") as a Decimal; None when absent or not a number."""
    if text is None:
        return None
    try:
        return Decimal(str(text).strip().replace(" ", "").rstrip("%"))
    except (InvalidOperation, ValueError):
        return None


def tax_row_scores(pairs: Iterable[tuple[Sequence[TaxRow], Sequence[TaxRow]]]) -> dict[str, Any]:
    """Tax-breakdown P/R/F1: a row is found when a predicted row has the same rate and the same tax amount.

    Rates and amounts compare as numbers ("19" is "19.00"), signs included (a
    credit note's negative tax is not its positive twin). Matching is one-to-one
    per document. `base` reports how often a matched row's taxable base is right too.
    A gold row without a tax amount (one the page does not print) matches on its rate.
    """
    total = ZERO
    base_hits = [0, 0]
    for gold_rows, pred_rows in pairs:
        used: set[int] = set()
        tp = 0
        for g in gold_rows:
            g_rate, g_tax = _number(g.rate), _number(g.tax)
            for pi, p in enumerate(pred_rows):
                if pi in used or g_rate is None:
                    continue
                if _number(p.rate) == g_rate and (g_tax is None or _number(p.tax) == g_tax):
                    used.add(pi)
                    tp += 1
                    if g.base is not None:
                        base_hits[1] += 1
                        base_hits[0] += int(_number(p.base) == _number(g.base))
                    break
        total = total + PRF(tp, len(pred_rows) - tp, len(gold_rows) - tp)
    return {
        **total.to_dict(),
        "base": {"correct": base_hits[0], "of": base_hits[1], "accuracy": round(base_hits[0] / base_hits[1], 4) if base_hits[1] else None},
    }


def _kv_text(text: str) -> str:
    return canon(text.strip().rstrip(":").strip())


def key_value_scores(pairs: Iterable[tuple[Sequence[KeyValue], Sequence[KeyValue]]], min_similarity: float = 100.0) -> dict[str, Any]:
    """Key-value pair P/R/F1 (FUNSD): a pair counts when key and value both match, one-to-one.

    Texts compare case-, space- and punctuation-insensitively (a trailing colon
    on the key never matters); `min_similarity` < 100 also accepts near matches
    (rapidfuzz ratio), e.g. 90 to forgive single OCR slips.
    """
    total = ZERO
    for gold, pred in pairs:
        used: set[int] = set()
        tp = 0
        for g in gold:
            gk, gv = _kv_text(g.key), _kv_text(g.value)
            for pi, p in enumerate(pred):
                if pi in used:
                    continue
                pk, pv = _kv_text(p.key), _kv_text(p.value)
                if (pk == gk and pv == gv) or (min_similarity < 100 and fuzz.ratio(gk, pk) >= min_similarity and fuzz.ratio(gv, pv) >= min_similarity):
                    used.add(pi)
                    tp += 1
                    break
        total = total + PRF(tp, len(pred) - tp, len(gold) - tp)
    return total.to_dict()
