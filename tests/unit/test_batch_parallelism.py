"""Batch defaults: workers x threads per worker fill the cores unless the user sets both."""

from __future__ import annotations

from tillroll.batch.local import LocalEngine, available_cpus
from tillroll.batch.worker import plan_parallelism
from tillroll.config import PipelineConfig


def test_plan_fills_the_cores_with_what_the_user_left_out() -> None:
    assert plan_parallelism(8) == (8, 1)  # default: one single-thread worker per core
    assert plan_parallelism(8, workers=2) == (2, 4)
    assert plan_parallelism(8, threads=4) == (2, 4)
    assert plan_parallelism(8, workers=3) == (3, 2)  # never more threads than cores
    assert plan_parallelism(2, workers=4) == (4, 1)  # at least one thread each
    assert plan_parallelism(2, threads=8) == (1, 8)
    assert plan_parallelism(16, workers=3, threads=3) == (3, 3)  # both given: kept as given


def test_local_engine_gives_one_worker_every_core() -> None:
    engine = LocalEngine(PipelineConfig(), workers=1)
    assert (engine.workers, engine.threads_per_worker) == (1, available_cpus())
    engine = LocalEngine(PipelineConfig())
    assert engine.workers * engine.threads_per_worker == available_cpus()
