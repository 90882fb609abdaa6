"""Generic key-value pairs ("Cashier: Ann", "Table 12", "Invoice No  881") into `doc.key_values`.

Beyond the fixed fields a receipt or form prints many labelled values. Three
layouts are recognised, in this order of confidence:

1. `Key: Value` on one line (the colon may be glued to either word);
2. a short key at the left and its value printed right-aligned on the same line
   after a wide gap ("CASHIER ........ MANIS");
3. a key ending with a colon alone on its line, with the value directly below it;
4. a short name followed by one identifier ("Table 12", "Check #1042").

A line is first cut at wide gaps, so "Server: Kim      Check #1042" gives two pairs.

Rows of the item table (words labelled as line-item columns) are left out: they
are items, not key-value pairs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..document import KeyValue, Word
from ..labels import ADDRESS, LINE_ITEM_LABELS, SHOP_NAME

_NOT_PAIRS = LINE_ITEM_LABELS | {SHOP_NAME, ADDRESS}

COLON_CONFIDENCE = 0.9
GAP_CONFIDENCE = 0.7
BELOW_CONFIDENCE = 0.6
NAMED_NUMBER_CONFIDENCE = 0.5
MAX_KEY_WORDS = 4
MAX_KEY_CHARS = 32
_COLUMN_TITLE = re.compile(r"(?i)^(?:ITEMS?|DESC\w*|QTY|QUANTITY|PRICE|U/?PRICE|UNIT|AMOUNT|AMT|TOTAL|RM|PRODUCT|S/PRICE|DISC|TAX|CODE)(?:\W|$)")
_KEY_OK = re.compile(r"^[A-Za-z][A-Za-z .#/&()'-]*[A-Za-z.#)]?$")


def _is_key(text: str) -> bool:
    text = text.strip().rstrip(":").strip()
    return (
        bool(text) and len(text) <= MAX_KEY_CHARS and len(text.split()) <= MAX_KEY_WORDS and bool(_KEY_OK.match(text)) and sum(c.isalpha() for c in text) >= 2
    )


def _clean(text: str) -> str:
    return " ".join(text.replace(" :", ":").split()).strip(" :.")


def _colon_pairs(line: Sequence[Word]) -> list[KeyValue]:
    for i, w in enumerate(line):
        if ":" not in w.text:
            continue
        before, _, after = w.text.partition(":")
        key_words = list(line[:i]) + ([w] if before.strip() else [])
        key = " ".join([x.text for x in line[:i]] + ([before] if before.strip() else []))
        value_words = ([w] if after.strip() else []) + list(line[i + 1 :])
        value = " ".join(([after] if after.strip() else []) + [x.text for x in line[i + 1 :]])
        if not _is_key(key) or not value.strip(" :.-"):
            return []
        rest: list[KeyValue] = []
        if ":" in value:  # "DATE: 25/12/2018 TIME: 8:13" holds two pairs; times contain colons too
            m = re.match(r"^(.*?\S)\s+([A-Za-z][A-Za-z .#/]{1,20}):", value)
            if m and not re.fullmatch(r"\d{1,2}", m.group(2).strip()):
                n = len(m.group(1).split())
                value = m.group(1)
                rest = _colon_pairs(value_words[n:])
                value_words = value_words[:n]
        return [KeyValue(_clean(key), _clean(value), [x.id for x in key_words], [x.id for x in value_words], COLON_CONFIDENCE), *rest]
    return []


def _gap_pair(line: Sequence[Word]) -> KeyValue | None:
    if len(line) < 2:
        return None
    boxes = [w.box for w in line]  # x0, y0, x1, y1
    gap, i = max((right[0] - left[2], k) for k, (left, right) in enumerate(zip(boxes, boxes[1:])))
    heights = sorted(b[3] - b[1] for b in boxes)
    if gap < 2.5 * heights[len(heights) // 2]:
        return None
    key = " ".join([w.text for w in line[: i + 1]]).rstrip(". ")
    value = " ".join([w.text for w in line[i + 1 :]])
    titles = _COLUMN_TITLE.search(value) or (_COLUMN_TITLE.search(key) and not any(c.isdigit() for c in value))
    if not _is_key(key) or not value.strip(" .:") or titles:
        return None  # "DESCRIPTION ... AMOUNT" are column titles, not a pair
    return KeyValue(_clean(key), _clean(value), [w.id for w in line[: i + 1]], [w.id for w in line[i + 1 :]], GAP_CONFIDENCE)


def _below_pair(line: Sequence[Word], next_line: Sequence[Word] | None) -> KeyValue | None:
    if not next_line or not line[-1].text.endswith(":"):
        return None
    text = " ".join([w.text for w in line])
    if not _is_key(text):
        return None
    x0, x1 = line[0].x0, line[-1].x1
    below = [w for w in next_line if w.x1 > x0 and w.x0 < x1 + (x1 - x0)]
    if not below:
        return None
    return KeyValue(_clean(text), _clean(" ".join([w.text for w in below])), [w.id for w in line], [w.id for w in below], BELOW_CONFIDENCE)


_LABELLED_NUMBER = re.compile(r"^(?:#|NO\.?|N°)?\s?[A-Z]{0,3}\d[\w/-]*$", re.IGNORECASE)
_MONEY_LIKE = re.compile(r"^[-$€£]?\d+[.,]\d{2}$")


def _segments(line: Sequence[Word]) -> list[list[Word]]:
    """Split a line at wide gaps: "Server: Kim        Check #1042" is two segments."""
    if not line:
        return []
    heights = sorted(w.height for w in line)
    gap_needed = 2.5 * heights[len(heights) // 2]
    out = [[line[0]]]
    for prev, w in zip(line, line[1:]):
        if w.x0 - prev.x1 >= gap_needed:
            out.append([w])
        else:
            out[-1].append(w)
    return out


def _named_number(segment: Sequence[Word]) -> KeyValue | None:
    """ "Table 12", "Check #1042", "Invoice No 881": a short name followed by one identifier."""
    if len(segment) < 2 or len(segment) > 4:
        return None
    *key_words, value_word = segment
    if not _LABELLED_NUMBER.match(value_word.text) or _MONEY_LIKE.match(value_word.text):
        return None
    key = " ".join([w.text for w in key_words])
    if not _is_key(key):
        return None
    return KeyValue(_clean(key), _clean(value_word.text), [w.id for w in key_words], [value_word.id], NAMED_NUMBER_CONFIDENCE)


def extract_key_values(lines: Sequence[Sequence[Word]]) -> list[KeyValue]:
    out: list[KeyValue] = []
    used_below: set[int] = set()
    for i, line in enumerate(lines):
        if i in used_below or not line:
            continue
        if sum(1 for w in line if w.label in _NOT_PAIRS) * 2 > len(line):
            continue  # item rows, names and addresses are fields of their own
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        below = _below_pair(line, nxt)
        if below:
            out.append(below)
            used_below.add(i + 1)
            continue
        if any(":" in w.text for w in line):
            segment_pairs: list[KeyValue] = []
            for seg in _segments(line):
                segment_pairs += _colon_pairs(seg) or ([p] if (p := _named_number(seg)) else [])
            if segment_pairs:
                out += segment_pairs
                continue
        pair = _gap_pair(line) or _named_number(line)
        if pair:
            out.append(pair)
    return out
