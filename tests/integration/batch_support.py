"""Helpers shared by the batch tests: receipt files built on the fly and a `tillroll batch` runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from samplekit import render_lines, text_pdf

REPO = Path(__file__).resolve().parents[2]


def write_text_pdf_receipts(folder: Path, count: int, prefix: str = "r") -> list[Path]:
    """Digital receipts (PDFs with a text layer): real inputs that need no OCR, so they are fast."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        pdf = text_pdf([[(10, 10, f"SHOP {i}"), (10, 40, f"Coffee {i}.50"), (10, 70, f"TOTAL {i}.50")]])
        path = folder / f"{prefix}{i:04d}.pdf"
        path.write_bytes(pdf)
        paths.append(path)
    return paths


def write_image_receipt(path: Path, lines: list[str]) -> Path:
    """A scanned-looking receipt: rendered text that the OCR engine has to read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    render_lines(lines, size=28, margin=16).save(path)
    return path


def batch_command(*args: str) -> list[str]:
    """`tillroll batch ARGS` with this interpreter (the installed script may belong to another one)."""
    return [sys.executable, "-c", "from tillroll.cli import main; main()", "batch", *args]


def run_batch_cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(batch_command(*args), capture_output=True, text=True, timeout=timeout, env=dict(os.environ), cwd=REPO)
