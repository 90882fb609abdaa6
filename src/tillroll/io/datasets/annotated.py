"""The project's own annotations: schema-v1 JSON next to its image.

The synthetic generator and the review UI write, per document, `<id>.json` (a
schema-v1 document whose words carry `label` with `label_source: "human"`) and
the image, named by the JSON's `source` (relative to the folder, or just its
file name) or `<id>.png|jpg|jpeg|webp`. Such a folder is read as-is: the JSON
is the reference. Words without a label, or labelled by a model or a rule, are
not gold: a file with any of them is refused with the word named, so that an
unreviewed prediction can never pass as ground truth.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from ...document import Document
from ...errors import DataError
from ...labels import ALL_FIELD_NAMES, FIELD_NAMES, LABEL_TO_ID, LABELS
from .base import Example

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp", ".pdf")


def _image_for(json_path: Path, doc: Document) -> Path:
    folder = json_path.parent
    if doc.source:
        for candidate in (folder / doc.source, folder / Path(doc.source).name):
            if candidate.is_file():
                return candidate
    for suffix in _IMAGE_SUFFIXES:
        candidate = json_path.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    raise DataError(f"{json_path}: no image found (looked for its 'source' {doc.source!r} and {json_path.stem}.png/.jpg); keep the image next to its JSON")


def read_example(json_path: Path) -> Example:
    try:
        data = json.loads(json_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DataError(f"{json_path}: not JSON ({exc})") from exc
    doc = Document.from_dict(data)
    for w in doc.words:
        if w.label not in LABEL_TO_ID:
            raise DataError(f"{json_path}: word {w.id} ({w.text!r}) has label {w.label!r}; every word needs one of {', '.join(LABELS)}")
        if w.label_source != "human":
            raise DataError(f"{json_path}: word {w.id} ({w.text!r}) is labelled by {w.label_source!r}, not a human; review it before using the file as gold")
    image_path = _image_for(json_path, doc)
    doc.source = str(image_path)
    for page in doc.pages:
        page.text_source = "annotation"
    doc.meta.setdefault("ocr", "gold")
    doc.meta.update({"dataset": "annotated", "id": json_path.stem})
    declared = data.get("meta", {}).get("annotated_labels")
    annotated = frozenset(declared) if declared else frozenset(LABELS)
    # Which fields the reference speaks for: declared in meta (the invoice generator names
    # every schema field), else the receipt fields, plus the invoice ones for an invoice.
    declared_fields = data.get("meta", {}).get("annotated_fields")
    if declared_fields:
        fields = frozenset(declared_fields)
    elif doc.document_type != "receipt":
        fields = frozenset(ALL_FIELD_NAMES)
    else:
        fields = frozenset(FIELD_NAMES)
    return Example(id=json_path.stem, dataset="annotated", image_path=image_path, reference=doc, annotated_labels=annotated, annotated_fields=fields)


def iter_annotated(path: str | Path, keep: Callable[[str], bool] = lambda doc_id: True) -> Iterator[Example]:
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"annotation folder {root} does not exist; pass a folder of <id>.json files with their images")
    files = sorted(root.glob("*.json"))
    if not files:
        forms = [sub.name for sub in (root / "image", root / "pdf") if any(sub.glob("*.json"))]
        hint = f"; `tillroll synth --form both` writes one dataset per form: use {' or '.join(str(root / f) for f in forms)}" if forms else ""
        raise DataError(f"no <id>.json annotation files in {root}{hint}")
    for json_path in files:
        if keep(json_path.stem):
            yield read_example(json_path)
