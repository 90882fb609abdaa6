"""What the evaluation commands share: the OCR engine behind the cache, progress bars, the run's environment."""

from __future__ import annotations

import datetime as _dt
import platform
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import OCR_ENGINES
from ..errors import ConfigError
from ..ocr.base import get_engine
from ..ocr.cache import CachedEngine

# "gold": the annotation's own words, no OCR at all.
OCR_CHOICES = (*OCR_ENGINES, "gold")


def progress_iter(items: Iterable[Any], total: int | None, description: str, enabled: bool = True) -> Iterable[Any]:
    """Iterate with a rich progress bar on stderr (plain iteration when disabled or not a terminal)."""
    if not enabled:
        yield from items
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False, disable=not console.is_terminal) as bar:
        task = bar.add_task(description, total=total)
        for item in items:
            yield item
            bar.advance(task)


def cached_engine(name: str, cache_dir: str | Path | None = None, **options: Any) -> CachedEngine:
    """`name`'s engine (built with `options`) behind the shared OCR cache."""
    if name == "gold":
        raise ConfigError("'gold' is not an OCR engine; the runner feeds gold words itself")
    return CachedEngine(get_engine(name, **options), cache_dir=cache_dir)


def environment() -> dict[str, Any]:
    import os

    return {
        "tillroll": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["tillroll", *sys.argv[1:]]) if sys.argv and sys.argv[0].endswith("tillroll") else " ".join(sys.argv),
    }


# Located / total per entity, as the alignment numbers are reported.
def _rates(counts: dict[str, list[int]]) -> dict[str, Any]:
    found = sum(c[0] for c in counts.values())
    total = sum(c[1] for c in counts.values())
    return {
        "per_entity": {k: {"located": c[0], "of": c[1], "rate": round(c[0] / c[1], 4) if c[1] else None} for k, c in sorted(counts.items())},
        "located": found,
        "of": total,
        "rate": round(found / total, 4) if total else None,
    }
