"""Workers survive what single receipts do to them: a killed process, a receipt that takes too long."""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

import pytest
from batch_support import write_text_pdf_receipts

from tillroll.batch.local import LocalEngine
from tillroll.config import PipelineConfig


@pytest.mark.slow  # two pool start-ups: ~15 s on an idle 2-core machine, a minute under load
def test_batch_local_engine_retries_receipts_of_a_killed_worker(tmp_path: Path) -> None:
    sources = [str(p) for p in write_text_pdf_receipts(tmp_path, 16)]
    engine = LocalEngine(PipelineConfig(), workers=2)
    results = []
    killed = None
    for result in engine.results(sources):
        results.append(result)
        if len(results) == 3:
            killed = result.pid
            os.kill(killed, signal.SIGKILL)
    counts = Counter(r.record["source"] for r in results)
    assert counts == Counter(sources)  # every receipt once, none lost with the dead worker
    assert not [r.record for r in results if "error" in r.record]  # one crash alone convicts nobody
    # Work went on in a live process (the dead worker's already finished results may
    # still arrive after the kill, so its pid can recur, but not only its pid).
    assert killed is not None and {r.pid for r in results[3:]} - {killed}


def test_batch_local_engine_timeout_gives_error_record_and_worker_goes_on(tmp_path: Path) -> None:
    from batch_support import write_image_receipt

    from tillroll.batch.worker import Worker

    slow = write_image_receipt(tmp_path / "scan.png", ["CAFE LUNA " * 4, "TOTAL 3.50"] * 15)
    fast = write_text_pdf_receipts(tmp_path, 1)[0]
    worker = Worker(PipelineConfig(), timeout_s=1.0)  # OCR of 30 lines takes several seconds, a PDF text layer ms
    record = worker.process_one(str(slow))
    assert (record["error"], record["type"], record["source"]) == ("timeout", "ProcessingTimeoutError", str(slow)), record
    assert "--timeout" in record["message"]
    # The same worker, and its pipeline, still work (a PDF text layer needs no OCR).
    assert [w["text"] for w in worker.process_one(str(fast))["words"]][:2] == ["SHOP", "0"]
    assert "error" not in Worker(PipelineConfig(), timeout_s=None).process_one(str(slow))
