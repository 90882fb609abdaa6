"""The Ray engine on a local Ray with 2 CPUs gives the same records as the local engine, and resumes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from batch_support import write_image_receipt, write_text_pdf_receipts

from tillroll.batch.runner import BatchJob
from tillroll.batch.sinks import read_records

ray = pytest.importorskip("ray", reason="the ray engine needs: pip install 'tillroll[ray]'")
pytest.importorskip("ray.data")


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=128 * 1024 * 1024, log_to_driver=False)
    yield ray
    ray.shutdown()


def _comparable(record: dict[str, Any]) -> dict[str, Any]:
    """A record without what legitimately differs between runs (timings)."""
    return {k: v for k, v in record.items() if k != "timings_ms"}


def test_batch_ray_engine_matches_local_engine_and_resumes(local_ray: Any, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_image_receipt(folder / "scan.png", ["CAFE LUNA", "TOTAL 3.50"])
    write_text_pdf_receipts(folder, 5)
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.txt").write_text("not a receipt")
    sources = sorted(str(p) for p in folder.iterdir())

    ray_out = tmp_path / "ray.jsonl"
    stats = BatchJob([str(folder)], ray_out, engine="ray", workers=2).run()
    assert (stats.processed, stats.failed) == (6, 2)
    assert len(stats.worker_peak_rss_mb) == 2  # two actors, each holding one pipeline
    ray_records = read_records(ray_out)
    assert sorted(r["source"] for r in ray_records) == sources

    local_out = tmp_path / "local.jsonl"
    BatchJob([str(folder)], local_out, engine="local", workers=1).run()
    by_source = {r["source"]: _comparable(r) for r in read_records(local_out)}
    assert {r["source"]: _comparable(r) for r in ray_records} == by_source
    assert [w["text"] for w in by_source[str(folder / "scan.png")]["words"]] == ["CAFE", "LUNA", "TOTAL", "3.50"]

    # Resume on Ray: a new input is the only work, nothing is written twice.
    write_text_pdf_receipts(folder / "late", 1, prefix="late")
    again = BatchJob([str(folder)], ray_out, engine="ray", workers=2)
    stats = again.run()
    assert (stats.already_done, stats.processed, stats.failed) == (8, 1, 0)
    counts = Counter(r["source"] for r in read_records(ray_out))
    assert len(counts) == 9 and set(counts.values()) == {1}
    assert ray.is_initialized()  # the engine used the caller's Ray and left it running
