"""The malloc policy of a one-off `tillroll extract`: a low, predictable memory peak at little cost.

OCR allocates a few very large tensors per page (the detector's feature maps,
tens of MiB each) and many small and mid-sized ones. Under glibc's defaults
the threshold above which a buffer gets its own mapping rises every time a
large mapped buffer is freed, so after the first page the big tensors come
from the heap, where freed space is fragmented and not all reusable: one
`tillroll extract` then peaked anywhere from 461 to 555 MiB on the same photo.

With `TILLROLL_LEAN_MEMORY=1` (`tillroll extract` sets it; batch workers and
the server do not) the process fixes two glibc settings before the models load:

- `M_MMAP_THRESHOLD` = 4 MiB: the detector's big tensors always get their own
  mapping and go back to the system when freed, so they cannot pile up;
- `M_TRIM_THRESHOLD` = 1 GiB: fixing the first setting also freezes glibc's trim
  threshold at 128 KiB, after which the top of the heap is handed back and
  faulted in again many times per page. A high trim threshold keeps the heap.

Measured on the 2-core VM (docs/benchmarks.md, "Session 9: memory policy"):
with the former policy (mmap threshold 1 MiB, trim untouched) pages fault in
every buffer of 1 MiB or more, and the rapidocr-tinydet pipeline took 1.57 s
median per SROIE receipt against 0.98 s with glibc's defaults, whose peak was
481 MiB; with 1 MiB and a high trim threshold it was still 1.55 s, so the cost
is the faults of the 1-4 MiB buffers, not the trimming alone. 16 MiB took
0.92-1.23 s but let the default engine peak at 525 MiB (over the 500 MB
budget); 4 MiB keeps it at 447 MiB (`benchmarks/extract_memory.py`).
"""

from __future__ import annotations

import ctypes
import os
import sys

# "1": apply `apply_lean_memory_policy` in this process.
LEAN_MEMORY_ENV = "TILLROLL_LEAN_MEMORY"
# glibc option numbers (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 4 << 20
TRIM_THRESHOLD_BYTES = 1 << 30

_applied = False


def release_free_memory() -> None:
    """Hand the heap's free pages back to the system (glibc's malloc_trim) when the lean policy is in force.

    The policy's high trim threshold keeps freed heap pages for the next
    allocation inside one page's OCR; between two documents of one
    `tillroll extract` run they are handed back, so that the peak of a run over
    many files stays the peak of its largest file rather than growing with each
    file's leftovers.
    """
    if not _applied:
        return
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - another libc
        pass


def apply_lean_memory_policy() -> bool:
    """Set the lean malloc policy once per process when TILLROLL_LEAN_MEMORY=1; True if it is in force.

    A user's own MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ settings win, and
    other C libraries (musl, macOS) are left alone.
    """
    global _applied
    if _applied:
        return True
    if os.environ.get(LEAN_MEMORY_ENV, "0") != "1" or not sys.platform.startswith("linux"):
        return False
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False  # the user chose a policy; respect it
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
        libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    except (OSError, AttributeError):  # pragma: no cover - another libc
        return False
    _applied = True
    return True
