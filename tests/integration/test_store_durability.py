"""SIGKILL the server while reviewers are saving: every acknowledged correction must survive."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

pytest.importorskip("uvicorn")

from reviewkit import rendered_receipt, server_process  # noqa: E402

from tillroll.server.store import ReviewStore  # noqa: E402

WRITERS = 3


def test_store_durability_sigkill_during_saves_loses_no_committed_correction(tmp_path: Path) -> None:
    data_dir = tmp_path / "review"
    store = ReviewStore(data_dir)
    doc, _, data = rendered_receipt()
    receipt_id = store.add(doc, data, original_name="cafe.png", media_format="png")

    acknowledged: list[tuple[str, str, int]] = []  # (author, value, revision) of every 200 answer
    lock = threading.Lock()
    stop = threading.Event()

    with server_process(data_dir, tmp_path) as (base, proc):

        def writer(n: int) -> None:
            with httpx.Client(base_url=base, timeout=10) as client:
                i = 0
                while not stop.is_set():
                    author, value = f"writer{n}-{i}", f"{n}{i:05d}.00"
                    try:
                        response = client.put(f"/api/receipts/{receipt_id}", json={"author": author, "fields": {"total": {"value": value}}})
                    except httpx.HTTPError:
                        return  # the server is gone
                    if response.status_code == 200:
                        with lock:
                            acknowledged.append((author, value, response.json()["revision"]))
                    i += 1

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 30 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)  # mid-flight: writers have requests in progress right now
        proc.wait(timeout=30)
        stop.set()
        for t in threads:
            t.join(timeout=30)

    assert proc.returncode == -signal.SIGKILL
    assert len(acknowledged) >= 30, "the writers did not get enough saves through before the kill"

    with sqlite3.connect(data_dir / "review.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    reopened = ReviewStore(data_dir)
    history = reopened.corrections(receipt_id)
    by_author = {c["author"]: c for c in history}
    for author, value, revision in acknowledged:
        assert author in by_author, f"acknowledged correction {author} (revision {revision}) was lost"
        assert by_author[author]["revision"] == revision
        assert by_author[author]["changes"]["fields"][0]["after"] == value
    # The receipt is consistent with its last committed correction.
    receipt = reopened.get(receipt_id)
    assert receipt.summary.revision == len(history) == history[-1]["revision"]
    assert receipt.document["fields"]["total"]["value"] == history[-1]["changes"]["fields"][0]["after"]
    assert receipt.prediction == doc.to_dict()  # the original prediction is untouched
