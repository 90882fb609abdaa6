"""A folder with corrupt, empty and non-image files: error records for them, full results for the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from batch_support import run_batch_cli, write_image_receipt, write_text_pdf_receipts

from tillroll.batch.sinks import CSV_COLUMNS, iter_csv, read_records

# file name -> the error code its record must carry
BAD_FILES: dict[str, tuple[bytes, str]] = {
    "empty.jpg": (b"", "empty_file"),
    "truncated.jpg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40, "corrupt_file"),
    "notes.txt": (b"lunch with the team, 12.30\n", "unsupported_format"),
    "archive.zip": (b"PK\x03\x04" + b"\x00" * 60, "unsupported_format"),
    "broken.pdf": (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", "corrupt_file"),
}


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mixed")
    write_image_receipt(folder / "scan_cafe.png", ["CAFE LUNA", "TOTAL 3.50"])
    write_text_pdf_receipts(folder / "digital", 2, prefix="invoice")
    for name, (data, _) in BAD_FILES.items():
        (folder / name).write_bytes(data)
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")  # hidden: not an input at all
    return folder


@pytest.mark.parametrize("fmt", ["jsonl", pytest.param("parquet", marks=pytest.mark.slow)])
def test_batch_bad_inputs_become_error_records_and_good_ones_results(mixed_folder: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"results.{fmt}"
    stats_file = tmp_path / "stats.json"
    result = run_batch_cli(str(mixed_folder), "--out", str(out), "--workers", "2", "--stats-json", str(stats_file))
    assert result.returncode == 1, result.stderr  # some inputs failed: exit 1, but the batch finished

    by_name = {Path(r["source"]).name: r for r in read_records(out)}
    assert set(by_name) == set(BAD_FILES) | {"scan_cafe.png", "invoice0000.pdf", "invoice0001.pdf"}
    for name, (_, code) in BAD_FILES.items():
        record = by_name[name]
        assert set(record) == {"source", "error", "type", "message"}
        assert record["error"] == code, record
        assert record["message"]
    scan = by_name["scan_cafe.png"]
    assert "error" not in scan and scan["schema_version"] == 1
    assert [w["text"] for w in scan["words"]] == ["CAFE", "LUNA", "TOTAL", "3.50"]
    assert [w["text"] for w in by_name["invoice0001.pdf"]["words"]][:2] == ["SHOP", "1"]

    stats = json.loads(stats_file.read_text())
    assert (stats["processed"], stats["failed"], stats["total"]) == (3, len(BAD_FILES), 3 + len(BAD_FILES))
    assert stats["max_worker_peak_rss_mb"] > 50
    assert f"3 processed, {len(BAD_FILES)} failed" in result.stderr
    assert "empty.jpg: empty_file" in result.stderr


def test_batch_bad_inputs_in_csv_and_retry_failed(mixed_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    first = run_batch_cli(str(mixed_folder), "--out", str(out), "--workers", "1", "-q")
    assert first.returncode == 1, first.stderr
    rows = {Path(r["source"]).name: r for r in iter_csv(out)}
    assert list(next(iter_csv(out)).keys()) == list(CSV_COLUMNS)
    assert rows["notes.txt"]["status"] == "error" and rows["notes.txt"]["error"] == "unsupported_format"
    assert rows["invoice0000.pdf"]["status"] == "ok" and rows["invoice0000.pdf"]["words"] == "6"

    # Fix one file, then retry only the failures: its error row is replaced, nothing is doubled.
    write_image_receipt(mixed_folder / "empty.jpg", ["FIXED SHOP"])
    try:
        retried = run_batch_cli(str(mixed_folder), "--out", str(out), "--workers", "1", "--retry-failed", "-q")
    finally:
        (mixed_folder / "empty.jpg").write_bytes(b"")
    assert retried.returncode == 1  # the other bad files still fail
    rows_after = list(iter_csv(out))
    assert len(rows_after) == len(rows)
    fixed = next(r for r in rows_after if r["source"].endswith("empty.jpg"))
    assert fixed["status"] == "ok" and fixed["words"] == "2"


def test_batch_usage_errors_exit_2(tmp_path: Path) -> None:
    missing = run_batch_cli(str(tmp_path / "no_such_folder"), "--out", str(tmp_path / "r.jsonl"))
    assert missing.returncode == 2 and "no_such_folder" in missing.stderr
    (tmp_path / "a.png").write_bytes(b"")
    bad_suffix = run_batch_cli(str(tmp_path / "a.png"), "--out", str(tmp_path / "r.xlsx"))
    assert bad_suffix.returncode == 2 and ".jsonl" in bad_suffix.stderr
    not_ours = tmp_path / "other.jsonl"
    not_ours.write_text("this is not json\n")
    foreign = run_batch_cli(str(tmp_path / "a.png"), "--out", str(not_ours))
    assert foreign.returncode == 2 and "not written by tillroll batch" in foreign.stderr
    assert not_ours.read_text() == "this is not json\n"  # left exactly as it was
