"""Review API (`/api/...`) and the review UI pages (`/review`, `/static`).

The UI is plain HTML/JS/CSS in `static/` with no build step. It renders every
piece of receipt data with `textContent` (never `innerHTML`), so OCR text and
file names cannot inject markup; the Content-Security-Policy set by
`security.GuardMiddleware` forbids inline script as a second wall.
Label names, colours and keyboard keys come from `tillroll.labels` through
`GET /api/labels`; the JavaScript spells none of them.
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from ..config import PipelineConfig
from ..labels import ALL_FIELD_NAMES, ALL_LINE_ITEM_FIELDS, LABEL_COLOURS, LABELS, UNLABELLED_COLOUR
from .store import Receipt, ReviewStore, check_receipt_id

log = logging.getLogger("tillroll.server")
router = APIRouter(prefix="/api", tags=["review"])
ui_router = APIRouter(include_in_schema=False)

# Keyboard key that picks each label, in LABELS order (12 labels -> the number row).
LABEL_KEYS = "1234567890-="
_MEDIA_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "tiff": "image/tiff", "webp": "image/webp", "bmp": "image/bmp", "pdf": "application/pdf"}
# Far beyond any review store, far below SQLite's integer range.
MAX_LIST_OFFSET = 10**12
STATIC_DIR = Path(str(resources.files("tillroll.server") / "static"))


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


class FieldEdit(BaseModel):
    value: str | None = Field(None, description="normalised value; empty or null deletes the field")
    text: str | None = Field(None, description="the value as printed (default: the value)")
    word_ids: list[int] | None = None
    currency: str | None = None


class LineItemEdit(BaseModel):
    description: str | None = None
    quantity: str | None = None
    unit_price: str | None = None
    amount: str | None = None
    word_ids: list[int] | None = None


class KeyValueEdit(BaseModel):
    key: str | None = None
    value: str | None = None
    key_word_ids: list[int] | None = None
    value_word_ids: list[int] | None = None


class CorrectionRequest(BaseModel):
    author: str | None = Field(None, description="who made the correction (kept with it)")
    base_revision: int | None = Field(None, description="revision the edits were made on; a newer one gives 409")
    labels: dict[int, str] = Field(default_factory=dict, description="word id -> new label")
    fields: dict[str, FieldEdit | None] = Field(default_factory=dict, description="field name -> new value, null deletes")
    line_items: list[LineItemEdit] | None = Field(None, description="the complete new list of line items")
    key_values: list[KeyValueEdit] | None = Field(None, description="the complete new list of key->value pairs")


def _store(request: Request) -> ReviewStore:
    return request.app.state.store  # type: ignore[no-any-return]


def _receipt_json(store: ReviewStore, receipt: Receipt) -> dict[str, Any]:
    newer, older = store.neighbours(receipt.id, status=None)
    next_new = store.neighbours(receipt.id, status="new")[1]
    return {
        **receipt.summary.to_dict(),
        "media_format": receipt.media_format,
        "pages": [
            {"index": p["index"], "width": p["width"], "height": p["height"], "image": f"/api/receipts/{receipt.id}/pages/{p['index']}.png"}
            for p in receipt.document.get("pages", [])
        ],
        "original": f"/api/receipts/{receipt.id}/original",
        "document": receipt.document,
        "prediction": receipt.prediction,
        "neighbours": {"newer": newer, "older": older, "next_new": next_new},
    }


def add_to_entity_database(config: PipelineConfig, document: dict[str, Any]) -> dict[str, Any]:
    """Teach the rules' entity database the approved shop name and address."""
    try:
        from ..rules.entities import EntityDatabase
    except ImportError:
        return {"added": [], "note": "the entity database (tillroll.rules.entities) is not available in this install"}
    added = []
    db = EntityDatabase(config.resolved_entity_db())
    try:
        for kind in ("shop_name", "address"):
            value = (document.get("fields", {}).get(kind) or {}).get("value")
            if value:
                db.add(kind, value, source="human")
                added.append({"kind": kind, "text": value})
    finally:
        close = getattr(db, "close", None)
        if close:
            close()
    return {"added": added}


@router.get("/labels")
def labels() -> dict[str, Any]:
    """Labels in classifier order with their colours and keys, and the editable field names."""
    return {
        "labels": [{"name": name, "colour": _hex(LABEL_COLOURS[name]), "key": LABEL_KEYS[i]} for i, name in enumerate(LABELS)],
        "unlabelled_colour": _hex(UNLABELLED_COLOUR),
        # Every schema-v1 field and item column, invoices' too (labels.ALL_FIELD_NAMES).
        "fields": list(ALL_FIELD_NAMES),
        "line_item_fields": list(ALL_LINE_ITEM_FIELDS),
    }


@router.get("/receipts")
def list_receipts(
    request: Request,
    status: Annotated[str | None, Query(description="new or reviewed")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    # Bounded: SQLite integers stop at 2**63 - 1, and a larger offset was a 500 (OverflowError).
    offset: Annotated[int, Query(ge=0, le=MAX_LIST_OFFSET)] = 0,
) -> dict[str, Any]:
    store = _store(request)
    items, total = store.list(status=status or None, limit=limit, offset=offset)
    return {"receipts": [s.to_dict() for s in items], "total": total, "counts": store.counts(), "limit": limit, "offset": offset}


@router.get("/receipts/{receipt_id}")
def get_receipt(request: Request, receipt_id: str) -> dict[str, Any]:
    """The current (corrected) document, the original prediction, and where the page images are."""
    store = _store(request)
    return _receipt_json(store, store.get(receipt_id))


@router.get("/receipts/{receipt_id}/pages/{page}.png", response_class=FileResponse)
def page_image(request: Request, receipt_id: str, page: int) -> FileResponse:
    """The page image the word boxes refer to (PNG)."""
    return FileResponse(_store(request).page_image_path(receipt_id, page), media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/receipts/{receipt_id}/original", response_class=FileResponse)
def original_file(request: Request, receipt_id: str) -> FileResponse:
    """The uploaded file, byte for byte (downloaded, never rendered inline)."""
    store = _store(request)
    receipt = store.get(receipt_id)
    return FileResponse(
        store.original_path(receipt),
        media_type=_MEDIA_TYPES.get(receipt.media_format, "application/octet-stream"),
        filename=f"{receipt.id}-{receipt.original_file}",
        content_disposition_type="attachment",
    )


@router.get("/receipts/{receipt_id}/corrections")
def corrections(request: Request, receipt_id: str) -> dict[str, Any]:
    """Every save and approval: who, when, and what changed (with the model's prediction beside it)."""
    return {"corrections": _store(request).corrections(receipt_id)}


@router.put("/receipts/{receipt_id}")
def save(request: Request, receipt_id: str, body: CorrectionRequest) -> dict[str, Any]:
    """Save corrections (one transaction). An approved receipt that changes goes back to "new"."""
    store = _store(request)
    receipt, changes = store.correct(receipt_id, author=body.author, base_revision=body.base_revision, **_edits(body))
    return {**_receipt_json(store, receipt), "changes": changes}


@router.post("/receipts/{receipt_id}/approve")
def approve(request: Request, receipt_id: str, body: CorrectionRequest) -> dict[str, Any]:
    """Save any last edits and mark the receipt reviewed; its shop name and address join the entity database."""
    store = _store(request)
    receipt, changes = store.correct(receipt_id, author=body.author, base_revision=body.base_revision, approve=True, **_edits(body))
    service = request.app.state.service
    try:
        entities = add_to_entity_database(service.config, receipt.document)
        if entities["added"]:
            service.reload()
    except Exception as exc:  # the approval is committed; a failing side table must not hide that
        log.warning("approved %s but could not update the entity database: %s", receipt_id, exc)
        entities = {"added": [], "note": f"could not update the entity database: {exc}"}
    return {**_receipt_json(store, receipt), "changes": changes, "entities": entities}


@router.delete("/receipts/{receipt_id}", status_code=204)
def delete(request: Request, receipt_id: str) -> None:
    """Remove a receipt, its files and its corrections."""
    _store(request).delete(receipt_id)


def _edits(body: CorrectionRequest) -> dict[str, Any]:
    return {
        "labels": body.labels,
        "fields": {k: (None if v is None else v.model_dump(exclude_none=True)) for k, v in body.fields.items()},
        "line_items": None if body.line_items is None else [i.model_dump(exclude_none=True) for i in body.line_items],
        "key_values": None if body.key_values is None else [p.model_dump(exclude_none=True) for p in body.key_values],
    }


# ---------------------------------------------------------------------------
# pages


@ui_router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/review", status_code=303)


@ui_router.get("/review")
def list_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "list.html", media_type="text/html")


@ui_router.get("/review/{receipt_id}")
def receipt_page(receipt_id: str) -> FileResponse:
    check_receipt_id(receipt_id)
    return FileResponse(STATIC_DIR / "receipt.html", media_type="text/html")


def install_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
