"""SROIE 2019 (ICDAR scanned receipts): task-1 line boxes plus task-3 entity strings.

Layout (the shared copy and the original release both work):

    DIR/box/<id>.txt       x1,y1,x2,y2,x3,y3,x4,y4,text   one printed line per row
    DIR/entities/<id>.txt  {"company": ..., "date": ..., "address": ..., "total": ...}
    DIR/images/<id>.jpg

(`key/` is accepted for `entities/`, `img/` for `images/`, and all three may
share one folder.) SROIE labels no words: lines are split into words with
boxes estimated from character offsets, then the words that spell each entity
are located (`tillroll.io.gold.align.locate_entities`) and labelled; every
other word is misc. Only shop_name, address, date_time and total are
annotated, which `Example.annotated_labels` records.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from ...errors import DataError
from ...labels import MISC, SROIE_ENTITY_TO_FIELD, SROIE_ENTITY_TO_LABEL
from .base import Example, build_reference, human_field, image_size, quad_to_box, split_line_into_words

ANNOTATED_LABELS = frozenset(SROIE_ENTITY_TO_LABEL.values()) | {MISC}
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def _first_dir(root: Path, *names: str) -> Path:
    for name in names:
        if (root / name).is_dir():
            return root / name
    return root


def resolve_root(path: Path) -> Path:
    """Accept both `.../sroie/train` and `.../sroie` (which holds `train/`)."""
    if not path.is_dir():
        raise DataError(f"SROIE folder {path} does not exist; pass the folder that holds box/, entities/ and images/")
    if not (path / "box").is_dir() and (path / "train" / "box").is_dir():
        return path / "train"
    return path


def read_box_file(path: Path) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(text, box) per annotated line; the text keeps its commas (only 8 coordinates are split off)."""
    lines = []
    for row_number, row in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not row.strip():
            continue
        parts = row.split(",", 8)
        if len(parts) < 9:
            raise DataError(f"{path}:{row_number}: expected 8 coordinates and a text, got {row!r}; is this a SROIE task-1 box file?")
        try:
            box = quad_to_box(float(v) for v in parts[:8])
        except ValueError as exc:
            raise DataError(f"{path}:{row_number}: coordinates are not numbers: {row!r}") from exc
        lines.append((parts[8].strip(), box))
    return lines


def read_entities(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except ValueError as exc:
        raise DataError(f"{path}: not JSON ({exc}); SROIE entity files hold one JSON object") from exc
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected a JSON object with company, date, address and total")
    return {k: str(v) for k, v in data.items() if k in SROIE_ENTITY_TO_LABEL and v is not None}


def read_example(doc_id: str, box_path: Path, entities_path: Path | None, image_path: Path) -> Example:
    from ..gold.align import label_by_entities
    from ..gold.values import normalise_value

    width, height = image_size(image_path)
    words = [(token, token_box, MISC) for text, box in read_box_file(box_path) for token, token_box in split_line_into_words(text, box)]
    reference = build_reference(str(image_path), width, height, words)
    entities = read_entities(entities_path) if entities_path and entities_path.exists() else {}
    locations = label_by_entities(reference, entities)
    for key, text in entities.items():
        field_name = SROIE_ENTITY_TO_FIELD[key]
        value, currency = normalise_value(field_name, text, country="MY")
        loc = locations.get(key)
        reference.fields[field_name] = human_field(text, value, loc.word_ids if loc else [], currency if currency else None)
    reference.meta.update({"dataset": "sroie", "id": doc_id})
    return Example(
        id=doc_id,
        dataset="sroie",
        image_path=image_path,
        reference=reference,
        annotated_labels=ANNOTATED_LABELS,
        annotated_fields=frozenset(SROIE_ENTITY_TO_FIELD.values()),
        case_sensitive_text=False,
        entities=entities,
        located={k: loc.located for k, loc in locations.items()},
    )


def iter_sroie(path: str | Path, keep: Callable[[str], bool] = lambda doc_id: True) -> Iterator[Example]:
    root = resolve_root(Path(path))
    box_dir = _first_dir(root, "box")
    entity_dir = _first_dir(root, "entities", "key")
    image_dir = _first_dir(root, "images", "img")
    box_files = sorted(p for p in box_dir.glob("*.txt") if p.parent != entity_dir or box_dir == entity_dir)
    if not box_files:
        raise DataError(f"no SROIE box files (*.txt) under {box_dir}; pass the folder that holds box/, entities/ and images/")
    for box_path in box_files:
        doc_id = box_path.stem
        if not keep(doc_id):
            continue  # filtered before parsing: reading a split costs only that split
        image_path = next((image_dir / f"{doc_id}{s}" for s in _IMAGE_SUFFIXES if (image_dir / f"{doc_id}{s}").exists()), None)
        if image_path is None:
            raise DataError(f"SROIE image for {doc_id} not found in {image_dir} (looked for .jpg/.jpeg/.png)")
        entities_path: Path | None = entity_dir / f"{doc_id}.txt"
        if entity_dir == box_dir:
            entities_path = None  # one folder: files named alike cannot hold both
        yield read_example(doc_id, box_path, entities_path, image_path)
