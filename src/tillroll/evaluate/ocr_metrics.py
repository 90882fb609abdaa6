"""OCR text scores (paper Table 1): Levenshtein distance, character and word error rates, token P/R/F1.

Per annotated line, gold against what OCR read there; `tillroll ocr-bench` and
the evaluation report them, and `tillroll.evaluate.metrics` re-exports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from .values import squash


@dataclass
class OcrCounts:
    """Sums over compared lines/documents; `ocr_report` turns them into Table 1's metrics."""

    char_edits: int = 0
    gold_chars: int = 0
    word_edits: int = 0
    gold_words: int = 0
    documents: int = 0
    token_precision_sum: float = 0.0
    token_recall_sum: float = 0.0
    token_f1_sum: float = 0.0

    def __add__(self, other: OcrCounts) -> OcrCounts:
        return OcrCounts(*(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__))


def _tokens(text: str, spaced: bool) -> list[str]:
    return text.split() if spaced else [text.replace(" ", "")] if text.strip() else []


def _masked(text: str) -> bool:
    """SROIE writes text it did not transcribe (Chinese, logos) as '***': nothing to compare."""
    stripped = text.replace(" ", "")
    return bool(stripped) and set(stripped) == {"*"}


def ocr_counts(
    gold_lines: Sequence[str],
    pred_lines: Sequence[str],
    gold_tokens: Sequence[str],
    pred_tokens: Sequence[str],
    spaced: bool = True,
    case_sensitive: bool = True,
) -> OcrCounts:
    """Edit counts of one document: line i of the prediction is what OCR read inside gold line i.

    `gold_tokens`/`pred_tokens` are every word of the page (including OCR words
    outside any gold line) for the bag-of-tokens precision and recall.
    `spaced=False` (annotations that omit spaces) compares texts with spaces
    removed; `case_sensitive=False` (annotations in capitals) ignores case.
    Gold lines that are only asterisks (SROIE's mask) are skipped.
    """
    counts = OcrCounts(documents=1)
    fold = (lambda s: s) if case_sensitive else str.upper
    for g, p in zip(gold_lines, pred_lines):
        if _masked(g):
            continue
        g, p = fold(squash(g)), fold(squash(p))
        if not spaced:
            g, p = g.replace(" ", ""), p.replace(" ", "")
        counts.char_edits += Levenshtein.distance(g, p)
        counts.gold_chars += len(g)
        gw, pw = _tokens(g, spaced), _tokens(p, spaced)
        counts.word_edits += Levenshtein.distance(gw, pw)
        counts.gold_words += len(gw)
    from collections import Counter

    def unspace(s: str) -> str:
        return s if spaced else s.replace(" ", "")

    gold_bag = Counter(t for t in (unspace(fold(squash(x))) for x in gold_tokens) if t and not _masked(t))
    pred_bag = Counter(t for t in (unspace(fold(squash(x))) for x in pred_tokens) if t)
    common = sum((gold_bag & pred_bag).values())
    precision = common / sum(pred_bag.values()) if pred_bag else (1.0 if not gold_bag else 0.0)
    recall = common / sum(gold_bag.values()) if gold_bag else (1.0 if not pred_bag else 0.0)
    counts.token_precision_sum = precision
    counts.token_recall_sum = recall
    counts.token_f1_sum = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return counts


def ocr_report(counts: OcrCounts) -> dict[str, float]:
    """Paper Table 1: avg Levenshtein (edits per gold word), CER, WER, char/word accuracy, macro token P/R/F1.

    CER and WER are pooled over all compared lines; accuracies are 1 - error
    rate (floored at 0); token P/R/F1 are averaged over documents (macro).
    """
    cer = counts.char_edits / counts.gold_chars if counts.gold_chars else 0.0
    wer = counts.word_edits / counts.gold_words if counts.gold_words else 0.0
    n = counts.documents or 1
    return {
        "documents": counts.documents,
        "avg_levenshtein": round(counts.char_edits / counts.gold_words, 4) if counts.gold_words else 0.0,
        "cer": round(cer, 4),
        "wer": round(wer, 4),
        "char_accuracy": round(max(0.0, 1 - cer), 4),
        "word_accuracy": round(max(0.0, 1 - wer), 4),
        "macro_precision": round(counts.token_precision_sum / n, 4),
        "macro_recall": round(counts.token_recall_sum / n, 4),
        "macro_f1": round(counts.token_f1_sum / n, 4),
    }
