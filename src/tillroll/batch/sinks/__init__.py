"""Result writers of `tillroll batch`: JSON Lines, CSV and Parquet (one module each; shared parts in `base`).

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

from pathlib import Path
from typing import Any

from .base import FORMATS, FSYNC_EVERY_S, Sink, format_for, ordered_record
from .csv import CSV_COLUMNS, LINE_ITEM_COLUMNS, CsvSink, flatten_record, iter_csv, line_item_rows
from .jsonl import JsonlSink, iter_jsonl
from .parquet import PENDING_LOG, ParquetSink, iter_parquet, parquet_schema, record_to_row, row_to_record

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "FSYNC_EVERY_S",
    "LINE_ITEM_COLUMNS",
    "PENDING_LOG",
    "CsvSink",
    "JsonlSink",
    "ParquetSink",
    "Sink",
    "flatten_record",
    "format_for",
    "iter_csv",
    "iter_jsonl",
    "iter_parquet",
    "line_item_rows",
    "open_sink",
    "ordered_record",
    "parquet_schema",
    "read_records",
    "record_to_row",
    "row_to_record",
]


def open_sink(path: str | Path, fmt: str | None = None, *, rows_per_part: int = 500) -> Sink:
    fmt = format_for(path, fmt)
    if fmt == "jsonl":
        return JsonlSink(path)
    if fmt == "csv":
        return CsvSink(path)
    return ParquetSink(path, rows_per_part=rows_per_part)


def read_records(path: str | Path, fmt: str | None = None) -> list[dict[str, Any]]:
    """All records of a JSONL or Parquet result (CSV holds a flattened view: use `iter_csv`)."""
    fmt = format_for(path, fmt)
    if fmt == "jsonl":
        return list(iter_jsonl(path))
    if fmt == "parquet":
        return list(iter_parquet(path))
    return list(iter_csv(path))
