"""Batch extraction: many receipts in, one results file out, resumable, on one machine or a Ray cluster.

- `inputs`: INPUT arguments (folders, globs, list files) -> sources
- `worker`: the per-receipt function (the same Pipeline as the CLI and server) and error records
- `sinks`: JSONL / CSV / Parquet writers that flush per record and know what is done
- `local`, `ray_engine`: the two engines that run workers
- `runner`: `BatchJob`, which ties them together (what `tillroll batch` calls)
"""

from __future__ import annotations

from typing import Any

__all__ = ["BatchJob", "BatchStats", "expand_inputs", "open_sink", "read_records"]


def __getattr__(name: str) -> Any:  # lazy, so `import tillroll.batch` stays light
    if name in ("BatchJob", "BatchStats"):
        from . import runner

        return getattr(runner, name)
    if name == "expand_inputs":
        from .inputs import expand_inputs

        return expand_inputs
    if name in ("open_sink", "read_records"):
        from . import sinks

        return getattr(sinks, name)
    raise AttributeError(f"module 'tillroll.batch' has no attribute {name!r}")
