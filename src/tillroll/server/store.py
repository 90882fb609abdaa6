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
from ..labels import MISC
from .edits import MAX_VALUE_CHARS as MAX_VALUE_CHARS
from .edits import apply_edits as apply_edits
from .edits import has_changes as has_changes

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

STATUSES = ("new", "reviewed")
SCHEMA_VERSION = 1
MAX_AUTHOR_CHARS = 80

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
