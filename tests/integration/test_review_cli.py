"""`tillroll review export|finetune|list`: approved corrections become training data and a model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from reviewkit import rendered_receipt
from typer.testing import CliRunner

from tillroll.cli import _load_commands, app
from tillroll.io.splits import split_of
from tillroll.labels import LABELS
from tillroll.server.store import ReviewStore

_load_commands()
runner = CliRunner()

LINES = [["CAFE BORG", "Valletta", "TOTAL 5.50"], ["MINI MARKET", "Sliema", "TOTAL 3.10"], ["PIZZERIA", "Gzira", "TOTAL 10.00"]]
LINE_LABELS = ["shop_name", "address", "total"]


def last_json(output: str) -> dict:
    """The command's JSON summary (progress bars may share its line on the captured output)."""
    return json.loads(re.findall(r'\{"out".*\}', output)[-1])


def approved_store(path: Path, need_dev: bool = False) -> ReviewStore:
    """Approved receipts whose words a reviewer labelled line by line; with `need_dev`, both splits present."""
    store = ReviewStore(path)
    splits: set[str] = set()
    n = 0
    while n < 6 or (need_dev and not {"train", "dev"} <= splits):
        lines = LINES[n % len(LINES)]
        doc, _, data = rendered_receipt(lines)
        rid = store.add(doc, data, original_name=f"r{n}.png", media_format="png")
        labels = {w.id: LINE_LABELS[w.line] for w in doc.words}
        store.correct(rid, author="ann", approve=True, labels=labels, fields={"shop_name": {"value": lines[0]}})
        splits.add(split_of(rid))
        n += 1
    return store


def test_review_cli_export_writes_training_pairs(tmp_path: Path) -> None:
    store = approved_store(tmp_path / "review")
    result = runner.invoke(app, ["review", "export", "--out", str(tmp_path / "out"), "--data-dir", str(store.data_dir)])
    assert result.exit_code == 0, result.output
    assert last_json(result.output)["documents"] == 6
    from tillroll.io.datasets import iter_dataset

    examples = list(iter_dataset(f"annotated:{tmp_path / 'out'}"))
    assert len(examples) == 6
    assert {w.label for e in examples for w in e.reference.words} == set(LINE_LABELS)


def test_review_cli_list_and_missing_store(tmp_path: Path) -> None:
    store = approved_store(tmp_path / "review")
    listed = runner.invoke(app, ["review", "list", "--data-dir", str(store.data_dir), "--status", "reviewed"])
    assert listed.exit_code == 0 and len(listed.output.strip().splitlines()) == 6
    missing = runner.invoke(app, ["review", "export", "--out", str(tmp_path / "x"), "--data-dir", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "no review store" in missing.output


def test_review_cli_finetune_starts_from_init_and_writes_a_model(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tillroll.document import Document
    from tillroll.models.train import TrainConfig, train
    from tillroll.server.export import export_approved

    store = approved_store(tmp_path / "review", need_dev=True)
    # A tiny model to start from (what `tillroll train` would have produced earlier).
    seed_docs = [Document.from_dict(json.loads(p.read_text())) for p in export_approved(store, tmp_path / "seed")]
    base = tmp_path / "base"
    train(
        seed_docs,
        seed_docs,
        base,
        TrainConfig(architecture="tiny", pretrained=False, epochs=1, threads=1, export=False, freeze_word_embeddings=False),
        progress=False,
    )

    out = tmp_path / "tuned"
    result = runner.invoke(
        app, ["review", "finetune", "--data-dir", str(store.data_dir), "--init", str(base), "--out", str(out), "--epochs", "1", "--threads", "1"]
    )
    assert result.exit_code == 0, result.output
    summary = last_json(result.output)
    assert summary["out"] == str(out)
    config = json.loads((out / "config.json").read_text())
    assert config["init"] == str(base)
    assert (out / "model.onnx").is_file() and (out / "reviewed-data").is_dir()
    assert len(LABELS) == len(json.loads((out / "labels.json").read_text()))
