"""Helpers for the server and review tests: receipts with known words, and a real server process.

`rendered_receipt` draws a receipt with Pillow and returns the document with
the exact box of every word it drew, so store, UI and durability tests can put
a receipt in the review store without running OCR (the store and the UI are
what they test); API tests that need OCR upload the PNG instead.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from samplekit import font  # noqa: E402
from tillroll.document import Document, Page, Word  # noqa: E402

RECEIPT_LINES = ["CAFE BORG", "12 Triq il-Kbira, Valletta", "Espresso 1 2.50", "Croissant 2 3.00", "TOTAL EUR 5.50"]


def rendered_receipt(lines: list[str] = RECEIPT_LINES, size: int = 28, margin: int = 24, name: str = "receipt.png") -> tuple[Document, Image.Image, bytes]:
    """(document with one word per drawn word, page image, PNG bytes)."""
    f = font(size)
    line_h = int(size * 1.6)
    width = max(int(f.getlength(t)) for t in lines) + 2 * margin
    img = Image.new("RGB", (width, line_h * len(lines) + 2 * margin), "white")
    draw = ImageDraw.Draw(img)
    words: list[Word] = []
    for li, line in enumerate(lines):
        y = margin + li * line_h
        x = margin
        for token in line.split(" "):
            left, top, right, bottom = draw.textbbox((x, y), token, font=f)
            draw.text((x, y), token, fill="black", font=f)
            words.append(Word(id=len(words), page=0, text=token, box=(float(left), float(top), float(right), float(bottom)), line=li))
            x += f.getlength(token + " ")
    doc = Document(source=name, pages=[Page(index=0, width=img.width, height=img.height, image=img)], words=words)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return doc, img, buf.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(base_url: str, timeout: float = 60.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited early with status {proc.returncode}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"server at {base_url} did not come up within {timeout} s")


@contextmanager
def server_process(data_dir: Path, home: Path, extra_args: list[str] | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`tillroll serve` as a real child process; yields (base URL, process). Killed at exit."""
    port = free_port()
    env = {**os.environ, "TILLROLL_HOME": str(home)}
    cmd = [
        sys.executable,
        "-c",
        "from tillroll.cli import main; main()",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--model",
        "rules",
        "--workers",
        "1",
        "--no-warm-up",
        "--log-level",
        "warning",
        *(extra_args or []),
    ]
    log = open(home / "server.log", "wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, timeout=180, proc=proc)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        log.close()
