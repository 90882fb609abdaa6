"""WildReceipt (SDMGR, Sun et al. 2021): receipt photos with labelled text lines.

    DIR/class_list.txt   one class name per row ("Store_name_value", ...; "0 Ignore" also accepted)
    DIR/train.txt        one JSON object per row: {"file_name", "height", "width",
                         "annotations": [{"box": [8 coords], "text", "label": class index}]}
    DIR/test.txt         (optional, same format)
    DIR/<file_name>      the images

Line texts often lack spaces ("KOREANRESTAURANT"); they are kept as printed,
and a line that does have spaces is split into words with proportional boxes.
Labels map onto the 12 classes through `labels.WILDRECEIPT_CLASS_TO_LABEL`;
fields through `WILDRECEIPT_CLASS_TO_FIELD`. Line items are rebuilt from the
Prod_item / Prod_quantity / Prod_price lines that share a printed row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ...document import LineItem
from ...errors import DataError
from ...labels import WILDRECEIPT_CLASS_TO_FIELD, WILDRECEIPT_CLASS_TO_LABEL
from .base import Example, build_reference, human_field, image_size, quad_to_box, split_line_into_words

ANNOTATED_LABELS = frozenset(WILDRECEIPT_CLASS_TO_LABEL.values())
ANNOTATION_FILES = ("train.txt", "test.txt")
# Text fields are the whole run of their lines (top to bottom, left to right); single-value
# fields take the first printed one.
_JOINED_FIELDS = frozenset({"shop_name", "address"})


def _without_repeats(lines: list[_Line]) -> list[_Line]:
    """Drop a line whose text repeats one kept above it (case, spaces and punctuation aside).

    A name or address printed twice (logo and footer, or a name above its own
    "NAME-BRANCH" line) is annotated box by box; the field is still the name once, and
    the extractor reports it once.
    """
    from ..gold.values import canon

    kept: list[_Line] = []
    seen: list[str] = []
    for ln in lines:
        key = canon(ln.text)
        # Containment only for longer texts: a short box ("CA") may well recur inside another.
        if key and any(key == earlier or (len(key) >= 6 and key in earlier) for earlier in seen):
            continue
        kept.append(ln)
        seen.append(key)
    return kept


def read_class_list(path: Path) -> list[str]:
    if not path.exists():
        raise DataError(f"{path} not found; a WildReceipt folder holds class_list.txt next to train.txt")
    names = []
    for row in path.read_text(encoding="utf-8").splitlines():
        parts = row.split()
        if parts:
            names.append(parts[-1])  # "0 Ignore" and "Ignore" both give "Ignore"
    unknown = [n for n in names if n not in WILDRECEIPT_CLASS_TO_LABEL]
    if unknown:
        raise DataError(f"{path}: classes {unknown} have no mapping in tillroll.labels.WILDRECEIPT_CLASS_TO_LABEL")
    return names


class _Line:
    __slots__ = ("index", "text", "box", "cls", "word_ids")

    def __init__(self, index: int, text: str, box: tuple[float, float, float, float], cls: str) -> None:
        self.index, self.text, self.box, self.cls = index, text, box, cls
        self.word_ids: list[int] = []

    @property
    def cy(self) -> float:
        return (self.box[1] + self.box[3]) / 2

    def same_row(self, other: _Line) -> bool:
        overlap = min(self.box[3], other.box[3]) - max(self.box[1], other.box[1])
        return overlap > 0.4 * min(self.box[3] - self.box[1], other.box[3] - other.box[1])


def _line_items(lines: list[_Line]) -> list[LineItem]:
    """Group item, quantity and price lines of one printed row into line items."""
    from ..gold.values import normalise_value

    items = sorted((ln for ln in lines if ln.cls == "Prod_item_value"), key=lambda ln: (ln.cy, ln.box[0]))
    parts: dict[int, dict[str, _Line]] = {id(it): {} for it in items}
    for ln in lines:
        slot = {"Prod_quantity_value": "quantity", "Prod_price_value": "amount"}.get(ln.cls)
        if slot is None or not items:
            continue
        row = [it for it in items if it.same_row(ln) and slot not in parts[id(it)]]
        if not row:
            # Two-line items print the price under the description: the nearest item above.
            row = [it for it in items if it.cy <= ln.cy and slot not in parts[id(it)]][-1:]
        if row:
            target = min(row, key=lambda it: abs(it.cy - ln.cy))
            parts[id(target)][slot] = ln
    out = []
    for it in items:
        p = parts[id(it)]
        quantity = normalise_value("quantity", p["quantity"].text)[0] if "quantity" in p else None
        amount = normalise_value("amount", p["amount"].text)[0] if "amount" in p else None
        ids = sorted(it.word_ids + [i for ln in p.values() for i in ln.word_ids])
        out.append(LineItem(description=it.text, quantity=quantity, amount=amount, word_ids=ids, confidence=1.0, source="human"))
    return out


def read_record(record: dict[str, Any], classes: list[str], root: Path, where: str) -> Example:
    from ..gold.values import normalise_value

    try:
        file_name = record["file_name"]
        annotations = record["annotations"]
    except KeyError as exc:
        raise DataError(f"{where}: record lacks {exc}; expected file_name and annotations") from exc
    image_path = root / file_name
    if not image_path.exists():
        raise DataError(f"{where}: image {image_path} not found; keep the images under the folder of train.txt")
    lines: list[_Line] = []
    triples = []
    owners = []
    for i, ann in enumerate(annotations):
        try:
            cls = classes[int(ann["label"])]
            box = quad_to_box(ann["box"])
            text = str(ann["text"])
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise DataError(f"{where}: annotation {i} is malformed ({exc!r})") from exc
        line = _Line(i, text, box, cls)
        lines.append(line)
        pieces = split_line_into_words(text, box) if " " in text.strip() else ([(text.strip(), box)] if text.strip() else [])
        for token, token_box in pieces:
            triples.append((token, token_box, WILDRECEIPT_CLASS_TO_LABEL[cls]))
            owners.append(line)
    width, height = image_size(image_path)
    # build_reference reorders words; remember which line each word object came from by its box and text.
    reference = build_reference(str(image_path), width, height, triples)
    position = {(t, b): ln for (t, b, _), ln in zip(triples, owners)}
    for w in reference.words:
        ln = position.get((w.text, w.box))
        if ln is not None:
            ln.word_ids.append(w.id)
    for cls, field_name in WILDRECEIPT_CLASS_TO_FIELD.items():
        field_lines = sorted((ln for ln in lines if ln.cls == cls and ln.text.strip()), key=lambda ln: (ln.cy, ln.box[0]))
        if not field_lines:
            continue
        chosen = _without_repeats(field_lines) if field_name in _JOINED_FIELDS else field_lines[:1]
        text = " ".join(ln.text.strip() for ln in chosen)
        value, currency = normalise_value(field_name, text)
        reference.fields[field_name] = human_field(text, value, sorted(i for ln in chosen for i in ln.word_ids), currency)
    reference.line_items = _line_items(lines)
    doc_id = Path(file_name).stem
    reference.meta.update({"dataset": "wildreceipt", "id": doc_id})
    return Example(
        id=doc_id,
        dataset="wildreceipt",
        image_path=image_path,
        reference=reference,
        annotated_labels=ANNOTATED_LABELS,
        annotated_fields=frozenset(WILDRECEIPT_CLASS_TO_FIELD.values()),
        spaced_text=False,
    )


def iter_wildreceipt(path: str | Path, keep: Callable[[str], bool] = lambda doc_id: True) -> Iterator[Example]:
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"WildReceipt folder {root} does not exist; pass the folder holding class_list.txt and train.txt")
    classes = read_class_list(root / "class_list.txt")
    files = [root / name for name in ANNOTATION_FILES if (root / name).exists()]
    if not files:
        raise DataError(f"no {' or '.join(ANNOTATION_FILES)} in {root}")
    for ann_file in files:
        for row_number, row in enumerate(ann_file.read_text(encoding="utf-8").splitlines(), 1):
            if not row.strip():
                continue
            where = f"{ann_file}:{row_number}"
            try:
                record = json.loads(row)
            except ValueError as exc:
                raise DataError(f"{where}: not a JSON object ({exc})") from exc
            if isinstance(record, dict) and not keep(Path(str(record.get("file_name", ""))).stem):
                continue
            yield read_record(record, classes, root, where)
