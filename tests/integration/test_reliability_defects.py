"""Issue 18's defects D1-D9: each test here failed on the code before the fix (see docs/reliability.md)."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest
from batch_support import REPO, run_batch_cli, write_image_receipt

from tillroll.batch.inputs import walk_directory
from tillroll.batch.runner import BatchJob
from tillroll.config import LoadLimits, PipelineConfig
from tillroll.errors import BatchError, DataDirError, FileTooLargeError, ImageTooLargeError, InputNotFoundError
from tillroll.io.load import load_document, read_limited

SMALL = LoadLimits(max_bytes=2 * 1024 * 1024)


def cli(*args: str, stdin: object = None, env: dict[str, str] | None = None, timeout: float = 240) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-c", "from tillroll.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, timeout=timeout, env={**os.environ, **(env or {})}, cwd=REPO, stdin=stdin)  # type: ignore[call-overload]


# ---- D1: size limits while reading, for paths, stdin, pipes and devices ----------------


class _Endless(io.RawIOBase):
    """A stream that never ends, counting what was read from it."""

    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        n = len(buffer)
        buffer[:n] = b"\x00" * n
        self.served += n
        return n


def test_d1_device_is_refused_after_reading_the_limit() -> None:
    started = time.monotonic()
    with pytest.raises(FileTooLargeError, match="larger than the limit of 2.1 MB"):
        load_document("/dev/zero", limits=SMALL)
    assert time.monotonic() - started < 10


def test_d1_endless_stream_is_read_only_to_the_limit_plus_one() -> None:
    stream = _Endless()
    with pytest.raises(FileTooLargeError):
        read_limited(stream, SMALL.max_bytes, "<stdin>")  # type: ignore[arg-type]
    assert stream.served == SMALL.max_bytes + 1
    with pytest.raises(FileTooLargeError):
        load_document(io.BufferedReader(_Endless()), limits=SMALL, name="<stdin>")


def test_d1_named_pipe_fed_forever_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "feed"
    os.mkfifo(fifo)
    stop = threading.Event()

    def feed() -> None:
        try:
            with open(fifo, "wb") as f:
                while not stop.is_set():
                    f.write(b"\xff" * 65536)
        except (BrokenPipeError, OSError):
            pass  # the reader gave up, as it should

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        with pytest.raises(FileTooLargeError):
            load_document(fifo, limits=SMALL)
    finally:
        stop.set()
        writer.join(timeout=10)


def test_d1_cli_refuses_endless_stdin_with_little_memory() -> None:
    # Peak memory of the child measured by a parent of its own, so nothing else counts.
    probe = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run([sys.executable, '-c', 'from tillroll.cli import main; main()', 'extract', '-', '--model', 'rules'],"
        " stdin=open('/dev/zero', 'rb'), capture_output=True, timeout=200)\n"
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.stderr.write(r.stderr.decode())\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=240, cwd=REPO)
    code, peak_kib = (int(v) for v in result.stdout.split())
    assert code == 1, result.stderr
    assert "larger than the limit" in result.stderr and "Traceback" not in result.stderr
    assert peak_kib < 1024 * 1024, f"peak RSS {peak_kib / 1024:.0f} MiB"  # was 22.7 GB before the fix


# ---- D2: batch never writes over a file it did not create -------------------------------


@pytest.mark.parametrize(
    "name,content",
    [
        ("mydata.csv", b"name,amount\nrent,900\n"),  # the reported case: silently replaced
        ("mydata.csv", b"name;amount\r\nrent;900"),  # Windows line ends, no final newline
        ("mydata.jsonl", b'{"id": 1, "note": "mine"}'),  # no final newline: was cut to nothing
        ("mydata.line_items.csv", b"x,y\n1,2\n"),  # only the CSV's companion file exists
    ],
)
def test_d2_batch_refuses_a_users_file_and_leaves_it_untouched(tmp_path: Path, name: str, content: bytes) -> None:
    users = tmp_path / name
    users.write_bytes(content)
    out = tmp_path / ("mydata.jsonl" if name.endswith(".jsonl") else "mydata.csv")
    job = BatchJob([str(tmp_path)], out, config=PipelineConfig(model="rules", entity_db=tmp_path / "e.sqlite3"))
    with pytest.raises(BatchError, match="not written by tillroll batch"):
        job.prepare()
    job.sink.close()
    assert users.read_bytes() == content


def test_d2_batch_refuses_a_parquet_folder_it_did_not_create(tmp_path: Path) -> None:
    folder = tmp_path / "mydata.parquet"
    folder.mkdir()
    (folder / "draft.tmp").write_text("my notes")  # the old code deleted every *.tmp in the folder
    (folder / "table.parquet").write_bytes(b"PAR1")
    (tmp_path / "a.png").write_bytes(b"x")
    job = BatchJob([str(tmp_path / "a.png")], folder, config=PipelineConfig(model="rules", entity_db=tmp_path / "e.sqlite3"))
    with pytest.raises(BatchError, match="not written by tillroll batch"):
        job.prepare()
    assert sorted(p.name for p in folder.iterdir()) == ["draft.tmp", "table.parquet"]


def test_d2_cli_exits_2_and_keeps_the_users_csv(tmp_path: Path) -> None:
    receipt = write_image_receipt(tmp_path / "x.png", ["SHOP", "TOTAL 1.00"])
    users = tmp_path / "mydata.csv"
    users.write_text("date,amount\n2026-01-01,12.50\n")
    result = run_batch_cli(str(receipt), "--out", str(users), "--workers", "1")
    assert result.returncode == 2, result.stderr
    assert "not written by tillroll batch" in result.stderr and "Traceback" not in result.stderr
    assert users.read_text() == "date,amount\n2026-01-01,12.50\n"


def test_d2_own_results_still_resume(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"x")
    for fmt in ("jsonl", "csv"):
        out = tmp_path / f"r.{fmt}"
        job = BatchJob([str(tmp_path / "a.png")], out, config=PipelineConfig(model="rules", entity_db=tmp_path / "e.sqlite3"))
        job.prepare()
        job.sink.write({"source": str(tmp_path / "a.png"), "error": "not_found", "type": "InputNotFoundError", "message": "m"})
        job.sink.close()
        again = BatchJob([str(tmp_path / "a.png")], out, config=PipelineConfig(model="rules", entity_db=tmp_path / "e.sqlite3"))
        assert again.prepare().already_done == 1
        again.sink.close()


# ---- D3: an unwritable output is one line and exit status 2 -----------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_d3_unwritable_output_is_a_one_line_usage_error(tmp_path: Path, fmt: str) -> None:
    receipt = write_image_receipt(tmp_path / "x.png", ["SHOP", "TOTAL 1.00"])
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for out in (f"/proc/tillroll-no-such/results.{fmt}", str(blocker / "sub" / f"results.{fmt}")):
        result = run_batch_cli(str(receipt), "--out", out, "--workers", "1")
        assert result.returncode == 2, (out, result.stderr)
        assert "Traceback" not in result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "cannot write the results" in errors[0], result.stderr


# ---- D6: our own message for Pillow's decompression-bomb refusal --------------------------


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")


def test_d6_image_over_pillows_guard_gets_tillrolls_limit_message() -> None:
    data = _png_header_only(20_000, 10_000)  # 200 MP: above Pillow's own 179 MP refusal
    with pytest.raises(ImageTooLargeError) as caught:
        load_document(data, name="huge.png")
    message = caught.value.message
    assert "60.0 megapixels" in message and "200.0 megapixels" in message
    assert "DOS" not in message and "decompression bomb DOS" not in message


# ---- D7: TILLROLL_HOME that cannot be written ------------------------------------------


def test_d7_unwritable_home_is_a_typed_error_before_any_receipt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("TILLROLL_HOME", str(blocker / "home"))
    with pytest.raises(DataDirError, match="TILLROLL_HOME"):
        PipelineConfig().check_data_dir()
    job = BatchJob([str(tmp_path)], tmp_path / "r.jsonl", config=PipelineConfig(model="rules"))
    with pytest.raises(DataDirError):
        job.prepare()


def test_d7_cli_says_so_in_one_line_with_exit_2(tmp_path: Path) -> None:
    receipt = write_image_receipt(tmp_path / "x.png", ["SHOP", "TOTAL 1.00"])
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = cli("extract", str(receipt), "--model", "rules", env={"TILLROLL_HOME": str(blocker / "home")})
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert "internal error" not in stderr and "TILLROLL_HOME" in stderr
    assert len(stderr.strip().splitlines()) == 1


# ---- D8: broken links in a batch folder get error records ------------------------------


def test_d8_dangling_and_looping_links_are_sources(tmp_path: Path) -> None:
    (tmp_path / "dangling.jpg").symlink_to(tmp_path / "gone.jpg")
    (tmp_path / "loop-a.jpg").symlink_to(tmp_path / "loop-b.jpg")
    (tmp_path / "loop-b.jpg").symlink_to(tmp_path / "loop-a.jpg")
    found = [Path(p).name for p in walk_directory(tmp_path)]
    assert found == ["dangling.jpg", "loop-a.jpg", "loop-b.jpg"]
    for name in found:
        with pytest.raises(InputNotFoundError, match="symbolic link that leads nowhere"):
            load_document(tmp_path / name)


def test_d8_batch_writes_a_record_for_each_broken_link(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "dangling.jpg").symlink_to(folder / "gone.jpg")
    (folder / "loop.jpg").symlink_to(folder / "loop.jpg")
    out = tmp_path / "r.jsonl"
    result = run_batch_cli(str(folder), "--out", str(out), "--workers", "1", "--model", "rules")
    assert result.returncode == 1, result.stderr
    records = {Path(r["source"]).name: r for r in map(json.loads, out.read_text().splitlines())}
    assert set(records) == {"dangling.jpg", "loop.jpg"}
    assert all(r["error"] == "not_found" and "symbolic link" in r["message"] for r in records.values())


# ---- D9: library warnings are plain lines on a non-terminal stderr ---------------------


def test_d9_blank_image_warning_has_no_colour_codes(tmp_path: Path) -> None:
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("RGB", (400, 600), "white").save(blank)
    result = cli("extract", str(blank), "--model", "rules")
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr
    assert "\x1b[" not in stderr
    for line in stderr.splitlines():
        assert line.startswith(("warning: ", "error: ")), line
