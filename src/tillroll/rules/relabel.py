"""Contextual sequence relabelling (paper 6.4).

Shop names, addresses and item descriptions are runs of words, so a word whose
label disagrees with confident neighbours on both sides of it, on the same
line, is most likely wrong: [address 0.95, shop_name 0.41, address 0.87]
becomes three address words. The same holds for a line that is mostly one of
these labels with a few stragglers, for a shop-name line printed *below*
the address block (names precede addresses on receipts), and for shop-name words
inside an address line under the name.

Where the classifier left per-label probabilities (`Word.label_scores`), a flip
needs the new label to be a plausible runner-up, and the flipped word gets the
classifier's own probability for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..document import Word
from ..labels import ADDRESS, LINE_ITEM, MISC, SHOP_NAME

SEQUENCE_LABELS: tuple[str, ...] = (ADDRESS, SHOP_NAME, LINE_ITEM)
LOW_CONFIDENCE = 0.5  # a label below this may be flipped
HIGH_CONFIDENCE = 0.6  # neighbours at or above this may flip it
MAJORITY = 0.6  # share of a line's words that makes the line one label


def _conf(w: Word) -> float:
    return w.label_confidence if w.label_confidence is not None else 0.0


def _plausible(w: Word, label: str) -> bool:
    return w.label_scores is None or w.label_scores.get(label, 0.0) >= 0.05


def _flip(w: Word, label: str, neighbour_conf: float) -> None:
    conf = w.label_scores.get(label) if w.label_scores else None
    w.set_label(label, round(conf if conf is not None else min(neighbour_conf, 0.9) * 0.9, 4), "rule")


def relabel_line(line: Sequence[Word]) -> int:
    """Fix stragglers inside one line; returns how many words changed."""
    changed = 0
    words = [w for w in line if w.label is not None]
    for i in range(1, len(words) - 1):
        left, mid, right = words[i - 1], words[i], words[i + 1]
        if left.label == right.label and left.label in SEQUENCE_LABELS and mid.label != left.label:
            if _conf(mid) < LOW_CONFIDENCE and min(_conf(left), _conf(right)) >= HIGH_CONFIDENCE and _plausible(mid, left.label):
                _flip(mid, left.label, min(_conf(left), _conf(right)))
                changed += 1
    if len(words) < 3:
        return changed
    for label in (ADDRESS, SHOP_NAME):
        if [w.label for w in words].count(label) / len(words) >= MAJORITY:
            strong = [_conf(w) for w in words if w.label == label]
            for w in words:
                if w.label != label and (w.label == MISC or _conf(w) < LOW_CONFIDENCE) and _plausible(w, label):
                    _flip(w, label, sum(strong) / len(strong))
                    changed += 1
    return changed


def relabel_shop_below_address(lines: Sequence[Sequence[Word]]) -> int:
    """A weak shop-name line sandwiched inside the address block is address."""
    changed = 0
    kinds = []
    for line in lines:
        labels = [w.label for w in line]
        kinds.append(max(set(labels), key=labels.count) if labels else None)
    for i in range(1, len(lines) - 1):
        if kinds[i] == SHOP_NAME and kinds[i - 1] == ADDRESS and kinds[i + 1] == ADDRESS:
            for w in lines[i]:
                if w.label == SHOP_NAME and _conf(w) < LOW_CONFIDENCE and _plausible(w, ADDRESS):
                    _flip(w, ADDRESS, HIGH_CONFIDENCE)
                    changed += 1
    return changed


def relabel_shop_inside_address(lines: Sequence[Sequence[Word]]) -> int:
    """Shop-name words on an address line, below a shop-name line, are address.

    "Petco" / "364 Randa11 Road": the classifier gives "364" to the name, whose line
    is already printed above; a name rarely continues inside the address line under it.
    The line must hold at least as many address words as shop-name words.
    """
    changed = 0
    seen_shop_line = False
    for line in lines:
        labels = [w.label for w in line]
        shops, addresses = labels.count(SHOP_NAME), labels.count(ADDRESS)
        if seen_shop_line and shops and addresses >= shops:
            strong = [_conf(w) for w in line if w.label == ADDRESS]
            for w in line:
                if w.label == SHOP_NAME and _plausible(w, ADDRESS):
                    _flip(w, ADDRESS, sum(strong) / len(strong))
                    changed += 1
        elif shops and shops * 2 > len(line):
            seen_shop_line = True
    return changed


def relabel(lines: Sequence[Sequence[Word]]) -> int:
    """Run every relabelling rule over a document's lines; returns the number of changed words."""
    changed = sum(relabel_line(line) for line in lines)
    return changed + relabel_shop_below_address(lines) + relabel_shop_inside_address(lines)
