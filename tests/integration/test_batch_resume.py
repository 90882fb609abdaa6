"""A batch killed with SIGKILL midway resumes on re-run: every input ends up in the output exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from batch_support import REPO, batch_command, run_batch_cli, write_image_receipt, write_text_pdf_receipts

from tillroll.batch.sinks import PENDING_LOG, iter_csv, read_records


def _stored_count(out: Path, fmt: str) -> int:
    """Complete records on disk right now (what a crash would leave)."""
    if fmt == "jsonl":
        return out.read_bytes().count(b"\n") if out.exists() else 0
    if fmt == "csv":
        return max(0, out.read_bytes().count(b"\r\n") - 1) if out.exists() else 0
    import pyarrow.parquet as pq

    log = out / PENDING_LOG
    in_parts = sum(pq.ParquetFile(p).metadata.num_rows for p in out.glob("part-*.parquet")) if out.is_dir() else 0
    return in_parts + (log.read_bytes().count(b"\n") if log.exists() else 0)


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _kill_midway(args: list[str], out: Path, fmt: str, after: int, total: int) -> None:
    """Start `tillroll batch`, SIGKILL the driver once `after` records are stored, check its workers go too."""
    proc = subprocess.Popen(batch_command(*args), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 150
        while _stored_count(out, fmt) < after:
            assert proc.poll() is None, f"batch ended before it could be killed: {proc.stderr.read().decode()[-2000:]}"  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "batch wrote too few results in time"
            workers.update(_children(proc.pid))
            time.sleep(0.01)
        workers.update(_children(proc.pid))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    stored = _stored_count(out, fmt)
    assert after <= stored < total, "the kill must land midway"
    # Workers must not outlive a killed driver (they would hold memory for nothing).
    deadline = time.monotonic() + 20
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    leftovers = [p for p in workers if _alive(p)]
    for p in leftovers:
        os.kill(p, signal.SIGKILL)
    assert not leftovers, "worker processes outlived the killed batch"


def _sources_in_output(out: Path, fmt: str) -> Counter[str]:
    if fmt == "csv":
        return Counter(row["source"] for row in iter_csv(out))
    return Counter(r["source"] for r in read_records(out))


# JSONL runs by default; the CSV and Parquet variants cost a minute more on a 2-core
# machine and their crash handling is also covered in-process by test_batch_sinks.py.
@pytest.mark.parametrize("fmt", ["jsonl", pytest.param("csv", marks=pytest.mark.slow), pytest.param("parquet", marks=pytest.mark.slow)])
def test_batch_resume_after_sigkill_writes_every_input_once(tmp_path: Path, fmt: str) -> None:
    inputs = write_text_pdf_receipts(tmp_path / "in", 120)
    out = tmp_path / f"results.{fmt}"
    args = [str(tmp_path / "in"), "--out", str(out), "--workers", "2", "--rows-per-part", "25", "-q"]

    _kill_midway(args, out, fmt, after=20, total=len(inputs))
    # A crash can also cut the last record in half: simulate the torn write.
    torn = {"jsonl": out, "csv": out, "parquet": out / PENDING_LOG}[fmt]
    with open(torn, "ab") as f:
        f.write(b'{"source": "/half/written' if fmt != "csv" else b'/half/written.pdf,ok,,,"unfinished')

    resumed = run_batch_cli(*args)
    assert resumed.returncode == 0, resumed.stderr
    assert "already done" in resumed.stderr

    counts = _sources_in_output(out, fmt)
    assert set(counts) == {str(p) for p in inputs}
    assert max(counts.values()) == 1, [s for s, n in counts.items() if n > 1][:5]
    if fmt == "csv":
        # Line items belong to receipts in the main file, and none is doubled.
        items = Counter((row["source"], row["item"]) for row in iter_csv(tmp_path / "results.line_items.csv"))
        assert max(items.values(), default=1) == 1
        assert {s for s, _ in items} <= set(counts)
    else:
        by_source = {r["source"]: r for r in read_records(out)}
        sample = by_source[str(inputs[7])]
        assert [w["text"] for w in sample["words"]][:2] == ["SHOP", "7"]

    # A third run finds nothing left to do and changes nothing.
    before = _sources_in_output(out, fmt)
    again = run_batch_cli(*args)
    assert again.returncode == 0 and "120 already done" in again.stderr
    assert _sources_in_output(out, fmt) == before


@pytest.mark.slow
def test_batch_resume_after_sigkill_with_ocr_of_scanned_receipts(tmp_path: Path) -> None:
    """The same guarantee when receipts go through real OCR (seconds each, so kills land mid-OCR)."""
    inputs = [write_image_receipt(tmp_path / "in" / f"scan{i}.png", [f"SHOP {i}", f"TOTAL {i}.50"]) for i in range(6)]
    out = tmp_path / "results.jsonl"
    args = [str(tmp_path / "in"), "--out", str(out), "--workers", "2", "-q"]
    _kill_midway(args, out, "jsonl", after=2, total=len(inputs))

    resumed = run_batch_cli(*args)
    assert resumed.returncode == 0, resumed.stderr
    records = read_records(out)
    assert Counter(r["source"] for r in records) == Counter(str(p) for p in inputs)
    for r in records:
        i = Path(r["source"]).stem.removeprefix("scan")
        assert [w["text"] for w in r["words"]] == ["SHOP", i, "TOTAL", f"{i}.50"]
