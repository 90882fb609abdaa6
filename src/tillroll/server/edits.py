"""A reviewer's edits applied to a schema-v1 document: labels, fields, line items and key-value pairs (pure functions).

`tillroll.server.store.ReviewStore` stores what these return; they check every
edit and raise `DataError` naming the first bad one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..document import Document
from ..errors import DataError
from ..labels import ALL_FIELD_NAMES, ALL_LINE_ITEM_FIELDS, LABEL_TO_ID

# The longest text a reviewer may enter for one value.
MAX_VALUE_CHARS = 2000


def _field_value(doc: Mapping[str, Any], name: str) -> str | None:
    f = doc.get("fields", {}).get(name)
    return None if f is None else f.get("value")


def _item_key(item: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(item.get(k) for k in ALL_LINE_ITEM_FIELDS)


def _clean_text(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, int, float)):
        raise DataError(f"{what} must be a string or null")
    text = str(value).strip()
    if len(text) > MAX_VALUE_CHARS:
        raise DataError(f"{what} is longer than {MAX_VALUE_CHARS} characters")
    return text or None


def apply_edits(
    document: Mapping[str, Any],
    prediction: Mapping[str, Any],
    *,
    labels: Mapping[int, str] | None = None,
    fields: Mapping[str, Mapping[str, Any] | None] | None = None,
    line_items: Sequence[Mapping[str, Any]] | None = None,
    key_values: Sequence[Mapping[str, Any]] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (edited document, changes) without touching the inputs.

    - `labels`: word id -> new label; the word becomes `label_source="human"`, confidence 1.
    - `fields`: field name -> {"value", optional "text", "word_ids", "currency"}, or None to delete it.
    - `line_items`: the complete new list of line items (rows left as they were keep their source).
    - `key_values`: the complete new list of key->value pairs ({"key", "value", "key_word_ids",
      "value_word_ids"}); a pair left as it was keeps its confidence, a new or changed one is
      the reviewer's (confidence 1). Stored like line items: predicted, before and after.

    `changes` lists only what really changed, each entry with the model's
    `predicted` value beside `before` and `after`. Bad ids, labels or field
    names raise `DataError` (HTTP 422) naming the offending value.
    """
    doc = json.loads(json.dumps(document))  # deep copy, JSON types only
    words = doc.get("words", [])
    predicted_words = {w["id"]: w for w in prediction.get("words", [])}
    changes: dict[str, Any] = {"labels": [], "fields": [], "line_items": None, "key_values": None}

    for raw_id, label in (labels or {}).items():
        try:
            word_id = int(raw_id)
        except (TypeError, ValueError):
            raise DataError(f"word id {raw_id!r} is not an integer") from None
        if not 0 <= word_id < len(words) or words[word_id].get("id") != word_id:
            raise DataError(f"there is no word {word_id} on this receipt (it has {len(words)} words)")
        if label not in LABEL_TO_ID:
            raise DataError(f"unknown label {label!r}; expected one of: {', '.join(LABEL_TO_ID)}")
        word = words[word_id]
        if word.get("label") == label and word.get("label_source") == "human":
            continue
        # A label set to what the model already said is still a change: a person confirmed it.
        before = word.get("label")
        word.update(label=label, label_confidence=1.0, label_source="human")
        changes["labels"].append(
            {"word_id": word_id, "text": word.get("text"), "predicted": predicted_words.get(word_id, {}).get("label"), "before": before, "after": label}
        )

    doc_fields: dict[str, Any] = doc.setdefault("fields", {})
    for name, edit in (fields or {}).items():
        if name not in ALL_FIELD_NAMES:
            raise DataError(f"unknown field {name!r}; expected one of: {', '.join(ALL_FIELD_NAMES)}")
        before = _field_value(doc, name)
        value = None if edit is None else _clean_text(edit.get("value"), f"field {name}")
        if edit is None or value is None:  # no edit (None) clears the field, as an empty value does
            if name in doc_fields:
                del doc_fields[name]
                changes["fields"].append({"field": name, "predicted": _field_value(prediction, name), "before": before, "after": None})
            continue
        old = doc_fields.get(name, {})
        word_ids = edit.get("word_ids", old.get("word_ids", []))
        if not isinstance(word_ids, list) or not all(isinstance(i, int) and 0 <= i < len(words) for i in word_ids):
            raise DataError(f"field {name}: word_ids must be a list of word ids of this receipt")
        text = _clean_text(edit.get("text"), f"field {name} text") or (old.get("text") if value == before else None) or value
        new = {"text": text, "value": value, "confidence": 1.0, "word_ids": list(word_ids), "source": "human"}
        currency = _clean_text(edit.get("currency", old.get("currency")), f"field {name} currency")
        if currency:
            new["currency"] = currency
        if old == new:  # already confirmed by a person with this very content
            continue
        doc_fields[name] = new
        changes["fields"].append({"field": name, "predicted": _field_value(prediction, name), "before": before, "after": value})

    if line_items is not None:
        old_items = doc.get("line_items", [])
        new_items: list[dict[str, Any]] = []
        for index, item in enumerate(line_items):
            if not isinstance(item, Mapping):
                raise DataError(f"line item {index} must be an object")
            row = {k: _clean_text(item.get(k), f"line item {index} {k}") for k in ALL_LINE_ITEM_FIELDS}
            if not any(row.values()):
                continue  # an emptied row is a deleted row
            old = old_items[index] if index < len(old_items) else None
            if old is not None and _item_key(old) == _item_key(row):
                new_items.append(old)
                continue
            word_ids = item.get("word_ids", old.get("word_ids", []) if old else [])
            if not isinstance(word_ids, list) or not all(isinstance(i, int) and 0 <= i < len(words) for i in word_ids):
                raise DataError(f"line item {index}: word_ids must be a list of word ids of this receipt")
            new_items.append({**{k: v for k, v in row.items() if v is not None}, "word_ids": list(word_ids), "confidence": 1.0, "source": "human"})
        if [_item_key(x) for x in new_items] != [_item_key(x) for x in old_items]:
            changes["line_items"] = {"predicted": prediction.get("line_items", []), "before": old_items, "after": new_items}
        doc["line_items"] = new_items

    if key_values is not None:
        old_pairs = doc.get("key_values", [])
        new_pairs = [_pair_edit(index, pair, old_pairs, len(words)) for index, pair in enumerate(key_values)]
        kept_pairs = [p for p in new_pairs if p is not None]
        if [_pair_key(x) for x in kept_pairs] != [_pair_key(x) for x in old_pairs]:
            changes["key_values"] = {"predicted": prediction.get("key_values", []), "before": old_pairs, "after": kept_pairs}
        doc["key_values"] = kept_pairs

    Document.from_dict(doc)  # the edited document must still be valid schema v1
    return doc, changes


def _pair_key(pair: Mapping[str, Any]) -> tuple[Any, ...]:
    return (pair.get("key"), pair.get("value"), tuple(pair.get("key_word_ids", [])), tuple(pair.get("value_word_ids", [])))


def _pair_edit(index: int, pair: Any, old_pairs: Sequence[Mapping[str, Any]], n_words: int) -> dict[str, Any] | None:
    """One reviewed key->value pair in schema v1 form; None for an emptied row (a deleted pair)."""
    if not isinstance(pair, Mapping):
        raise DataError(f"key-value pair {index} must be an object")
    key = _clean_text(pair.get("key"), f"key-value pair {index} key")
    value = _clean_text(pair.get("value"), f"key-value pair {index} value")
    if key is None and value is None:
        return None
    ids = {}
    for side in ("key_word_ids", "value_word_ids"):
        word_ids = pair.get(side) or []
        if not isinstance(word_ids, list) or not all(isinstance(i, int) and 0 <= i < n_words for i in word_ids):
            raise DataError(f"key-value pair {index}: {side} must be a list of word ids of this receipt")
        ids[side] = list(word_ids)
    new = {"key": key or "", "value": value or "", **ids}
    for old in old_pairs:
        if _pair_key(old) == _pair_key(new):
            return dict(old)  # unchanged: keeps the model's confidence
    return {**new, "confidence": 1.0}


def has_changes(changes: Mapping[str, Any]) -> bool:
    return bool(changes["labels"] or changes["fields"] or changes["line_items"] is not None or changes.get("key_values") is not None)
