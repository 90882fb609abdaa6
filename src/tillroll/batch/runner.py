"""One batch from start to end: expand inputs, resume from the output, run an engine, write.

`BatchJob` is what `tillroll batch` runs and what a Python user calls:

    from tillroll.batch import BatchJob
    job = BatchJob(["scans/"], "results.jsonl", workers=2)
    stats = job.run()
    print(stats.processed, stats.failed, stats.throughput)

Results are written by the driver process only (workers send records back), so
there is one writer per output file and no locking is needed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..config import PipelineConfig
from ..errors import BatchError, ConfigError
from .inputs import expand_inputs
from .sinks import Sink, open_sink
from .worker import WorkResult, is_error_record

ENGINES = ("local", "ray")
MAX_FAILURES_KEPT = 50  # failures remembered for the summary; all are in the output anyway


class Engine(Protocol):
    name: str

    def results(self, sources: list[str]) -> Iterator[WorkResult]: ...


@dataclass
class BatchStats:
    total: int = 0  # sources named by the inputs
    already_done: int = 0  # found in the output from an earlier run, skipped
    already_failed: int = 0  # ... of which are error records (retry with retry_failed)
    to_do: int = 0  # sources this run processes
    processed: int = 0  # this run: succeeded
    failed: int = 0  # this run: error records written
    started_at: float = field(default_factory=time.perf_counter)
    elapsed_s: float = 0.0
    worker_peak_rss_mb: dict[int, float] = field(default_factory=dict)  # pid -> peak RSS
    worker_cpu_s: dict[int, float] = field(default_factory=dict)  # pid -> CPU seconds used (incl. start-up)
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def finished(self) -> int:
        return self.processed + self.failed

    @property
    def throughput(self) -> float:
        """Receipts per second in this run (successes and failures alike: both cost work)."""
        return self.finished / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def any_failed(self) -> bool:
        """True if the output holds an error record for any of this batch's sources."""
        return self.failed + self.already_failed > 0

    @property
    def max_worker_rss_mb(self) -> float:
        return max(self.worker_peak_rss_mb.values(), default=0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "already_done": self.already_done,
            "already_failed": self.already_failed,
            "to_do": self.to_do,
            "processed": self.processed,
            "failed": self.failed,
            "elapsed_s": round(self.elapsed_s, 3),
            "throughput_per_s": round(self.throughput, 4),
            "workers_seen": len(self.worker_peak_rss_mb),
            "max_worker_peak_rss_mb": self.max_worker_rss_mb,
            "worker_peak_rss_mb": sorted(self.worker_peak_rss_mb.values()),
            "worker_cpu_s": round(sum(self.worker_cpu_s.values()), 2),
        }


def _is_inside(path: str, owned: list[Path]) -> bool:
    p = Path(path)
    return any(p == o or o in p.parents for o in owned)


class BatchJob:
    def __init__(
        self,
        inputs: list[str],
        out: str | Path,
        *,
        config: PipelineConfig | None = None,
        engine: str = "local",
        workers: int | None = None,
        threads_per_worker: int | None = None,
        fmt: str | None = None,
        retry_failed: bool = False,
        ray_address: str | None = None,
        ray_runtime_env: dict[str, Any] | None = None,
        rows_per_part: int = 500,
        timeout_s: float | None = None,
    ) -> None:
        if engine not in ENGINES:
            raise ConfigError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
        if not inputs:
            raise ConfigError("give at least one INPUT: a folder, a glob, a list file or a file")
        self.inputs = list(inputs)
        self.out = Path(os.path.abspath(out))
        self.config = config or PipelineConfig()
        self.engine_name = engine
        self.workers = workers
        self.threads_per_worker = threads_per_worker
        self.retry_failed = retry_failed
        self.ray_address = ray_address
        self.ray_runtime_env = ray_runtime_env
        if timeout_s is not None and timeout_s <= 0:
            raise ConfigError("--timeout must be a positive number of seconds")
        self.timeout_s = timeout_s
        self.sink: Sink = open_sink(self.out, fmt, rows_per_part=rows_per_part)
        self.stats = BatchStats()
        self.sources: list[str] = []
        self.todo: list[str] = []
        self._prepared = False

    def make_engine(self) -> Engine:
        if self.engine_name == "ray":
            from .ray_engine import RayEngine

            return RayEngine(
                self.config, self.workers, self.threads_per_worker, address=self.ray_address, runtime_env=self.ray_runtime_env, timeout_s=self.timeout_s
            )
        from .local import LocalEngine

        return LocalEngine(self.config, self.workers, self.threads_per_worker, timeout_s=self.timeout_s)

    def expand_sources(self) -> list[str]:
        """The INPUTs' sources, minus the files this batch writes (an output inside an input folder)."""
        owned = [Path(os.path.abspath(p)) for p in self.sink.owned_paths()]
        return [s for s in expand_inputs(self.inputs) if not _is_inside(s, owned)]

    def prepare(self) -> BatchStats:
        """Expand inputs and read the output so far; after this `stats.to_do` is known."""
        if self._prepared:
            return self.stats
        self._prepared = True
        # Before any receipt is read: an unusable data folder or output is one clear error.
        self.config.check_data_dir()
        self.sources = self.expand_sources()
        with self._output_errors():
            done = self.sink.open()
            if self.retry_failed:
                retry = {s for s in self.sources if done.get(s) is False}
                self.sink.forget(retry)
                for s in retry:
                    del done[s]
        self.todo = [s for s in self.sources if s not in done]
        st = self.stats
        st.total = len(self.sources)
        st.already_done = st.total - len(self.todo)
        st.already_failed = sum(1 for s in self.sources if done.get(s) is False)
        st.to_do = len(self.todo)
        return st

    def run(self, on_result: Callable[[dict[str, Any], BatchStats], None] | None = None) -> BatchStats:
        """Process every source not yet in the output; the sink is closed however this ends."""
        st = self.stats
        try:
            self.prepare()
            st.started_at = time.perf_counter()
            if self.todo:
                for result in self.make_engine().results(self.todo):
                    if result.fatal:
                        raise BatchError(
                            f"workers cannot build the extraction pipeline, so every receipt would fail: "
                            f"{result.record.get('type')}: {result.record.get('message')}"
                        )
                    with self._output_errors():
                        self.sink.write(result.record)
                    if result.pid > 0:
                        st.worker_peak_rss_mb[result.pid] = max(result.peak_rss_mb, st.worker_peak_rss_mb.get(result.pid, 0.0))
                        st.worker_cpu_s[result.pid] = max(result.cpu_s, st.worker_cpu_s.get(result.pid, 0.0))
                    if is_error_record(result.record):
                        st.failed += 1
                        if len(st.failures) < MAX_FAILURES_KEPT:
                            st.failures.append(result.record)
                    else:
                        st.processed += 1
                    st.elapsed_s = time.perf_counter() - st.started_at
                    if on_result is not None:
                        on_result(result.record, st)
        finally:
            st.elapsed_s = time.perf_counter() - st.started_at
            with self._output_errors():
                self.sink.close()
        return st

    @contextmanager
    def _output_errors(self) -> Iterator[None]:
        """An output that cannot be written (read-only disk, /proc, a full disk) is a BatchError, not a traceback."""
        try:
            yield
        except OSError as exc:
            reason = exc.strerror or str(exc)
            where = exc.filename or self.out
            raise BatchError(f"cannot write the results to {where} ({reason}); choose an --out on a writable disk") from exc
