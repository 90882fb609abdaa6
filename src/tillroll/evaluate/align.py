"""Gold-label alignment, under the name it had before it moved to `tillroll.io.gold.align`.

The dataset readers label their words with it, so it lives below them (in
`tillroll.io`); this module keeps `from tillroll.evaluate.align import ...`
working. New code imports from `tillroll.io.gold.align`.
"""

from __future__ import annotations

from ..io.gold.align import (
    MIN_ENTITY_SCORE,
    MIN_WORD_COVER,
    Location,
    WordMatch,
    amount_value,
    canon,
    entity_labels,
    find_span,
    gold_labelled_document,
    gold_labels,
    label_by_entities,
    locate_date,
    locate_entities,
    locate_total,
    match_words,
    ocr_line_texts,
    read_gold_lines,
)

__all__ = [
    "MIN_ENTITY_SCORE",
    "MIN_WORD_COVER",
    "Location",
    "WordMatch",
    "amount_value",
    "canon",
    "entity_labels",
    "find_span",
    "gold_labelled_document",
    "gold_labels",
    "label_by_entities",
    "locate_date",
    "locate_entities",
    "locate_total",
    "match_words",
    "ocr_line_texts",
    "read_gold_lines",
]
