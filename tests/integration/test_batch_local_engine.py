"""The local engine survives a worker process that dies mid-batch (OOM killer, crash in native code)."""

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
    assert killed is not None and killed not in {r.pid for r in results[3:]}  # a fresh pool took over
