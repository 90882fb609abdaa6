from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from samplekit import image_bytes, render_lines, text_pdf
from tillroll.cli import _load_commands, app

_load_commands()

LINES = ["CAFE VALLETTA", "TOTAL 12.30"]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("inputs")
    img = render_lines(LINES, size=36)
    paths = {
        "png": folder / "cafe.png",
        "jpg": folder / "sub" / "cafe.jpg",  # same stem as cafe.png, another folder
        "pdf": folder / "invoice.pdf",
        "corrupt": folder / "broken.jpg",
        "empty": folder / "empty.png",
    }
    paths["jpg"].parent.mkdir()
    img.save(paths["png"])
    img.save(paths["jpg"], quality=90)
    paths["pdf"].write_bytes(text_pdf([[(20, 30, "TOTAL 12.30")]]))
    good = image_bytes(img, "JPEG")
    paths["corrupt"].write_bytes(good[: len(good) // 3])
    paths["empty"].write_bytes(b"")
    return paths


def run(*args: str, input: bytes | None = None):  # noqa: ANN201 - click's Result
    return CliRunner().invoke(app, list(args), input=input)


def test_cli_extract_prints_one_schema_v1_document(inputs: dict[str, Path]) -> None:
    result = run("extract", "--ocr", "tesseract", str(inputs["png"]))
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["schema_version"] == 1
    assert doc["source"] == str(inputs["png"])
    assert [w["text"] for w in doc["words"]] == " ".join(LINES).split()
    assert doc["pages"][0]["width"] == Image.open(inputs["png"]).width
    assert {"load", "ocr"} <= set(doc["timings_ms"])
    assert doc["meta"]["ocr"] == "tesseract"


def test_cli_extract_prints_an_array_for_several_files(inputs: dict[str, Path]) -> None:
    result = run("extract", "--ocr", "tesseract", str(inputs["png"]), str(inputs["pdf"]))
    assert result.exit_code == 0, result.stderr
    docs = json.loads(result.stdout)
    assert [d["source"] for d in docs] == [str(inputs["png"]), str(inputs["pdf"])]
    assert docs[1]["pages"][0]["text_source"] == "pdf_text_layer"


def test_cli_extract_jsonl_has_one_compact_object_per_line_with_its_source(inputs: dict[str, Path]) -> None:
    result = run("extract", "--jsonl", "--ocr", "tesseract", str(inputs["png"]), str(inputs["pdf"]))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert [json.loads(line)["source"] for line in lines] == [str(inputs["png"]), str(inputs["pdf"])]
    assert all(": " not in line[:40] for line in lines)  # compact separators


def test_cli_extract_goes_on_after_a_corrupt_file_and_exits_1(inputs: dict[str, Path]) -> None:
    files = [str(inputs["png"]), str(inputs["corrupt"]), str(inputs["empty"]), str(inputs["pdf"])]
    result = run("extract", "--jsonl", "--ocr", "tesseract", *files)
    assert result.exit_code == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["source"] for r in records] == files
    assert records[1]["error"] == "corrupt_file" and records[2]["error"] == "empty_file"
    assert records[0]["words"] and records[3]["words"]
    # the user sees one clear line per failure, no traceback
    assert "broken.jpg" in result.stderr and "empty.png" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_cli_extract_single_missing_file_exits_1_with_a_message(tmp_path: Path) -> None:
    result = run("extract", str(tmp_path / "missing.jpg"))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "missing.jpg" in result.stderr and "no such file" in result.stderr


@pytest.mark.parametrize(
    "args",
    [["extract"], ["extract", "--ocr", "abbyy", "x.png"], ["extract", "--model", "gpt", "x.png"], ["extract", "--bogus", "x.png"], ["extract", "-", "-"]],
)
def test_cli_extract_usage_errors_exit_2(args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 2


def test_cli_extract_out_writes_one_json_per_input(inputs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = run("extract", "--ocr", "tesseract", "--out", str(out), str(inputs["png"]), str(inputs["jpg"]), str(inputs["corrupt"]))
    assert result.exit_code == 1  # the corrupt file
    assert result.stdout == ""
    assert sorted(p.name for p in out.iterdir()) == ["cafe-2.json", "cafe.json"]
    assert json.loads((out / "cafe.json").read_text())["source"] == str(inputs["png"])
    assert json.loads((out / "cafe-2.json").read_text())["source"] == str(inputs["jpg"])


def test_cli_extract_overlay_writes_a_png_of_the_page(inputs: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "overlays"
    result = run("extract", "--ocr", "tesseract", "--overlay", str(folder), str(inputs["png"]))
    assert result.exit_code == 0, result.stderr
    png = folder / "cafe.png"
    assert png.exists()
    with Image.open(png) as overlay, Image.open(inputs["png"]) as page:
        assert overlay.format == "PNG"
        assert overlay.height >= page.height and overlay.width > page.width  # page plus legend
    json.loads(result.stdout)  # stdout stays pure JSON; overlay paths go to stderr
    assert str(png) in result.stderr


def test_cli_extract_reads_stdin(inputs: dict[str, Path]) -> None:
    result = run("extract", "--ocr", "tesseract", "-", input=inputs["png"].read_bytes())
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["source"] == "<stdin>" and doc["words"]


def test_cli_extract_preprocess_auto_reports_the_page_coordinates(tmp_path: Path) -> None:
    page = render_lines(LINES, size=36).convert("RGBA").rotate(5, expand=True, resample=Image.BICUBIC)
    photo = Image.new("RGB", (page.width + 240, page.height + 240), (50, 45, 40))
    photo.paste(page, (120, 120), page)
    path = tmp_path / "photo.jpg"
    photo.save(path, quality=92)
    result = run("extract", "--ocr", "tesseract", "--preprocess", "auto", str(path))
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["pages"][0]["coordinates"] == "preprocessed"
    assert doc["pages"][0]["preprocess"] == ["crop"]
    assert [w["text"] for w in doc["words"]] == " ".join(LINES).split()


def test_cli_ocr_prints_lines_and_json(inputs: dict[str, Path]) -> None:
    text = run("ocr", "--ocr", "tesseract", str(inputs["png"]))
    assert text.exit_code == 0, text.stderr
    assert text.stdout.splitlines() == LINES
    as_json = run("ocr", "--ocr", "tesseract", "--json", str(inputs["png"]))
    data = json.loads(as_json.stdout)
    assert [line["text"] for line in data["lines"]] == LINES
    assert [w["text"] for w in data["words"]] == " ".join(LINES).split()
    assert "fields" not in data
    bad = run("ocr", str(inputs["corrupt"]))
    assert bad.exit_code == 1 and "broken.jpg" in bad.stderr


def test_cli_version_in_a_real_process() -> None:
    # the entry point's own function, in a fresh interpreter, as a user runs it
    result = subprocess.run([sys.executable, "-c", "from tillroll.cli import main; main()", "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("tillroll ")


def test_cli_extract_reads_the_shipped_sample_with_the_default_engine(repo_root: Path, tmp_path: Path) -> None:
    sample = repo_root / "samples" / "receipt-mt.png"
    result = run("extract", "--overlay", str(tmp_path), str(sample))
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    text = "\n".join(" ".join(w["text"] for w in doc["words"] if w["line"] == line) for line in sorted({w["line"] for w in doc["words"]}))
    for expected in ("CAFE IL-FOSOS", "+356 2123 4567", "MT12345678", "21/11/2026", "TOTAL EUR 16.40"):
        assert expected in text
    assert (tmp_path / "receipt-mt.png").exists()
