"""Parquet results: a folder of parts with the nested schema v1, fed through a write-ahead log."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...errors import BatchError, EngineUnavailableError
from ...labels import ALL_FIELD_NAMES, ALL_LINE_ITEM_FIELDS, TAX_ROW_FIELDS
from .base import Sink
from .jsonl import JsonlSink, iter_jsonl

PENDING_LOG = "_pending.jsonl"
# An empty file tillroll puts in every Parquet folder it creates: a folder holding
# other files and no marker is someone else's, and is refused. Readers skip "_" files.
MARKER = "_tillroll_batch"
# What a crash can leave half-written: a part, or the log while it was rewritten.
_TMP_RE = re.compile(r"^(part-\d{5,}\.parquet|_pending\.jsonl\.rewrite)\.tmp$")
_PART_RE = re.compile(r"^part-(\d{5,})\.parquet$")


def _pyarrow() -> Any:
    try:
        import pyarrow as pa
        import pyarrow.parquet  # noqa: F401  (registers pa.parquet)
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise EngineUnavailableError("Parquet output needs pyarrow: pip install 'tillroll[parquet]'") from exc
    return pa


def parquet_schema() -> Any:
    """Arrow schema of one result row: schema v1 nested as it is in JSON, plus error columns."""
    pa = _pyarrow()
    field_struct = pa.struct(
        [
            ("text", pa.string()),
            ("value", pa.string()),
            ("confidence", pa.float64()),
            ("word_ids", pa.list_(pa.int32())),
            ("source", pa.string()),
            ("currency", pa.string()),
        ]
    )
    return pa.schema(
        [
            ("source", pa.string()),
            ("error", pa.string()),
            ("type", pa.string()),
            ("message", pa.string()),
            ("schema_version", pa.int32()),
            (
                "pages",
                pa.list_(
                    pa.struct(
                        [
                            ("index", pa.int32()),
                            ("width", pa.int32()),
                            ("height", pa.int32()),
                            ("coordinates", pa.string()),
                            ("text_source", pa.string()),
                            ("dpi", pa.float64()),
                            ("preprocess", pa.list_(pa.string())),
                            # clockwise turn applied before OCR (tillroll.io.orientation); absent when 0
                            ("rotation", pa.int32()),
                        ]
                    )
                ),
            ),
            (
                "words",
                pa.list_(
                    pa.struct(
                        [
                            ("id", pa.int32()),
                            ("page", pa.int32()),
                            ("text", pa.string()),
                            ("box", pa.list_(pa.float64())),
                            ("line", pa.int32()),
                            ("ocr_confidence", pa.float64()),
                            ("label", pa.string()),
                            ("label_confidence", pa.float64()),
                            ("label_source", pa.string()),
                        ]
                    )
                ),
            ),
            ("document_type", pa.string()),
            ("fields", pa.struct([(name, field_struct) for name in ALL_FIELD_NAMES])),
            (
                "line_items",
                pa.list_(
                    pa.struct(
                        [(name, pa.string()) for name in ALL_LINE_ITEM_FIELDS]
                        + [("word_ids", pa.list_(pa.int32())), ("confidence", pa.float64()), ("source", pa.string())]
                    )
                ),
            ),
            (
                "tax_breakdown",
                pa.list_(
                    pa.struct(
                        [(name, pa.string()) for name in TAX_ROW_FIELDS]
                        + [("category", pa.string()), ("word_ids", pa.list_(pa.int32())), ("confidence", pa.float64()), ("source", pa.string())]
                    )
                ),
            ),
            (
                "key_values",
                pa.list_(
                    pa.struct(
                        [
                            ("key", pa.string()),
                            ("value", pa.string()),
                            ("key_word_ids", pa.list_(pa.int32())),
                            ("value_word_ids", pa.list_(pa.int32())),
                            ("confidence", pa.float64()),
                        ]
                    )
                ),
            ),
            ("checks", pa.list_(pa.struct([("name", pa.string()), ("passed", pa.bool_()), ("detail", pa.string())]))),
            ("timings_ms", pa.map_(pa.string(), pa.float64())),
            # Free-form by design (meta, and anything a newer pipeline adds): JSON text.
            ("meta_json", pa.string()),
            ("extra_json", pa.string()),
        ]
    )


_SCHEMA_KEYS = (
    "source",
    "error",
    "type",
    "message",
    "schema_version",
    "document_type",
    "pages",
    "words",
    "fields",
    "line_items",
    "tax_breakdown",
    "key_values",
    "checks",
    "timings_ms",
)


def record_to_row(record: dict[str, Any]) -> dict[str, Any]:
    """A record in the shape of `parquet_schema()`; nothing is lost (unknown parts go to extra_json)."""
    row = {key: record.get(key) for key in _SCHEMA_KEYS}
    fields = record.get("fields")
    extra: dict[str, Any] = {k: v for k, v in record.items() if k not in _SCHEMA_KEYS and k != "meta"}
    if fields is not None:
        row["fields"] = {name: fields.get(name) for name in ALL_FIELD_NAMES}
        unknown = {k: v for k, v in fields.items() if k not in ALL_FIELD_NAMES}
        if unknown:
            extra["fields"] = unknown
    if isinstance(row["timings_ms"], dict):
        row["timings_ms"] = list(row["timings_ms"].items())
    row["meta_json"] = json.dumps(record["meta"], ensure_ascii=False) if "meta" in record else None
    row["extra_json"] = json.dumps(extra, ensure_ascii=False) if extra else None
    return row


def row_to_record(row: dict[str, Any]) -> dict[str, Any]:
    """Inverse of `record_to_row`: a schema-v1 document dict or an error record."""
    if row.get("error") is not None:
        return {"source": row["source"], "error": row["error"], "type": row["type"], "message": row["message"]}

    def clean(value: Any) -> Any:  # drop the nulls Arrow adds for absent optional keys
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    extra = json.loads(row["extra_json"]) if row.get("extra_json") else {}
    record: dict[str, Any] = {"schema_version": row["schema_version"], "source": row["source"]}
    if row.get("document_type") is not None:
        record["document_type"] = row["document_type"]
    for key in ("pages", "words", "line_items", "tax_breakdown", "key_values", "checks"):
        record[key] = clean(row.get(key) or [])
    # Words keep their explicit nulls (schema v1 writes every word key).
    record["words"] = [dict(w) for w in row.get("words") or []]
    fields = {name: clean(value) for name, value in (row.get("fields") or {}).items() if value is not None}
    fields.update(extra.pop("fields", {}))
    record["fields"] = fields
    record["timings_ms"] = dict(row.get("timings_ms") or [])
    if row.get("meta_json"):
        record["meta"] = json.loads(row["meta_json"])
    record.update(extra)
    return record


def iter_parquet(path: str | Path) -> Iterator[dict[str, Any]]:
    """Records of a Parquet result folder: the parts, then the write-ahead log."""
    pa = _pyarrow()
    folder = Path(path)
    for part in _parts(folder):
        for row in pa.parquet.read_table(part, schema=parquet_schema()).to_pylist():
            yield row_to_record(row)
    if (folder / PENDING_LOG).exists():
        yield from iter_jsonl(folder / PENDING_LOG)


def _parts(folder: Path) -> list[Path]:
    return sorted((p for p in folder.iterdir() if _PART_RE.match(p.name)), key=lambda p: int(_PART_RE.match(p.name).group(1))) if folder.is_dir() else []  # type: ignore[union-attr]


class ParquetSink(Sink):
    def __init__(self, path: str | Path, rows_per_part: int = 500) -> None:
        self.path = Path(path)
        self.rows_per_part = max(1, rows_per_part)
        self.log = JsonlSink(self.path / PENDING_LOG)
        self._buffer: list[dict[str, Any]] = []
        self._next_part = 0
        self._schema: Any = None

    def open(self) -> dict[str, bool]:
        pa = _pyarrow()
        self._schema = parquet_schema()
        if self.path.exists() and not self.path.is_dir():
            raise BatchError(f"{self.path} is a file; Parquet output is written as a folder of parts: choose a new --out name or remove the file")
        self._claim_folder()
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / MARKER).touch()
        for leftover in self.path.iterdir():  # a part or log rewrite in progress when a crash hit
            if _TMP_RE.match(leftover.name):
                leftover.unlink()
        done: dict[str, bool] = {}
        parts = _parts(self.path)
        for part in parts:
            table = pa.parquet.read_table(part, columns=["source", "error"])
            for source, error in zip(table.column("source").to_pylist(), table.column("error").to_pylist()):
                done[source] = error is None
        self._next_part = 1 + max((int(_PART_RE.match(p.name).group(1)) for p in parts), default=-1)  # type: ignore[union-attr]
        pending_done = self.log.open()
        in_parts = set(pending_done) & set(done)
        if in_parts:  # crash after a part was renamed in but before the log was emptied
            self.log.forget(in_parts)
        if set(pending_done) - in_parts:
            self._buffer = [r for r in iter_jsonl(self.log.path) if r["source"] not in done]
        for record in self._buffer:
            done[record["source"]] = "error" not in record
        return done

    def _claim_folder(self) -> None:
        """Refuse an existing folder that tillroll did not create (see `MARKER`), before touching it."""
        if not self.path.is_dir():
            return
        names = [p.name for p in self.path.iterdir()]
        if not names or MARKER in names:
            return
        # A folder from before the marker existed: only tillroll's own file names in it.
        foreign = [n for n in names if not (_PART_RE.match(n) or _TMP_RE.match(n) or n == PENDING_LOG)]
        if foreign:
            raise BatchError(
                f"{self.path} already exists and was not written by tillroll batch (it holds {foreign[0]!r} and no "
                f"{MARKER} marker); tillroll never writes into a folder it did not create: choose another --out, "
                "or move that folder away"
            )

    def write(self, record: dict[str, Any]) -> None:
        self.log.write(record)
        self._buffer.append(record)
        if len(self._buffer) >= self.rows_per_part:
            self.flush_part()

    def flush_part(self) -> None:
        """Write buffered records as the next part (atomically), then empty the log."""
        if not self._buffer:
            return
        pa = _pyarrow()
        table = pa.Table.from_pylist([record_to_row(r) for r in self._buffer], schema=self._schema)
        final = self.path / f"part-{self._next_part:05d}.parquet"
        tmp = final.with_name(final.name + ".tmp")
        pa.parquet.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, final)
        self._next_part += 1
        self._buffer = []
        # Only now may the log forget these records; a crash before this line leaves
        # them in both places, which open() resolves in favour of the part.
        self.log.close()
        with open(self.log.path, "wb"):
            pass
        self.log._file.open()

    def forget(self, sources: set[str]) -> None:
        if not sources:
            return
        pa = _pyarrow()
        for part in _parts(self.path):
            table = pa.parquet.read_table(part, schema=self._schema)
            keep = [s not in sources for s in table.column("source").to_pylist()]
            if all(keep):
                continue
            tmp = part.with_name(part.name + ".tmp")
            pa.parquet.write_table(table.filter(pa.array(keep)), tmp, compression="zstd")
            os.replace(tmp, part)
        self._buffer = [r for r in self._buffer if r["source"] not in sources]
        self.log.forget(sources)

    def close(self) -> None:
        if self._schema is not None:
            self.flush_part()
        self.log.close()
        if self.log.path.exists() and self.log.path.stat().st_size == 0:
            self.log.path.unlink()

    def owned_paths(self) -> list[Path]:
        return [self.path]
