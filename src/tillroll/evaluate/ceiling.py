"""What a perfect word classifier would score: the ceiling the rest of the pipeline sets.

`tillroll evaluate --labels gold` swaps the classifier for `GoldLabelStage`,
which gives every OCR word the label of the annotated words it overlaps (the
same alignment the classifier is trained on). Everything else runs as usual:
OCR, optionally the rules, field assembly and scoring. The field scores of such
a run are what no classifier can beat on these OCR words with this assembly,
and `field_misses` splits the fields it still gets wrong into those whose gold
text is nowhere in the OCR text (an OCR misreading or an annotator's typo: no
labelling can recover them) and the rest (the assembler's or the rules' doing).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..document import Document
from .align import match_words
from .values import canon

# What `tillroll evaluate --labels` accepts: the classifier's labels or the annotation's.
LABEL_CHOICES = ("model", "gold")


class GoldLabelStage:
    """`classify` stage that labels OCR words from the annotation of the document being scored.

    The runner sets `reference` before each document. Labels carry source
    "model" and confidence 1.0, so the rules treat them exactly as they would a
    certain classifier.
    """

    name = "classify"

    def __init__(self) -> None:
        self.reference: Document | None = None

    def __call__(self, doc: Document) -> Document:
        if self.reference is None:
            raise RuntimeError("GoldLabelStage needs the reference document of the example being scored")
        for word, match in zip(doc.words, match_words(doc.words, self.reference.words)):
            word.set_label(match.label, 1.0, "model")
        return doc


def gold_in_ocr_text(gold_text: str, ocr_lines: Iterable[str]) -> bool:
    """Whether the gold text, ignoring case, spaces and punctuation, occurs in the OCR text read line after line."""
    needle = canon(gold_text)
    return bool(needle) and needle in canon("".join(ocr_lines))


def field_misses(records: Iterable[tuple[dict[str, dict[str, Any]], list[str]]]) -> dict[str, dict[str, int]]:
    """Per field: gold values not matched (lenient), and how many of them the OCR text does not contain.

    `records` are (per-document field records as in the report, OCR line texts).
    """
    out: dict[str, dict[str, int]] = {}
    for fields, lines in records:
        for name, record in fields.items():
            gold = record.get("gold")
            if not gold or record.get("lenient"):
                continue
            row = out.setdefault(name, {"missed": 0, "not_in_ocr_text": 0})
            row["missed"] += 1
            row["not_in_ocr_text"] += not gold_in_ocr_text(gold["text"], lines)
    return dict(sorted(out.items()))
