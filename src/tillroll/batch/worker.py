"""The per-receipt unit of work that every batch engine runs.

`Worker.process_one(source)` is the whole job for one receipt: the same
`tillroll.pipeline.Pipeline.process` that `tillroll extract` and the HTTP server
call, then `Document.to_dict()`. A receipt that cannot be read never stops a
batch: it becomes an *error record* `{source, error, type, message}` instead.

A `Worker` builds its pipeline once (OCR models, classifier, entity database
take seconds to load) and is then reused for thousands of receipts; local pool
processes and Ray actors each hold exactly one.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..config import PipelineConfig
from ..errors import ProcessingTimeoutError, TillrollError

# Environment variables that size the thread pools of the numeric libraries the
# pipeline loads (onnxruntime via OpenMP, OpenCV, BLAS, PyTorch). They are read
# when those libraries are imported, so they must be set before the pipeline is
# built. N single-threaded workers scale better on N cores than workers that
# each spawn a thread per core and fight over them.
THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    # tillroll's own knobs, read by ocr/rapidocr.py and models/predict.py (THREADS_ENV);
    # spelled out here because importing those modules would load numpy before the caps.
    "TILLROLL_OCR_THREADS",
    "TILLROLL_CLASSIFIER_THREADS",
)


def limit_threads(threads: int) -> None:
    """Cap every numeric library of this process at `threads` threads.

    Call before the first heavy import; OpenCV is capped directly because it may
    already be imported.
    """
    threads = max(1, int(threads))
    for var in THREAD_ENV_VARS:
        os.environ[var] = str(threads)
    if "cv2" in sys.modules:
        sys.modules["cv2"].setNumThreads(threads)
    if "torch" in sys.modules:  # pragma: no cover - only when a torch model is loaded first
        sys.modules["torch"].set_num_threads(threads)


def plan_parallelism(cores: int, workers: int | None = None, threads: int | None = None) -> tuple[int, int]:
    """Worker processes and threads per worker for a machine with `cores` cores.

    What the user gives is kept; what is left out is filled so that workers x
    threads = cores. With neither, one single-thread worker per core: a
    worker on one thread spends no CPU on keeping threads in step (see
    docs/batch.md for the measurements). One worker on every core
    (`--workers 1`) starts faster and needs less memory.
    """
    cores = max(1, cores)
    if workers and threads:
        return workers, threads
    if workers:
        return workers, max(1, cores // workers)
    if threads:
        return max(1, cores // threads), threads
    return cores, 1


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def cpu_seconds() -> float:
    """User + system CPU time this process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime + usage.ru_stime, 3)


def error_record(source: str, exc: BaseException) -> dict[str, Any]:
    """The record written for a receipt that failed: what failed, and why, in one flat object."""
    if isinstance(exc, TillrollError):
        record = exc.to_record()  # the same error record `tillroll extract` and the server give
        record["source"] = source
        return record
    # Anything else is a bug in tillroll or a dependency; the batch goes on, and the
    # record keeps the exception type so the failure can be reproduced.
    if os.environ.get("TILLROLL_DEBUG"):
        traceback.print_exception(exc, file=sys.stderr)
    return {"source": source, "error": "internal_error", "type": type(exc).__name__, "message": str(exc) or repr(exc)}


def is_error_record(record: dict[str, Any]) -> bool:
    return "error" in record


class Deadline:
    """What `receipt_deadline` yields: whether the time limit struck, and the error to report."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.expired = False

    def error(self) -> ProcessingTimeoutError:
        return ProcessingTimeoutError(
            f"extraction took longer than the {self.seconds:g} s limit (--timeout); the file may be huge or unusual: check it, or raise --timeout"
        )


@contextmanager
def receipt_deadline(seconds: float | None) -> Iterator[Deadline]:
    """Raise ProcessingTimeoutError in this block once `seconds` have passed.

    Uses SIGALRM, so it works in a process's main thread on Unix (pool workers and
    Ray actors run receipts there); elsewhere there is no limit. The error is raised
    between two steps of Python code, or when a native library next checks for
    signals (onnxruntime does, and re-raises it as its own error type: hence
    `Deadline.expired`, which tells the caller what really happened). The worker
    survives and takes the next receipt.
    """
    deadline = Deadline(seconds)
    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield deadline
        return

    def on_alarm(signum: int, frame: object) -> None:
        deadline.expired = True
        raise deadline.error()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield deadline
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class WorkResult:
    """What a worker sends back: the record plus facts about the worker (not part of the record)."""

    record: dict[str, Any]
    pid: int
    peak_rss_mb: float
    cpu_s: float = 0.0  # CPU time the worker process has used so far (all receipts)
    # True when the worker could not build its pipeline at all (engine or model
    # missing): every receipt would fail the same way, so the engine stops the batch.
    fatal: bool = False


def prepare_entity_db(config: PipelineConfig) -> None:
    """Open (and on first use create and seed) the entity database before the first receipt.

    So the seeding cost is part of worker start-up rather than of one receipt's
    timing. Workers starting together is safe: `EntityDatabase` takes its write
    lock up front and waits on a busy file.
    """
    try:
        from ..rules.entities import EntityDatabase
    except ImportError:  # pragma: no cover - a pipeline without the rule-based model
        return
    EntityDatabase(config.resolved_entity_db()).close()


class Worker:
    """Holds one pipeline and turns sources into records."""

    def __init__(self, config: PipelineConfig | None = None, timeout_s: float | None = None) -> None:
        from ..pipeline import Pipeline

        self.config = config or PipelineConfig()
        self.timeout_s = timeout_s
        prepare_entity_db(self.config)
        self.pipeline = Pipeline(self.config)

    def process_one(self, source: str) -> dict[str, Any]:
        """Extract one receipt; never raises for a bad receipt (only for KeyboardInterrupt/SystemExit)."""
        deadline = Deadline(self.timeout_s)
        try:
            with receipt_deadline(self.timeout_s) as deadline:
                doc = self.pipeline.process(source)
            record = doc.to_dict()
        except Exception as exc:  # noqa: BLE001 - one bad receipt must not end a batch
            return error_record(source, deadline.error() if deadline.expired else exc)
        # The source string is the batch's key for resuming, so it is the exact string
        # the batch was given, whatever name the loader put in the document.
        record["source"] = source
        return record

    def run(self, source: str) -> WorkResult:
        record = self.process_one(source)
        return WorkResult(record=record, pid=os.getpid(), peak_rss_mb=peak_rss_mb(), cpu_s=cpu_seconds())


# ---- one worker per process, for process pools ------------------------------------
_PROCESS_WORKER: Worker | None = None
_PROCESS_INIT_ERROR: BaseException | None = None


def init_process_worker(config_dict: dict[str, Any], threads: int, timeout_s: float | None = None) -> None:
    """Pool initializer: cap threads, then build this process's pipeline once.

    A pipeline that cannot be built (model missing, engine not installed) is
    remembered and reported back as a fatal result rather than crashing the pool,
    so the user sees the cause instead of a broken-pool traceback.
    """
    global _PROCESS_WORKER, _PROCESS_INIT_ERROR
    limit_threads(threads)
    try:
        _PROCESS_WORKER = Worker(config_from_dict(config_dict), timeout_s=timeout_s)
    except Exception as exc:  # noqa: BLE001
        _PROCESS_INIT_ERROR = exc


def process_in_worker(source: str) -> WorkResult:
    """Task function of the local pool: runs in a pool process set up by `init_process_worker`."""
    if _PROCESS_WORKER is None:
        exc = _PROCESS_INIT_ERROR or RuntimeError("worker process was not initialised")
        return WorkResult(record=error_record(source, exc), pid=os.getpid(), peak_rss_mb=peak_rss_mb(), fatal=True)
    return _PROCESS_WORKER.run(source)


def config_from_dict(d: dict[str, Any]) -> PipelineConfig:
    """Rebuild a PipelineConfig from `PipelineConfig.to_dict()` (what crosses process boundaries)."""
    from pathlib import Path

    from ..config import LoadLimits

    d = dict(d)
    if isinstance(d.get("limits"), dict):
        d["limits"] = LoadLimits(**d["limits"])
    for key in ("entity_db", "model_dir"):
        if d.get(key):
            d[key] = Path(d[key])
    known = set(PipelineConfig.__dataclass_fields__)
    return PipelineConfig(**{k: v for k, v in d.items() if k in known})
