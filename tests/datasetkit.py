"""Tiny datasets in each reader's native format, with images rendered on the fly.

The annotation files live in tests/data/datasets/<kind>/ (hand-written, small,
reviewable); `materialise(kind, tmp_path)` copies them and draws every
annotated text inside its box on a white page, so readers, OCR and alignment
run on real files without any binary in the repository.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from PIL import Image, ImageDraw

from samplekit import font

DATA = Path(__file__).resolve().parent / "data" / "datasets"


def _draw(path: Path, size: tuple[int, int], items: list[tuple[str, tuple[float, float, float, float]]]) -> None:
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    for text, (x0, y0, _x1, y1) in items:
        f = font(max(8, int((y1 - y0) * 0.8)))
        draw.text((x0, y0), text, fill="black", font=f)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)


def _box(values: list[float]) -> tuple[float, float, float, float]:
    xs, ys = values[0::2], values[1::2]
    return (min(xs), min(ys), max(xs), max(ys))


def materialise(kind: str, tmp_path: Path) -> Path:
    """Copy the fixture of `kind` under tmp_path and render its images; returns the dataset folder."""
    root = tmp_path / kind
    shutil.copytree(DATA / kind, root)
    if kind == "sroie":
        for box_file in sorted((root / "box").glob("*.txt")):
            items = []
            for row in box_file.read_text().splitlines():
                parts = row.split(",", 8)
                items.append((parts[8], _box([float(v) for v in parts[:8]])))
            _draw(root / "images" / f"{box_file.stem}.jpg", (500, 300), items)
    elif kind == "wildreceipt":
        for row in (root / "train.txt").read_text().splitlines():
            rec = json.loads(row)
            items = [(a["text"], _box(a["box"])) for a in rec["annotations"]]
            _draw(root / rec["file_name"], (rec["width"], rec["height"]), items)
    elif kind == "funsd":
        for ann in sorted((root / "annotations").glob("*.json")):
            form = json.loads(ann.read_text())["form"]
            items = [(w["text"], tuple(w["box"])) for e in form for w in e["words"]]
            _draw(root / "images" / f"{ann.stem}.png", (300, 200), items)
    elif kind == "annotated":
        for ann in sorted(root.glob("*.json")):
            doc = json.loads(ann.read_text())
            page = doc["pages"][0]
            _draw(root / doc["source"], (page["width"], page["height"]), [(w["text"], tuple(w["box"])) for w in doc["words"]])
    else:  # pragma: no cover - test helper misuse
        raise ValueError(kind)
    return root
