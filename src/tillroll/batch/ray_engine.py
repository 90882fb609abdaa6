"""The Ray engine: the same per-receipt work, scheduled by Ray Data on one machine or a cluster.

The job is one Ray Data pipeline:

    from_items([{"source": path}, ...])            sources still to do (resume filters first)
      -> map_batches(RayExtractor, concurrency=N)  an actor pool; each actor holds one pipeline
      -> iter_rows() on the driver                 results stream back as they finish

and the driver writes every result through the same sinks as the local engine,
so the output file, its flushing and resuming are identical whichever engine
ran. Ray's own writers (`write_parquet`, `write_json`) are not used: they write
a file per block when a block completes and know nothing of which receipts an
earlier, interrupted run already finished.

Actors read the receipt files themselves, so on a cluster every node must see
the inputs under the same path (a shared volume such as NFS); see docs/batch.md.
Records travel back as JSON text: a schema-v1 document and an error record have
different shapes, which Arrow blocks could not hold in one column otherwise.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from typing import Any

from ..config import PipelineConfig
from ..errors import BatchError, ConfigError, EngineUnavailableError
from .worker import Worker, WorkResult, config_from_dict, cpu_seconds, error_record, limit_threads, peak_rss_mb

# Sources per input block. One receipt per block lets each result stream back the
# moment it is ready (a block is Ray Data's unit of scheduling and of output); larger
# blocks keep the number of Ray objects bounded on very large batches, at the cost of
# results arriving in groups.
MAX_BLOCKS = 20_000
# How long a pool that fits the cluster may take to load every actor's pipeline before work starts.
ACTOR_START_TIMEOUT_S = 600


def _import_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise EngineUnavailableError("the ray engine needs Ray Data: pip install 'tillroll[ray]'") from exc
    return ray


class RayExtractor:
    """Callable class for `map_batches`: Ray builds it once per actor, then calls it per batch."""

    def __init__(self, config_dict: dict[str, Any], threads: int = 1, timeout_s: float | None = None) -> None:
        limit_threads(threads)
        self.worker: Worker | None = None
        self.init_error: BaseException | None = None
        try:
            self.worker = Worker(config_from_dict(config_dict), timeout_s=timeout_s)
        except Exception as exc:  # noqa: BLE001 - reported per batch as a fatal result
            self.init_error = exc

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"record_json": [], "pid": [], "peak_rss_mb": [], "cpu_s": [], "fatal": []}
        for source in batch["source"]:
            source = str(source)
            if self.worker is None:
                record, fatal = error_record(source, self.init_error or RuntimeError("pipeline not built")), True
            else:
                record, fatal = self.worker.process_one(source), False
            out["record_json"].append(json.dumps(record, ensure_ascii=False))
            out["pid"].append(os.getpid())
            out["peak_rss_mb"].append(peak_rss_mb())
            out["cpu_s"].append(cpu_seconds())
            out["fatal"].append(fatal)
        return out


class RayEngine:
    """Runs sources through an actor pool of `workers` Ray actors, one CPU each."""

    name = "ray"

    def __init__(
        self,
        config: PipelineConfig,
        workers: int | None = None,
        threads_per_worker: int | None = None,
        address: str | None = None,
        runtime_env: dict[str, Any] | None = None,
        num_cpus: int | None = None,
        timeout_s: float | None = None,
    ) -> None:
        if workers is not None and workers < 1:
            raise ConfigError("--workers must be at least 1")
        self.config = config
        self.workers = workers
        self.threads_per_worker = max(1, threads_per_worker or 1)  # a Ray actor asks the cluster for this many CPUs
        self.address = address
        self.runtime_env = runtime_env
        self.num_cpus = num_cpus
        self.timeout_s = timeout_s
        self._started_ray = False

    def _connect(self) -> Any:
        ray = _import_ray()
        import logging

        # Ray Data logs every stage start and finish at INFO; tillroll shows its own progress.
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        if ray.is_initialized():
            return ray  # the caller (a notebook, a test) runs Ray already: use it as it is
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if self.runtime_env:
            kwargs["runtime_env"] = self.runtime_env
        if self.address:
            kwargs["address"] = self.address
        elif os.environ.get("RAY_ADDRESS"):
            pass  # Ray joins the cluster named by RAY_ADDRESS (as `ray job submit` sets it)
        else:
            # A private local Ray sized to this machine (or to --workers, whichever is smaller).
            from .local import available_cpus

            kwargs["num_cpus"] = self.num_cpus or max((self.workers or 0) * self.threads_per_worker, available_cpus())
            # The object store only carries source paths and JSON results: keep it small
            # rather than Ray's default of 30 % of RAM on a machine shared with others.
            kwargs["object_store_memory"] = 256 * 1024 * 1024
        try:
            ray.init(**kwargs)
        except Exception as exc:  # ConnectionError, ValueError, RuntimeError, depending on what is wrong
            where = self.address or os.environ.get("RAY_ADDRESS") or "a new local Ray"
            raise BatchError(
                f"cannot start or join Ray ({where}): {type(exc).__name__}: {exc}; for a cluster, start it with `ray start --head` and check --ray-address"
            ) from exc
        self._started_ray = True
        return ray

    def results(self, sources: list[str]) -> Iterator[WorkResult]:
        if not sources:
            return
        ray = self._connect()
        try:
            cluster_cpus = int(ray.cluster_resources().get("CPU", 0))
            workers = self.workers or max(1, cluster_cpus // self.threads_per_worker)
            if workers * self.threads_per_worker > cluster_cpus:
                # Not an error: an autoscaling cluster may add nodes. Without one, the
                # actors that do not fit wait, and the batch runs with fewer of them.
                warnings.warn(
                    f"--workers {workers} x --threads-per-worker {self.threads_per_worker} needs {workers * self.threads_per_worker} CPUs "
                    f"but the Ray cluster has {cluster_cpus} now; actors that do not fit wait for CPUs to appear",
                    stacklevel=2,
                )
            ctx = ray.data.DataContext.get_current()
            if workers * self.threads_per_worker <= cluster_cpus:
                # Every actor loads its pipeline before the first receipt is handed out, so
                # the first to start cannot take the whole queue of a short batch. Only when
                # the pool fits: on a cluster still growing, the actors that wait must not block.
                ctx.wait_for_min_actors_s = ACTOR_START_TIMEOUT_S
            ctx.execution_options.preserve_order = False  # results in completion order, like the local pool
            ctx.enable_progress_bars = False  # tillroll draws its own
            ctx.print_on_execution_start = False
            ds = ray.data.from_items([{"source": s} for s in sources], override_num_blocks=min(len(sources), MAX_BLOCKS))
            ds = ds.map_batches(
                RayExtractor,
                fn_constructor_kwargs={"config_dict": self.config.to_dict(), "threads": self.threads_per_worker, "timeout_s": self.timeout_s},
                batch_size=1,
                batch_format="numpy",
                # A fixed pool: every actor pays the pipeline load once, then stays busy. One
                # receipt queued per actor (as in the local pool) keeps actors fed without
                # letting the first actor to start hoard the queue.
                compute=ray.data.ActorPoolStrategy(size=workers, max_tasks_in_flight_per_actor=2),
                num_cpus=self.threads_per_worker,
            )
            rows = iter(ds.iter_rows())
            while True:
                try:
                    row = next(rows)
                except StopIteration:
                    break
                except Exception as exc:  # a Ray failure (lost node, actor that keeps dying)
                    raise BatchError(
                        f"the Ray job failed ({type(exc).__name__}: {exc}); every result received so far is saved, run the same command again to continue"
                    ) from exc
                yield WorkResult(
                    record=json.loads(row["record_json"]),
                    pid=int(row["pid"]),
                    peak_rss_mb=float(row["peak_rss_mb"]),
                    cpu_s=float(row["cpu_s"]),
                    fatal=bool(row["fatal"]),
                )
        finally:
            if self._started_ray:
                ray.shutdown()
                self._started_ray = False
