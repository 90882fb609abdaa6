"""JSON Lines results: one schema-v1 document or error record per line, "source" first."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...errors import BatchError
from .base import Sink, _AppendFile, _rewrite_atomically, _truncate_torn_tail, claim_file, ordered_record

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
        raise BatchError(
            f"{where} is not a JSON record ({exc}); this file was not written by tillroll batch or was edited; fix or remove that line, or choose another --out"
        ) from exc
    if not isinstance(record, dict) or not isinstance(record.get("source"), str):
        raise BatchError(f"{where} has no 'source'; this file was not written by tillroll batch; choose another --out")
    return record["source"], "error" not in record


def _torn_record(head: bytes) -> bool:
    """True when a tail without a newline is the start of one of our records (or nothing)."""
    return not head.strip() or head.startswith(_SOURCE_PREFIX) or _SOURCE_PREFIX.startswith(head)


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
        claim_file(self.path, _SOURCE_PREFIX, "JSON Lines")
        if self.path.exists():
            _truncate_torn_tail(self.path, b"\n", accept_tail=_torn_record)
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
