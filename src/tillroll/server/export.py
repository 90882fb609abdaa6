"""Approved receipts -> annotated training data (`tillroll train --data annotated:DIR`).

Each approved receipt becomes `<id>.json` (a schema-v1 document) next to
`<id>.png` (the page image its boxes refer to); a multi-page receipt becomes one
pair per page, `<id>-p<n>`, because a training example is one page. Approval
means a person looked at every word, so every word label, field and line item
is written with `label_source`/`source` "human" and confidence 1, and words
nobody labelled are `misc`.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from .store import Receipt, ReviewStore, unlabelled_to_misc


def _humanise(document: dict[str, Any]) -> None:
    unlabelled_to_misc(document)
    for word in document.get("words", []):
        word["label_source"] = "human"
        word["label_confidence"] = 1.0
    for field in document.get("fields", {}).values():
        field["source"] = "human"
        field["confidence"] = 1.0
    for item in document.get("line_items", []):
        item["source"] = "human"
        item["confidence"] = 1.0


def _page_document(document: dict[str, Any], page: int) -> dict[str, Any]:
    """The words of one page, renumbered from 0, with the fields and items that lie wholly on it."""
    keep = [w for w in document["words"] if w.get("page", 0) == page]
    new_id = {w["id"]: i for i, w in enumerate(keep)}
    words = [{**w, "id": new_id[w["id"]], "page": 0} for w in keep]

    def remap(ids: list[int]) -> list[int] | None:
        return [new_id[i] for i in ids] if all(i in new_id for i in ids) else None

    fields = {}
    for name, f in document.get("fields", {}).items():
        ids = remap(f.get("word_ids", []))
        if ids is not None and ids:
            fields[name] = {**f, "word_ids": ids}
    items = []
    for item in document.get("line_items", []):
        ids = remap(item.get("word_ids", []))
        if ids is not None and ids:
            items.append({**item, "word_ids": ids})
    page_info = next(p for p in document["pages"] if p["index"] == page)
    return {
        **document,
        "pages": [{**page_info, "index": 0}],
        "words": words,
        "fields": fields,
        "line_items": items,
        "key_values": [],
        "checks": [],
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def export_receipt(store: ReviewStore, receipt: Receipt, out_dir: Path) -> list[Path]:
    """Write one approved receipt; returns the JSON files written."""
    document = json.loads(json.dumps(receipt.document))
    _humanise(document)
    review = {
        "id": receipt.id,
        "original_name": receipt.summary.original_name,
        "approved_by": receipt.summary.reviewed_by,
        "approved_at": receipt.summary.reviewed_at,
        "revision": receipt.summary.revision,
    }
    written = []
    pages = [p["index"] for p in document.get("pages", [])]
    for page in pages:
        stem = receipt.id if len(pages) == 1 else f"{receipt.id}-p{page}"
        page_doc = _page_document(document, page) if len(pages) > 1 else document
        page_doc["source"] = f"{stem}.png"
        page_doc["meta"] = {**page_doc.get("meta", {}), "review": {**review, "page": page}}
        shutil.copyfile(store.page_image_path(receipt.id, page), out_dir / f"{stem}.png")
        _write_json(out_dir / f"{stem}.json", page_doc)
        written.append(out_dir / f"{stem}.json")
    return written


def export_approved(store: ReviewStore, out_dir: str | Path) -> list[Path]:
    """Export every approved receipt of `store` into `out_dir` (created); returns the JSON files."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for receipt in store.approved():
        written.extend(export_receipt(store, receipt, out))
    return written
