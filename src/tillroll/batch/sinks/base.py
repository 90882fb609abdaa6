"""What every result writer of `tillroll batch` shares: the `Sink` contract, format choice,
ownership checks, and the append-only file helpers the text formats use.

See the package docstring (`tillroll.batch.sinks`) for the promises each sink keeps.
"""

from __future__ import annotations

import os
import stat
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ...errors import BatchError, ConfigError

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


# ---- ownership: never write over a file tillroll did not create --------------------


def _not_ours(path: Path, why: str) -> str:
    return (
        f"{path} already exists and was not written by tillroll batch ({why}); tillroll never writes over "
        "a file it did not create: choose another --out, or move that file away"
    )


def claim_file(path: Path, signature: bytes, what: str) -> None:
    """Refuse an existing `path` unless tillroll wrote it, before anything touches it.

    tillroll's result files start with a fixed `signature` (the CSV header, or
    '{"source": ' for JSON Lines), so a user's own file of the same name, whatever
    its extension, is recognised and left alone. An empty file holds nothing to
    lose; a file shorter than the signature but matching it is one whose first
    write was cut off by a crash.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if path.is_dir():
        raise BatchError(f"{path} is a folder; --out must name a file for {what} output")
    if not stat.S_ISREG(info.st_mode):
        raise BatchError(f"{path} is not a regular file (a device, pipe or socket); --out must name a file for {what} output")
    if info.st_size == 0:
        return
    with open(path, "rb") as f:
        head = f.read(len(signature))
    if head != signature and not (len(head) < len(signature) and signature.startswith(head)):
        raise BatchError(_not_ours(path, f"it does not start the way tillroll's {what} results do"))


# ---- shared helpers for append-only text files --------------------------------------


def _truncate_torn_tail(path: Path, terminator: bytes, accept_tail: Callable[[bytes], bool] | None = None) -> int:
    """Cut anything after the last complete record (a write torn by a crash); return the new size.

    `accept_tail(first bytes of the tail)` must agree that the tail is a torn record of
    ours; otherwise nothing is cut and a BatchError says whose file this seems to be.
    """
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
                break
            end = start + len(terminator) - 1 if start > 0 else 0
        else:
            keep = 0
        if accept_tail is not None:
            f.seek(keep)
            if not accept_tail(f.read(64)):
                raise BatchError(_not_ours(path, "its last line is not a tillroll record cut off by a crash"))
        f.truncate(keep)
        return keep


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
