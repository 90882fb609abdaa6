"""The local batch engine: a pool of worker processes on this machine.

Each process builds one pipeline when it starts (`init_process_worker`) and
then extracts receipts one at a time. Processes, not threads, because OCR and
the classifier hold the GIL in places and because a crash in native code (an
image that trips a decoder) must not take the batch down with it.

Crash handling: when a worker process dies (segfault, killed by the OS), every
receipt in flight becomes a *suspect*. Suspects are retried one at a time in a
fresh pool; a receipt that was in flight at two crashes, the last time alone,
gets a `worker_crashed` error record and the batch goes on. (One crash alone
is not proof: the OOM killer may pick a worker for another process's sins.)
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ..config import PipelineConfig
from ..errors import ConfigError
from .worker import WorkResult, init_process_worker, plan_parallelism, process_in_worker

# Receipts queued per worker beyond the one it is working on: enough that a worker
# never waits for the parent, few enough that a crash or Ctrl-C loses little.
_QUEUED_PER_WORKER = 1


def available_cpus() -> int:
    """CPUs this process may run on (respects taskset/cgroup affinity where the OS tells)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def crashed_record(source: str) -> dict[str, Any]:
    return {
        "source": source,
        "error": "worker_crashed",
        "type": "WorkerCrashed",
        "message": "the worker process died while reading this file (a crash in native code, or killed by the OS for memory); "
        "check the file opens in an image viewer, or retry it alone with `tillroll extract`",
    }


def _exit_with_parent(parent_pid: int, every_s: float = 1.0) -> None:
    """Watchdog thread body: end this worker when the batch process that started it is gone.

    A killed batch (SIGKILL, OOM killer) cannot stop its pool, and a worker blocked
    waiting for work would otherwise live on, holding its models in memory.
    """
    while True:
        time.sleep(every_s)
        if os.getppid() != parent_pid:
            os._exit(1)


def _init_pool_process(config_dict: dict[str, Any], threads: int, timeout_s: float | None) -> None:
    # Ctrl-C reaches every process of the terminal's process group; only the parent
    # should react (it stops the pool and closes the output cleanly).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True, name="exit-with-parent").start()
    init_process_worker(config_dict, threads, timeout_s)


class LocalEngine:
    """Runs sources through `workers` processes, yielding results as they complete."""

    name = "local"

    def __init__(self, config: PipelineConfig, workers: int | None = None, threads_per_worker: int | None = None, timeout_s: float | None = None) -> None:
        if workers is not None and workers < 1:
            raise ConfigError("--workers must be at least 1")
        if threads_per_worker is not None and threads_per_worker < 1:
            raise ConfigError("--threads-per-worker must be at least 1")
        self.config = config
        self.workers, self.threads_per_worker = plan_parallelism(available_cpus(), workers, threads_per_worker)
        self.timeout_s = timeout_s

    def _new_pool(self) -> ProcessPoolExecutor:
        # "spawn": a fresh interpreter per worker. Forking a parent that already runs
        # threads (the progress bar) or has loaded onnxruntime can deadlock.
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_pool_process,
            initargs=(self.config.to_dict(), self.threads_per_worker, self.timeout_s),
        )

    @staticmethod
    def _stop(pool: ProcessPoolExecutor) -> None:
        """Stop a pool now: queued work is dropped, running workers are terminated."""
        processes = list(getattr(pool, "_processes", {}).values())  # no public API for this
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)

    def results(self, sources: list[str]) -> Iterator[WorkResult]:
        pending: deque[str] = deque(sources)
        suspects: deque[str] = deque()
        crashes: dict[str, int] = {}
        in_flight: dict[Future[WorkResult], str] = {}
        pool = self._new_pool()
        finished_normally = False
        try:
            while pending or suspects or in_flight:
                # Suspects of a crash run strictly alone so that the guilty one is known.
                if suspects:
                    if not in_flight:
                        source = suspects.popleft()
                        in_flight[pool.submit(process_in_worker, source)] = source
                else:
                    while pending and len(in_flight) < self.workers * (1 + _QUEUED_PER_WORKER):
                        source = pending.popleft()
                        in_flight[pool.submit(process_in_worker, source)] = source
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                crashed: list[str] = []
                for future in done:
                    source = in_flight.pop(future)
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        crashed.append(source)
                if crashed:
                    crashed.extend(in_flight.values())  # the whole pool is gone
                    in_flight.clear()
                    self._stop(pool)
                    pool = self._new_pool()
                    for source in crashed:
                        crashes[source] = crashes.get(source, 0) + 1
                    if len(crashed) == 1 and crashes[crashed[0]] >= 2:
                        yield WorkResult(record=crashed_record(crashed[0]), pid=-1, peak_rss_mb=0.0)
                    else:
                        suspects.extend(crashed)
            finished_normally = True
        finally:
            if finished_normally:
                pool.shutdown(wait=True)
            else:  # Ctrl-C, a fatal result, or the consumer stopped early
                self._stop(pool)
