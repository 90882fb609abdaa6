"""`--labels gold`: the scores a perfect classifier would reach, and which misses OCR makes unavoidable."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from datasetkit import materialise
from tillroll.cli import _load_commands, app
from tillroll.errors import ConfigError
from tillroll.evaluate.ceiling import field_misses, gold_in_ocr_text
from tillroll.evaluate.runner import evaluate_dataset, evaluation_markdown

_load_commands()
runner = CliRunner()


def test_gold_labels_replace_the_classifier_and_score_perfect_words(tmp_path: Path) -> None:
    root = materialise("wildreceipt", tmp_path)
    report = evaluate_dataset(f"wildreceipt:{root}", model="neural", ocr="gold", labels="gold", progress=False, cache_dir=tmp_path / "c")
    assert report["labels"] == "gold" and report["failed"] == 0, report["errors"]
    # The annotation's words with the annotation's labels: every word right, so every field the
    # assembler can build from them is right too on this clean rendered receipt.
    assert report["words"]["averages"]["micro"]["f1"] == 1.0
    assert report["fields"]["lenient"]["micro"]["f1"] == 1.0
    assert report["fields"]["misses"] == {}
    assert "perfect classifier" in evaluation_markdown(report)


def test_gold_labels_need_a_classifier_to_replace(tmp_path: Path) -> None:
    root = materialise("annotated", tmp_path)
    with pytest.raises(ConfigError, match="has none; use neural or joint"):
        evaluate_dataset(f"annotated:{root}", model="rules", ocr="gold", labels="gold", progress=False)
    with pytest.raises(ConfigError, match="unknown --labels"):
        evaluate_dataset(f"annotated:{root}", model="neural", ocr="gold", labels="oracle", progress=False)


def test_field_misses_split_unreadable_gold_from_assembly_misses() -> None:
    lines = ["CAFE LUNA", "12 Main St.", "TOTAL 9.50"]
    assert gold_in_ocr_text("cafe-luna", lines)
    assert gold_in_ocr_text("12 MAIN ST", lines)
    assert not gold_in_ocr_text("CAFE LUNAR", lines)  # an annotator's spelling the OCR never read
    assert not gold_in_ocr_text("", lines)
    records = [
        (
            {
                "shop_name": {"gold": {"text": "CAFE LUNAR", "value": "CAFE LUNAR"}, "pred": {"text": "CAFE LUNA"}, "lenient": False},
                "address": {"gold": {"text": "12 Main St.", "value": "12 Main St."}, "pred": None},
                "total": {"gold": {"text": "9.50", "value": "9.50"}, "pred": {"text": "9.50"}, "lenient": True},
                "telephone": {"gold": None, "pred": {"text": "555 0100"}},  # a false positive is not a miss
            },
            lines,
        )
    ]
    assert field_misses(records) == {
        "address": {"missed": 1, "not_in_ocr_text": 0},
        "shop_name": {"missed": 1, "not_in_ocr_text": 1},
    }


def test_cli_evaluate_with_gold_labels(tmp_path: Path) -> None:
    root = materialise("annotated", tmp_path)
    result = runner.invoke(
        app,
        ["evaluate", "--data", f"annotated:{root}", "--model", "joint", "--ocr", "gold", "--labels", "gold", "--no-progress", "--report", str(tmp_path / "r")],
        env={"TILLROLL_HOME": str(tmp_path / "home"), "COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "gold word labels" in result.output and "not in OCR" in result.output
    bad = runner.invoke(app, ["evaluate", "--data", f"annotated:{root}", "--model", "rules", "--ocr", "gold", "--labels", "gold", "--no-progress"])
    assert bad.exit_code != 0 and "use neural or joint" in bad.output
