"""What every part of the assembler shares: the receipt's context, its labelled lines, and field construction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ...document import Field, Word
from ...rules.totals import all_money_words as _all_money_words
from ...rules.totals import join_words as _join
from ...rules.totals import mean_confidence as _confidence
from ...rules.totals import money_words as _money_words
from ...rules.totals import words_in_span as _words_in_span

__all__ = [
    "_Context",
    "_all_money_words",
    "_confidence",
    "_field",
    "_first_block",
    "_join",
    "_labelled_lines",
    "_line_of",
    "_money_words",
    "_rest_of_line",
    "_source",
    "_words_in_span",
]

# Tie-break when a field's words are split evenly between sources: a human correction
# outranks a rule, a rule that touched the span outranks the model. Iterating a set
# instead would follow string hashing, which changes from process to process.
_SOURCE_PRECEDENCE = {"human": 2, "rule": 1, "model": 0}


def _source(words: Sequence[Word]) -> str:
    sources = [w.label_source or "rule" for w in words]
    if not sources:
        return "rule"
    return max(sources, key=lambda s: (sources.count(s), _SOURCE_PRECEDENCE.get(s, -1)))


def _field(words: Sequence[Word], value: str, text: str | None = None, confidence: float | None = None, currency: str | None = None) -> Field:
    return Field(
        text=text if text is not None else _join(words),
        value=value,
        confidence=round(confidence if confidence is not None else _confidence(words), 4),
        word_ids=[w.id for w in words],
        source=_source(words),
        currency=currency,
    )


@dataclass
class _Context:
    lines: list[list[Word]]
    text: str
    country: str | None
    currency: str | None
    # label -> [(line index, that line's words with the label)], built once: the
    # assembler asks for the lines of one label or another eight times per receipt.
    by_label: dict[str, list[tuple[int, list[Word]]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, line in enumerate(self.lines):
            per_line: dict[str, list[Word]] = {}
            for w in line:
                if w.label is not None:
                    per_line.setdefault(w.label, []).append(w)
            for label, ws in per_line.items():
                self.by_label.setdefault(label, []).append((i, ws))


def _labelled_lines(ctx: _Context, label: str) -> list[tuple[int, list[Word]]]:
    """Lines that have words of `label`, with those words (labels do not change while assembling)."""
    return ctx.by_label.get(label, [])


def _first_block(ctx: _Context, label: str, max_lines: int, max_gap: int = 1, lead: Callable[[list[Word], int], bool] | None = None) -> list[Word]:
    """Words of `label` in the first run of nearby lines that carry it.

    `lead(words, line_index)` says whether a line may open the block; lines it
    refuses before the block starts are passed over.
    """
    block: list[Word] = []
    last = None
    taken = 0
    for i, ws in _labelled_lines(ctx, label):
        if last is not None and i - last > max_gap + 1:
            break
        # A line counts when the label dominates it (stray words elsewhere do not extend the block).
        if len(ws) * 2 < len(ctx.lines[i]) and block:
            continue
        if not block and lead is not None and not lead(ws, i):
            continue
        block += ws
        last = i
        taken += 1
        if taken >= max_lines:
            break
    return block


def _line_of(lines: Sequence[Sequence[Word]], word: Word) -> int | None:
    """The index of the line that holds `word`."""
    return next((i for i, line in enumerate(lines) if word in line), None)


def _rest_of_line(lines: Sequence[Sequence[Word]], word: Word) -> list[Word]:
    """The words printed after `word` on its line."""
    i = _line_of(lines, word)
    if i is None:
        return []
    line = list(lines[i])
    return line[line.index(word) + 1 :]
