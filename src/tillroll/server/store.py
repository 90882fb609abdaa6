"""The review store: receipts waiting for a human, and every correction made to them.

One SQLite database (WAL journal, `synchronous=FULL`) plus a folder of files
under the review data directory:

    <data_dir>/review.sqlite3
    <data_dir>/files/<receipt id>/original.<ext>     the upload, byte for byte
    <data_dir>/files/<receipt id>/page-<n>.png       the page images the word boxes refer to

Receipt ids are random UUIDs (hex) made here; nothing a client sends is ever used
as a path. The machine prediction is stored once per receipt and never changed;
each correction row records who changed what and when, and every changed word,
field or line item carries its predicted value next to the new one, so
training and audits can always compare the model's answer with the human's.

Every write is one transaction (`BEGIN IMMEDIATE` ... `COMMIT`): when a save
returns, it is on disk; a crash (even SIGKILL) between two saves loses neither.
"""

from __future__ import annotations

import builtins
import json
import re
import shutil
import sqlite3
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..document import Document
from ..errors import ConflictError, DataError, ReceiptNotFoundError
from ..labels import FIELD_NAMES, LABEL_TO_ID, LINE_ITEM_FIELDS, MISC

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

STATUSES = ("new", "reviewed")
SCHEMA_VERSION = 1
MAX_AUTHOR_CHARS = 80
MAX_VALUE_CHARS = 2000

_ID_RE = re.compile(r"^[0-9a-f]{32}$")
# Extensions for the stored original, chosen from the sniffed format (never the client's name).
_EXTENSIONS = {"jpeg": "jpg", "png": "png", "tiff": "tif", "webp": "webp", "bmp": "bmp", "pdf": "pdf"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS receipts (
    id              TEXT PRIMARY KEY,
    original_name   TEXT NOT NULL,
    media_format    TEXT NOT NULL,
    original_file   TEXT NOT NULL,
    page_count      INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('new', 'reviewed')),
    revision        INTEGER NOT NULL DEFAULT 0,
    prediction_json TEXT NOT NULL,
    document_json   TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    reviewed_by     TEXT,
    reviewed_at     TEXT
);
CREATE INDEX IF NOT EXISTS receipts_by_status ON receipts (status, created_at);
CREATE TABLE IF NOT EXISTS corrections (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    receipt_id    TEXT NOT NULL REFERENCES receipts (id) ON DELETE CASCADE,
    revision      INTEGER NOT NULL,
    action        TEXT NOT NULL CHECK (action IN ('save', 'approve')),
    author        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    changes_json  TEXT NOT NULL,
    document_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS corrections_by_receipt ON corrections (receipt_id, id);
"""


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check_receipt_id(receipt_id: str) -> str:
    """Ids are 32 lowercase hex digits; anything else (e.g. `../x`) is refused before any lookup."""
    if not isinstance(receipt_id, str) or not _ID_RE.match(receipt_id):
        raise ReceiptNotFoundError(f"no receipt {receipt_id!r}: ids are 32 hex digits as returned by the upload")
    return receipt_id


def clean_author(author: str | None) -> str:
    """Reviewer names are free text for the record; keep them short and printable."""
    text = " ".join(str(author or "").split())[:MAX_AUTHOR_CHARS]
    return text or "anonymous"


def clean_display_name(name: str | None) -> str:
    """A client's file name, reduced to something safe to store and show (never used as a path)."""
    base = re.split(r"[\\/]", str(name or ""))[-1]
    base = "".join(ch for ch in base if ch.isprintable())[:200].strip()
    return base or "upload"


@dataclass(frozen=True)
class ReceiptSummary:
    id: str
    original_name: str
    status: str
    revision: int
    page_count: int
    created_at: str
    updated_at: str
    reviewed_by: str | None
    reviewed_at: str | None
    shop_name: str | None
    total: str | None
    word_count: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Receipt:
    summary: ReceiptSummary
    media_format: str
    original_file: str
    prediction: dict[str, Any]
    document: dict[str, Any]

    @property
    def id(self) -> str:
        return self.summary.id


# ---------------------------------------------------------------------------
# applying a reviewer's edits to a schema-v1 document (pure functions)


def _field_value(doc: Mapping[str, Any], name: str) -> str | None:
    f = doc.get("fields", {}).get(name)
    return None if f is None else f.get("value")


def _item_key(item: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(item.get(k) for k in LINE_ITEM_FIELDS)


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
        if name not in FIELD_NAMES:
            raise DataError(f"unknown field {name!r}; expected one of: {', '.join(FIELD_NAMES)}")
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
            row = {k: _clean_text(item.get(k), f"line item {index} {k}") for k in LINE_ITEM_FIELDS}
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


# ---------------------------------------------------------------------------
# the store


class ReviewStore:
    """Receipts and corrections in SQLite; safe to share between threads (one connection per call)."""

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self.files_dir = self.data_dir / "files"
        self.db_path = self.data_dir / "review.sqlite3"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.executescript(_SCHEMA)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            elif version > SCHEMA_VERSION:
                raise DataError(f"{self.db_path} was written by a newer tillroll (store version {version}); upgrade tillroll or use another --data-dir")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # Autocommit mode + explicit BEGIN IMMEDIATE: writers take the lock up front, so two
        # concurrent saves serialise instead of failing half-way with "database is locked".
        conn = sqlite3.connect(self.db_path, timeout=30.0, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # ---- files -------------------------------------------------------------
    def receipt_dir(self, receipt_id: str) -> Path:
        return self.files_dir / check_receipt_id(receipt_id)

    def page_image_path(self, receipt_id: str, page: int) -> Path:
        receipt = self.get(receipt_id)
        if not isinstance(page, int) or not 0 <= page < receipt.summary.page_count:
            raise ReceiptNotFoundError(f"receipt {receipt_id} has no page {page} (it has {receipt.summary.page_count})")
        return self.receipt_dir(receipt_id) / f"page-{page}.png"

    def original_path(self, receipt: Receipt) -> Path:
        return self.receipt_dir(receipt.id) / receipt.original_file

    # ---- writes --------------------------------------------------------------
    def add(
        self,
        document: Document,
        original: bytes,
        *,
        original_name: str | None,
        media_format: str | None,
        page_images: Sequence[Image.Image] | None = None,
    ) -> str:
        """Store a freshly extracted receipt (status "new") and return its generated id."""
        receipt_id = uuid.uuid4().hex
        images = list(page_images) if page_images is not None else [p.image for p in document.pages]
        if any(img is None for img in images):
            raise DataError("every page needs its image to be stored for review")
        fmt = (media_format or "bin").lower()
        original_file = f"original.{_EXTENSIONS.get(fmt, 'bin')}"
        final_dir = self.receipt_dir(receipt_id)
        staging = self.files_dir / f".{receipt_id}.partial"
        staging.mkdir(parents=True)
        try:
            (staging / original_file).write_bytes(original)
            for index, image in enumerate(images):
                image.save(staging / f"page-{index}.png", format="PNG")  # type: ignore[union-attr]
            staging.rename(final_dir)
            doc_json = json.dumps(document.to_dict(), ensure_ascii=False)
            now = utc_now()
            with self._transaction() as conn:
                conn.execute(
                    "INSERT INTO receipts (id, original_name, media_format, original_file, page_count, status, revision,"
                    " prediction_json, document_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'new', 0, ?, ?, ?, ?)",
                    (receipt_id, clean_display_name(original_name), fmt, original_file, len(images), doc_json, doc_json, now, now),
                )
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(final_dir, ignore_errors=True)
            raise
        return receipt_id

    def correct(
        self,
        receipt_id: str,
        *,
        author: str | None,
        base_revision: int | None = None,
        labels: Mapping[int, str] | None = None,
        fields: Mapping[str, Mapping[str, Any] | None] | None = None,
        line_items: Sequence[Mapping[str, Any]] | None = None,
        key_values: Sequence[Mapping[str, Any]] | None = None,
        approve: bool = False,
    ) -> tuple[Receipt, dict[str, Any]]:
        """Apply a reviewer's edits (and optionally approve) in one transaction.

        `base_revision` is the revision the reviewer's page was loaded at; if the
        receipt moved on since, nothing is written and `ConflictError` (409) asks
        for a reload, so two reviewers never silently overwrite each other.
        A save that changes something on an approved receipt sets it back to
        "new": approval is of a state, and that state is gone.
        """
        check_receipt_id(receipt_id)
        who = clean_author(author)
        with self._transaction() as conn:
            row = conn.execute("SELECT * FROM receipts WHERE id = ?", (receipt_id,)).fetchone()
            if row is None:
                raise ReceiptNotFoundError(f"no receipt {receipt_id}; it may have been deleted")
            if base_revision is not None and base_revision != row["revision"]:
                raise ConflictError(
                    f"receipt {receipt_id} was saved by someone else (revision {row['revision']}, yours {base_revision}); reload it and apply your edits again"
                )
            prediction = json.loads(row["prediction_json"])
            document, changes = apply_edits(
                json.loads(row["document_json"]), prediction, labels=labels, fields=fields, line_items=line_items, key_values=key_values
            )
            if not has_changes(changes) and not approve:
                return self._row_to_receipt(row), changes
            now = utc_now()
            revision = row["revision"] + 1
            if approve:
                status, reviewed_by, reviewed_at = "reviewed", who, now
            else:
                status, reviewed_by, reviewed_at = "new", row["reviewed_by"], row["reviewed_at"]
            doc_json = json.dumps(document, ensure_ascii=False)
            conn.execute(
                "INSERT INTO corrections (receipt_id, revision, action, author, created_at, changes_json, document_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (receipt_id, revision, "approve" if approve else "save", who, now, json.dumps(changes, ensure_ascii=False), doc_json),
            )
            conn.execute(
                "UPDATE receipts SET document_json = ?, revision = ?, status = ?, updated_at = ?, reviewed_by = ?, reviewed_at = ? WHERE id = ?",
                (doc_json, revision, status, now, reviewed_by, reviewed_at, receipt_id),
            )
            row = conn.execute("SELECT * FROM receipts WHERE id = ?", (receipt_id,)).fetchone()
        return self._row_to_receipt(row), changes

    def delete(self, receipt_id: str) -> None:
        check_receipt_id(receipt_id)
        with self._transaction() as conn:
            if conn.execute("DELETE FROM receipts WHERE id = ?", (receipt_id,)).rowcount == 0:
                raise ReceiptNotFoundError(f"no receipt {receipt_id}")
        shutil.rmtree(self.receipt_dir(receipt_id), ignore_errors=True)

    # ---- reads -----------------------------------------------------------------
    def get(self, receipt_id: str) -> Receipt:
        check_receipt_id(receipt_id)
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM receipts WHERE id = ?", (receipt_id,)).fetchone()
        if row is None:
            raise ReceiptNotFoundError(f"no receipt {receipt_id}; it may have been deleted")
        return self._row_to_receipt(row)

    def list(self, status: str | None = None, limit: int = 100, offset: int = 0) -> tuple[list[ReceiptSummary], int]:
        """Newest first; returns (page of summaries, total matching)."""
        if status is not None and status not in STATUSES:
            raise DataError(f"unknown status {status!r}; expected one of: {', '.join(STATUSES)}")
        where, args = ("WHERE status = ?", [status]) if status else ("", [])
        with self._connect() as conn:
            total = conn.execute(f"SELECT COUNT(*) FROM receipts {where}", args).fetchone()[0]
            rows = conn.execute(f"SELECT * FROM receipts {where} ORDER BY created_at DESC, id LIMIT ? OFFSET ?", [*args, int(limit), int(offset)]).fetchall()
        return [self._row_to_receipt(r).summary for r in rows], total

    def neighbours(self, receipt_id: str, status: str | None = "new") -> tuple[str | None, str | None]:
        """(newer, older) receipt ids in list order, so the UI can step through a queue."""
        current = self.get(receipt_id).summary
        cond, args = ("AND status = ?", [status]) if status else ("", [])
        with self._connect() as conn:
            newer = conn.execute(
                f"SELECT id FROM receipts WHERE (created_at > ? OR (created_at = ? AND id < ?)) {cond} ORDER BY created_at ASC, id DESC LIMIT 1",
                [current.created_at, current.created_at, receipt_id, *args],
            ).fetchone()
            older = conn.execute(
                f"SELECT id FROM receipts WHERE (created_at < ? OR (created_at = ? AND id > ?)) {cond} ORDER BY created_at DESC, id LIMIT 1",
                [current.created_at, current.created_at, receipt_id, *args],
            ).fetchone()
        return (newer[0] if newer else None, older[0] if older else None)

    # `builtins.list`: inside the class, `list` names the method above.
    def corrections(self, receipt_id: str) -> builtins.list[dict[str, Any]]:
        self.get(receipt_id)
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, revision, action, author, created_at, changes_json FROM corrections WHERE receipt_id = ? ORDER BY id", (receipt_id,)
            ).fetchall()
        return [
            {
                "id": r["id"],
                "revision": r["revision"],
                "action": r["action"],
                "author": r["author"],
                "created_at": r["created_at"],
                "changes": json.loads(r["changes_json"]),
            }
            for r in rows
        ]

    def approved(self) -> Iterator[Receipt]:
        """Every reviewed receipt, oldest first (the export order)."""
        with self._connect() as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM receipts WHERE status = 'reviewed' ORDER BY created_at, id")]
        for receipt_id in ids:
            try:
                yield self.get(receipt_id)
            except ReceiptNotFoundError:
                continue  # deleted while exporting

    def counts(self) -> dict[str, int]:
        with self._connect() as conn:
            rows = conn.execute("SELECT status, COUNT(*) FROM receipts GROUP BY status").fetchall()
        out = dict.fromkeys(STATUSES, 0)
        out.update({r[0]: r[1] for r in rows})
        return out

    @staticmethod
    def _row_to_receipt(row: sqlite3.Row) -> Receipt:
        document = json.loads(row["document_json"])
        fields = document.get("fields", {})
        summary = ReceiptSummary(
            id=row["id"],
            original_name=row["original_name"],
            status=row["status"],
            revision=row["revision"],
            page_count=row["page_count"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            reviewed_by=row["reviewed_by"],
            reviewed_at=row["reviewed_at"],
            shop_name=(fields.get("shop_name") or {}).get("value"),
            total=(fields.get("total") or {}).get("value"),
            word_count=len(document.get("words", [])),
        )
        return Receipt(
            summary=summary,
            media_format=row["media_format"],
            original_file=row["original_file"],
            prediction=json.loads(row["prediction_json"]),
            document=document,
        )


def unlabelled_to_misc(document: dict[str, Any]) -> None:
    """An approved receipt has a label on every word: whatever nobody labelled is misc."""
    for word in document.get("words", []):
        if not word.get("label"):
            word["label"] = MISC
