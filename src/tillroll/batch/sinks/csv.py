"""CSV results: one flattened row per receipt, and its line items in `<name>.line_items.csv`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ...errors import BatchError
from ...labels import ALL_FIELD_NAMES, ALL_LINE_ITEM_FIELDS
from .base import Sink, _AppendFile, _rewrite_atomically, _truncate_torn_tail, claim_file

# A CSV record ends with "\r\n" and values never contain "\r" (it is replaced), so
# the last "\r\n" in a file always ends a complete row, even when values hold "\n".
_CSV_ROW_END = b"\r\n"

CSV_COLUMNS: tuple[str, ...] = (
    ("source", "status", "error", "error_type", "error_message", "document_type")
    + tuple(col for name in ALL_FIELD_NAMES for col in (name, f"{name}_text", f"{name}_confidence", f"{name}_currency"))
    + ("line_items", "tax_breakdown", "pages", "words", "failed_checks", "model", "ocr", "total_ms")
)
LINE_ITEM_COLUMNS: tuple[str, ...] = ("source", "item") + ALL_LINE_ITEM_FIELDS + ("confidence", "origin")


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value) if isinstance(value, (dict, list)) else str(value)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _csv_rows_bytes(rows: Iterable[Iterable[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return buf.getvalue().encode("utf-8")


def flatten_record(record: dict[str, Any]) -> dict[str, Any]:
    """The one-row CSV view of a record (schema v1 document or error record)."""
    row: dict[str, Any] = {"source": record.get("source")}
    if "error" in record:
        row.update(status="error", error=record["error"], error_type=record.get("type"), error_message=record.get("message"))
        return row
    row["status"] = "ok"
    row["document_type"] = record.get("document_type")
    fields = record.get("fields") or {}
    for name in ALL_FIELD_NAMES:
        f = fields.get(name)
        if f:
            row[name] = f.get("value")
            row[f"{name}_text"] = f.get("text")
            row[f"{name}_confidence"] = f.get("confidence")
            row[f"{name}_currency"] = f.get("currency")
    meta = record.get("meta") or {}
    row.update(
        line_items=len(record.get("line_items") or []),
        # One "rate:base:tax" per VAT rate, ";"-separated (the full rows are in JSONL/Parquet).
        tax_breakdown=";".join(f"{r.get('rate')}:{r.get('base')}:{r.get('tax')}" for r in record.get("tax_breakdown") or []),
        pages=len(record.get("pages") or []),
        words=len(record.get("words") or []),
        failed_checks=";".join(c["name"] for c in record.get("checks") or [] if not c.get("passed")),
        model=meta.get("model"),
        ocr=meta.get("ocr"),
        total_ms=round(sum((record.get("timings_ms") or {}).values()), 2),
    )
    return row


def line_item_rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for index, item in enumerate(record.get("line_items") or []):
        row = {"source": record.get("source"), "item": index, "confidence": item.get("confidence"), "origin": item.get("source")}
        row.update({name: item.get(name) for name in ALL_LINE_ITEM_FIELDS})
        rows.append(row)
    return rows


def _read_csv(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a CSV file written by CsvSink, after repairing a torn tail; checks the header."""
    _truncate_torn_tail(path, _CSV_ROW_END)
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return []
        if tuple(header) != columns:
            raise BatchError(f"{path} has other columns than this version of tillroll writes; it was not written by this tillroll batch: choose another --out")
        return [dict(zip(columns, row)) for row in reader if row]


class CsvSink(Sink):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.items_path = self.path.with_name(self.path.stem + ".line_items.csv")
        self._main = _AppendFile(self.path)
        self._items = _AppendFile(self.items_path)

    def owned_paths(self) -> list[Path]:
        return [self.path, self.items_path]

    def open(self) -> dict[str, bool]:
        # Both files are checked before either is touched.
        claim_file(self.path, _csv_rows_bytes([CSV_COLUMNS]), "CSV")
        claim_file(self.items_path, _csv_rows_bytes([LINE_ITEM_COLUMNS]), "CSV line-item")
        done: dict[str, bool] = {}
        if self.path.exists():
            done = {row["source"]: row["status"] == "ok" for row in _read_csv(self.path, CSV_COLUMNS)}
        if self.items_path.exists():
            items = _read_csv(self.items_path, LINE_ITEM_COLUMNS)
            # Line items are written just before their receipt's row, so a crash between
            # the two leaves items of a receipt that will be processed again: drop them.
            kept = [row for row in items if row["source"] in done]
            if len(kept) != len(items):
                self._rewrite(self.items_path, LINE_ITEM_COLUMNS, kept)
        for append_file, columns in ((self._main, CSV_COLUMNS), (self._items, LINE_ITEM_COLUMNS)):
            is_new = not append_file.path.exists() or append_file.path.stat().st_size == 0
            append_file.open()
            if is_new:
                append_file.append(_csv_rows_bytes([columns]))
        return done

    @staticmethod
    def _rewrite(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
        _rewrite_atomically(path, [_csv_rows_bytes([columns]), _csv_rows_bytes([row.get(c, "") for c in columns] for row in rows)])

    def write(self, record: dict[str, Any]) -> None:
        items = line_item_rows(record)
        if items:
            self._items.append(_csv_rows_bytes([row.get(c) for c in LINE_ITEM_COLUMNS] for row in items))
        flat = flatten_record(record)
        self._main.append(_csv_rows_bytes([[flat.get(c) for c in CSV_COLUMNS]]))

    def forget(self, sources: set[str]) -> None:
        if not sources:
            return
        self.close()
        for path, columns in ((self.path, CSV_COLUMNS), (self.items_path, LINE_ITEM_COLUMNS)):
            if path.exists():
                rows = _read_csv(path, columns)
                self._rewrite(path, columns, [r for r in rows if r["source"] not in sources])
        self._main.open()
        self._items.open()

    def close(self) -> None:
        self._main.close()
        self._items.close()


def iter_csv(path: str | Path) -> Iterator[dict[str, str]]:
    """Rows of a CSV result file (main file or line-items file) as dicts of strings."""
    with open(path, encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)
