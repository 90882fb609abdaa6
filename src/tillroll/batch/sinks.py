"""Result writers of `tillroll batch`: JSON Lines, CSV and Parquet.

Every sink keeps the same three promises, whatever the format:

1. **Written as soon as ready.** `write(record)` puts the record on disk (the
   operating system's page cache) before it returns, so killing the process
   loses only the receipts still being processed.
2. **Resumable.** `open()` reads what an earlier run left, repairs a record torn
   by a crash (a half-written last line is cut off), and returns which sources
   are already done; the engines skip them, so re-running the same command
   finishes the batch without duplicates.
3. **One record per source.** `forget(sources)` removes stored records (used by
   `--retry-failed`, so a retried receipt replaces its error record).

Formats:

- `.jsonl` (or `.ndjson`): one schema-v1 document per line, or an error record
  `{"source", "error", "type", "message"}`. `"source"` is always the first key,
  so resuming reads it without parsing whole documents.
- `.csv`: one row per receipt with the fields flattened (`total`,
  `total_text`, `total_confidence`, ...) and `<name>.line_items.csv` beside it
  with one row per line item. Words, boxes and key-value pairs are not in CSV:
  use JSONL or Parquet when you need them.
- `.parquet`: a *folder* of Parquet parts (`part-00000.parquet`, ...), which
  pandas, pyarrow, DuckDB, Spark and Ray all read as one table, with the nested
  schema v1 (fields as a struct, words and line items as lists of structs). A
  Parquet file cannot be appended to and is unreadable until its footer is
  written, so records are first appended to a write-ahead log
  `_pending.jsonl` inside the folder (flushed per record, like JSONL), and
  every `rows_per_part` records become one atomically renamed part. Readers
  ignore files starting with "_", so they never see the log; tillroll's resume
  counts both.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import BatchError, ConfigError, EngineUnavailableError
from ..labels import FIELD_NAMES, LINE_ITEM_FIELDS

FORMATS = ("jsonl", "csv", "parquet")
_SUFFIX_TO_FORMAT = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}

# How often buffered data is forced to the disk itself (fsync), not just to the OS.
# Flushing per record already survives a killed process; fsync also survives a power
# cut, and doing it every few seconds rather than per record keeps batches fast.
FSYNC_EVERY_S = 5.0


def format_for(path: str | Path, fmt: str | None = None) -> str:
    """Output format from an explicit `fmt` or from the file name's suffix."""
    if fmt:
        if fmt not in FORMATS:
            raise ConfigError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIX_TO_FORMAT:
        raise ConfigError(f"cannot tell the output format of {str(path)!r}; name it *.jsonl, *.csv or *.parquet (or pass --format)")
    return _SUFFIX_TO_FORMAT[suffix]


def ordered_record(record: dict[str, Any]) -> dict[str, Any]:
    """The record with "source" first and, for failures, "error" second (see JsonlSink.scan)."""
    out: dict[str, Any] = {"source": record.get("source")}
    if "error" in record:
        out["error"] = record["error"]
    for key, value in record.items():
        if key not in out:
            out[key] = value
    return out


class Sink(ABC):
    """A results store that appends records and knows which sources it holds."""

    path: Path

    @abstractmethod
    def open(self) -> dict[str, bool]:
        """Prepare to append; return {source: succeeded} for records already stored."""

    @abstractmethod
    def write(self, record: dict[str, Any]) -> None:
        """Store one record durably before returning (see the module docstring)."""

    @abstractmethod
    def forget(self, sources: set[str]) -> None:
        """Remove the stored records of `sources` (call after `open`, before writing them again)."""

    @abstractmethod
    def close(self) -> None: ...

    def owned_paths(self) -> list[Path]:
        """Files this sink writes: they are never inputs of the batch."""
        return [self.path]

    def __enter__(self) -> Sink:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_sink(path: str | Path, fmt: str | None = None, *, rows_per_part: int = 500) -> Sink:
    fmt = format_for(path, fmt)
    if fmt == "jsonl":
        return JsonlSink(path)
    if fmt == "csv":
        return CsvSink(path)
    return ParquetSink(path, rows_per_part=rows_per_part)


# ---- shared helpers for append-only text files --------------------------------------


def _truncate_torn_tail(path: Path, terminator: bytes) -> int:
    """Cut anything after the last complete record (a write torn by a crash); return the new size."""
    size = path.stat().st_size
    if size == 0:
        return 0
    with open(path, "rb+") as f:
        tail_len = min(size, 1 << 20)
        f.seek(size - len(terminator))
        if f.read(len(terminator)) == terminator:
            return size
        # Look backwards for the last terminator, a chunk at a time; chunks overlap by
        # len(terminator) - 1 bytes so a terminator split between two is still found.
        end = size
        while end > 0:
            start = max(0, end - tail_len)
            f.seek(start)
            chunk = f.read(end - start)
            idx = chunk.rfind(terminator)
            if idx >= 0:
                keep = start + idx + len(terminator)
                f.truncate(keep)
                return keep
            end = start + len(terminator) - 1 if start > 0 else 0
        f.truncate(0)
        return 0


class _AppendFile:
    """An append-only binary file: one `os.write` per record, fsync every few seconds."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._last_sync = time.monotonic()

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def append(self, data: bytes) -> None:
        assert self._fd is not None, "open() first"
        view = memoryview(data)
        while view:  # os.write may write less than asked (rare on files, but allowed)
            n = os.write(self._fd, view)
            view = view[n:]
        if time.monotonic() - self._last_sync > FSYNC_EVERY_S:
            os.fsync(self._fd)
            self._last_sync = time.monotonic()

    def close(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None


def _rewrite_atomically(path: Path, data_chunks: Iterable[bytes]) -> None:
    tmp = path.with_name(path.name + ".rewrite.tmp")
    with open(tmp, "wb") as f:
        for chunk in data_chunks:
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# ---- JSON Lines -----------------------------------------------------------------------

_SOURCE_PREFIX = b'{"source": '
_ERROR_AFTER_SOURCE = re.compile(rb'\s*,\s*"error"\s*:')


def _scan_jsonl_line(line: bytes, where: str) -> tuple[str, bool]:
    """(source, succeeded) of one stored line, reading only its beginning when it can."""
    if line.startswith(_SOURCE_PREFIX):
        text = line[len(_SOURCE_PREFIX) :].decode("utf-8", errors="strict")
        try:
            source, end = json.JSONDecoder().raw_decode(text)
        except ValueError:
            source, end = None, 0
        if isinstance(source, str):
            return source, not _ERROR_AFTER_SOURCE.match(text[end:].encode())
    # Written by something else (or edited by hand): parse it all.
    try:
        record = json.loads(line)
    except ValueError as exc:
        raise BatchError(f"{where} is not a JSON record ({exc}); this file was not written by tillroll batch or was edited; fix or remove that line, or choose another --out") from exc
    if not isinstance(record, dict) or not isinstance(record.get("source"), str):
        raise BatchError(f"{where} has no 'source'; this file was not written by tillroll batch; choose another --out")
    return record["source"], "error" not in record


def iter_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """Records of a JSON Lines result file (a torn last line is skipped)."""
    with open(path, "rb") as f:
        for line in f:
            if line.endswith(b"\n") and line.strip():
                yield json.loads(line)


class JsonlSink(Sink):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file = _AppendFile(self.path)

    def open(self) -> dict[str, bool]:
        done: dict[str, bool] = {}
        if self.path.exists():
            if self.path.is_dir():
                raise BatchError(f"{self.path} is a folder; --out must name a file for JSON Lines output")
            _truncate_torn_tail(self.path, b"\n")
            with open(self.path, "rb") as f:
                for number, line in enumerate(f, start=1):
                    if line.strip():
                        source, ok = _scan_jsonl_line(line, f"line {number} of {self.path}")
                        done[source] = ok
        self._file.open()
        return done

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(ordered_record(record), ensure_ascii=False, separators=(", ", ": ")) + "\n"
        self._file.append(line.encode("utf-8"))

    def forget(self, sources: set[str]) -> None:
        if not sources or not self.path.exists():
            return
        self._file.close()

        def kept() -> Iterator[bytes]:
            with open(self.path, "rb") as f:
                for line in f:
                    if line.strip() and _scan_jsonl_line(line, str(self.path))[0] not in sources:
                        yield line

        _rewrite_atomically(self.path, kept())
        self._file.open()

    def close(self) -> None:
        self._file.close()


# ---- CSV ------------------------------------------------------------------------------

# A CSV record ends with "\r\n" and values never contain "\r" (it is replaced), so
# the last "\r\n" in a file always ends a complete row, even when values hold "\n".
_CSV_ROW_END = b"\r\n"

CSV_COLUMNS: tuple[str, ...] = (
    ("source", "status", "error", "error_type", "error_message")
    + tuple(col for name in FIELD_NAMES for col in (name, f"{name}_text", f"{name}_confidence", f"{name}_currency"))
    + ("line_items", "pages", "words", "failed_checks", "model", "ocr", "total_ms")
)
LINE_ITEM_COLUMNS: tuple[str, ...] = ("source", "item") + LINE_ITEM_FIELDS + ("confidence", "origin")


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
    fields = record.get("fields") or {}
    for name in FIELD_NAMES:
        f = fields.get(name)
        if f:
            row[name] = f.get("value")
            row[f"{name}_text"] = f.get("text")
            row[f"{name}_confidence"] = f.get("confidence")
            row[f"{name}_currency"] = f.get("currency")
    meta = record.get("meta") or {}
    row.update(
        line_items=len(record.get("line_items") or []),
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
        row.update({name: item.get(name) for name in LINE_ITEM_FIELDS})
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


# ---- Parquet --------------------------------------------------------------------------

PENDING_LOG = "_pending.jsonl"
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
            ("fields", pa.struct([(name, field_struct) for name in FIELD_NAMES])),
            (
                "line_items",
                pa.list_(
                    pa.struct(
                        [(name, pa.string()) for name in LINE_ITEM_FIELDS]
                        + [("word_ids", pa.list_(pa.int32())), ("confidence", pa.float64()), ("source", pa.string())]
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


_SCHEMA_KEYS = ("source", "error", "type", "message", "schema_version", "pages", "words", "fields", "line_items", "key_values", "checks", "timings_ms")


def record_to_row(record: dict[str, Any]) -> dict[str, Any]:
    """A record in the shape of `parquet_schema()`; nothing is lost (unknown parts go to extra_json)."""
    row = {key: record.get(key) for key in _SCHEMA_KEYS}
    fields = record.get("fields")
    extra: dict[str, Any] = {k: v for k, v in record.items() if k not in _SCHEMA_KEYS and k != "meta"}
    if fields is not None:
        row["fields"] = {name: fields.get(name) for name in FIELD_NAMES}
        unknown = {k: v for k, v in fields.items() if k not in FIELD_NAMES}
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
    for key in ("pages", "words", "line_items", "key_values", "checks"):
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
        self.path.mkdir(parents=True, exist_ok=True)
        for leftover in self.path.glob("*.tmp"):  # a part being written when a crash hit
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


def read_records(path: str | Path, fmt: str | None = None) -> list[dict[str, Any]]:
    """All records of a JSONL or Parquet result (CSV holds a flattened view: use `iter_csv`)."""
    fmt = format_for(path, fmt)
    if fmt == "jsonl":
        return list(iter_jsonl(path))
    if fmt == "parquet":
        return list(iter_parquet(path))
    return list(iter_csv(path))
