"""The evaluation runner and its commands, end to end on tiny rendered datasets."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from datasetkit import materialise
from tillroll.cli import _load_commands, app
from tillroll.errors import ConfigError
from tillroll.evaluate.align import gold_labelled_document
from tillroll.evaluate.runner import alignment_report, evaluate_dataset, evaluation_markdown, ocr_benchmark, write_report
from tillroll.io.datasets import read_dataset
from tillroll.ocr.static import StaticEngine

_load_commands()
runner = CliRunner()


def test_runner_gold_ocr_scores_every_reference_word(tmp_path: Path) -> None:
    root = materialise("sroie", tmp_path)
    report = evaluate_dataset(f"sroie:{root}", model="rules", ocr="gold", progress=False, cache_dir=tmp_path / "cache")
    assert report["documents"] == 2 and report["failed"] == 0, report["errors"]
    n_words = sum(len(e.reference.words) for e in read_dataset(f"sroie:{root}"))
    assert report["words"]["words"] == n_words  # OCR = gold: one scored word per annotated word
    assert set(report["sroie"]["per_entity"]) == {"company", "address", "date", "total"}
    assert report["entity_location"]["gold_boxes"]["rate"] == 1.0
    assert set(report["fields"]["exact"]["per_field"]) <= {"shop_name", "address", "date", "total"}  # only what SROIE annotates
    assert "|" in evaluation_markdown(report)
    written = write_report(report, tmp_path / "report")
    assert {p.name for p in written} == {"report.json", "confusion.png", "confusion.txt", "per_label_f1.png"}
    assert json.loads((tmp_path / "report" / "report.json").read_text())["model"] == "rules"


def test_runner_rejects_unknown_ocr_and_empty_split(tmp_path: Path) -> None:
    root = materialise("annotated", tmp_path)
    with pytest.raises(ConfigError, match="unknown --ocr"):
        evaluate_dataset(f"annotated:{root}", ocr="easyocr", progress=False)
    empty_split = "dev" if read_dataset(f"annotated:{root}")[0].split == "train" else "train"
    with pytest.raises(ConfigError, match="no documents"):
        evaluate_dataset(f"annotated:{root}:{empty_split}", ocr="gold", progress=False)


def test_runner_gold_labelled_document_maps_fields_onto_ocr_words(tmp_path: Path) -> None:
    root = materialise("annotated", tmp_path)
    [ex] = read_dataset(f"annotated:{root}")
    # An "OCR" that glued the shop name into one word and split nothing else.
    glued = StaticEngine([w for w in ex.gold_ocr_words() if w.text not in ("CAFE", "LUNA")])
    glued.words.append(type(glued.words[0])("CAFELUNA", (20, 10, 170, 34), 0.9))
    doc = gold_labelled_document(ex, glued)
    by_text = {w.text: w for w in doc.words}
    assert by_text["CAFELUNA"].label == "shop_name" and by_text["CAFELUNA"].label_source == "human"
    assert doc.fields["shop_name"].word_ids == [by_text["CAFELUNA"].id]
    assert doc.pages[0].image is not None and doc.meta["ocr"] == "static"
    gold_doc = gold_labelled_document(ex)
    assert [w.label for w in gold_doc.words] == [w.label for w in ex.reference.words]


def test_runner_alignment_report_on_gold_boxes(tmp_path: Path) -> None:
    root = materialise("sroie", tmp_path)
    report = alignment_report(f"sroie:{root}", ocr="gold", progress=False, export_dir=tmp_path / "export")
    assert report["entity_location"]["rate"] == 1.0 and report["entity_location"]["of"] == 8
    assert report["transfer"]["rate"] == 1.0
    exported = sorted(p.name for p in (tmp_path / "export").glob("*.json"))
    assert exported == ["X000000000001.json", "X000000000002.json"]


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs Debian's tesseract-ocr")
def test_runner_ocr_benchmark_with_tesseract_and_cache(tmp_path: Path) -> None:
    root = materialise("annotated", tmp_path)
    first = ocr_benchmark(f"annotated:{root}", ["tesseract"], progress=False, cache_dir=tmp_path / "cache")
    row = first["engines"]["tesseract"]
    assert row["cache_misses"] == 1 and row["seconds_per_image"] is not None
    assert row["char_accuracy"] > 0.8  # large clean rendered text
    again = ocr_benchmark(f"annotated:{root}", ["tesseract"], progress=False, cache_dir=tmp_path / "cache")["engines"]["tesseract"]
    assert again["cache_hits"] == 1 and again["seconds_per_image"] is None and again["cer"] == row["cer"]


def test_cli_evaluate_writes_report_and_prints_tables(tmp_path: Path) -> None:
    root = materialise("wildreceipt", tmp_path)
    out = tmp_path / "rep"
    result = runner.invoke(
        app,
        [
            "evaluate",
            "--data",
            f"wildreceipt:{root}",
            "--ocr",
            "gold",
            "--model",
            "rules",
            "--report",
            str(out),
            "--no-progress",
            "--markdown",
            str(out / "t.md"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Word labels" in result.output and "Line items" in result.output
    report = json.loads((out / "report.json").read_text())
    assert report["line_items"]["tp"] + report["line_items"]["fn"] == 2
    assert (out / "confusion.png").exists() and (out / "t.md").read_text().startswith("`rules` model")


def test_cli_evaluate_bad_spec_exits_2_with_message(tmp_path: Path) -> None:
    result = runner.invoke(app, ["evaluate", "--data", "nonsense", "--no-progress"])
    assert result.exit_code == 2 and "KIND:DIR" in result.output


def test_cli_gold_labels_prints_location_rate(tmp_path: Path) -> None:
    root = materialise("sroie", tmp_path)
    result = runner.invoke(app, ["gold-labels", "--data", f"sroie:{root}", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "entities located on gold words: 8/8 = 100.00%" in result.output


def test_cli_ocr_bench_needs_an_engine(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ocr-bench", "--data", "sroie:/x", "--engines", " , "])
    assert result.exit_code == 2 and "at least one engine" in result.output


def test_update_benchmarks_splice_fills_only_marked_blocks(repo_root: Path) -> None:
    sys.path.insert(0, str(repo_root / "benchmarks"))
    try:
        from splice_blocks import splice
    finally:
        sys.path.pop(0)
    doc = "## Mine\n\n<!-- generated:ocr-table -->\nold\n<!-- /generated:ocr-table -->\n\n## Theirs\n\nhand-written\n"
    text, filled = splice(doc, {"ocr-table": "| engine |\n|---|\n| rapidocr |\n", "not-in-doc": "x"})
    assert filled == ["ocr-table"]
    assert text == "## Mine\n\n<!-- generated:ocr-table -->\n| engine |\n|---|\n| rapidocr |\n<!-- /generated:ocr-table -->\n\n## Theirs\n\nhand-written\n"


def test_update_benchmarks_script_with_nothing_to_run_leaves_the_page_alone(tmp_path: Path, repo_root: Path) -> None:
    import subprocess

    out = tmp_path / "out"
    out.mkdir()
    (out / "block-ocr-table.md").write_text("stale table from an earlier run\n")
    doc = tmp_path / "benchmarks.md"
    original = "## Mine\n\n<!-- generated:ocr-table -->\nold\n<!-- /generated:ocr-table -->\n"
    doc.write_text(original)
    env = {"PATH": "/usr/bin:/bin", "ONLY": "none", "DOC": str(doc), "OUT": str(out), "PYTHON": sys.executable}
    result = subprocess.run(["bash", str(repo_root / "benchmarks" / "update_benchmarks.sh")], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert doc.read_text() == original  # a stale block is never spliced in


def _word_report(model: str, gold: list[str], pred: list[str]) -> dict:
    from tillroll.evaluate.metrics import word_label_report

    return {"model": model, "ocr": "gold", "words": word_label_report(gold, pred).to_dict()}


def test_cli_compare_reports_puts_models_side_by_side(tmp_path: Path) -> None:
    gold = ["total", "misc", "misc", "shop_name"]
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "report.json").write_text(json.dumps(_word_report("rules", gold, ["total", "misc", "misc", "misc"])))
    (tmp_path / "b.json").write_text(json.dumps(_word_report("joint", gold, list(gold))))
    result = runner.invoke(app, ["compare-reports", str(tmp_path / "a"), str(tmp_path / "b.json"), "--names", "RULE,JOINT"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "| average | RULE | JOINT |"
    assert "| total (1) | 1.000 | 1.000 |" in lines
    assert "| shop_name (1) | 0.000 | 1.000 |" in lines
    assert "| F1 micro | 0.750 | 1.000 |" in lines
    bad = runner.invoke(app, ["compare-reports", str(tmp_path / "b.json"), "--names", "x,y"])
    assert bad.exit_code == 2 and "2 names for 1 reports" in bad.output
