"""The classifier shipped inside the package: small, torch-free, and faithful to the torch model it came from."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tillroll.config import PipelineConfig
from tillroll.document import Document
from tillroll.labels import LABELS
from tillroll.models.predict import DEFAULT_MODEL_DIR, Classifier, ClassifyStage

DATA = Path(__file__).resolve().parents[1] / "data" / "models"
RUNTIME_FILES = ("model.onnx", "tokenizer.json", "labels.json", "config.json", "MODEL_CARD.md")


def fixture_document() -> Document:
    return Document.from_dict(json.loads((DATA / "fixture_receipt.json").read_text()))


def test_models_shipped_folder_holds_only_runtime_files_of_about_25_mb():
    names = {p.name for p in DEFAULT_MODEL_DIR.iterdir() if not p.name.startswith(".")}
    assert set(RUNTIME_FILES) <= names, f"shipped model incomplete: {sorted(names)}"
    assert "torch" not in names and "model.float.onnx" not in names
    total = sum(p.stat().st_size for p in DEFAULT_MODEL_DIR.iterdir() if p.is_file())
    assert total < 30_000_000
    assert json.loads((DEFAULT_MODEL_DIR / "labels.json").read_text()) == list(LABELS)


def test_models_shipped_int8_onnx_agrees_with_torch_model_on_fixture_receipt():
    import hashlib

    expected = json.loads((DATA / "fixture_expected.json").read_text())
    digest = hashlib.sha256((DEFAULT_MODEL_DIR / "model.onnx").read_bytes()).hexdigest()
    assert digest == expected["model_sha256"], "shipped model changed: regenerate the fixture with scripts/ship_model.py"
    doc = ClassifyStage(PipelineConfig())(fixture_document())
    predicted = [w.label for w in doc.words]
    agree = sum(p == e for p, e in zip(predicted, expected["labels"]))
    # int8 rounding may flip a word whose two best labels are nearly tied, not more.
    assert agree / len(predicted) >= 0.95, list(zip([w.text for w in doc.words], predicted, expected["labels"]))


def test_models_shipped_inference_needs_no_torch():
    code = (
        "import sys, json\n"
        "sys.modules['torch'] = None; sys.modules['transformers'] = None\n"  # any import of them now fails
        "from tillroll.document import Document\n"
        "from tillroll.models.predict import Classifier\n"
        f"doc = Document.from_dict(json.loads(open({str(DATA / 'fixture_receipt.json')!r}).read()))\n"
        "Classifier().label_document(doc)\n"
        "assert all(w.label for w in doc.words)\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_models_shipped_loads_once_and_labels_many_documents():
    classifier = Classifier()
    stage = ClassifyStage(PipelineConfig(), classifier=classifier)
    for _ in range(3):
        doc = stage(fixture_document())
        assert all(w.label in LABELS and w.label_source == "model" for w in doc.words)
    assert stage.classifier is classifier


def test_models_shipped_blank_page_and_odd_words_are_handled():
    from tillroll.document import Page, Word

    stage = ClassifyStage(PipelineConfig())
    blank = Document(pages=[Page(index=0, width=600, height=800)])
    assert stage(blank).words == []
    # Empty-looking text, a box outside the page and a very long word must not break encoding.
    odd = Document(
        pages=[Page(index=0, width=100, height=100)],
        words=[
            Word(id=0, page=0, text="\u200b", box=(1, 1, 5, 5)),
            Word(id=1, page=0, text="TOTAL", box=(-20, 90, 250, 130)),
            Word(id=2, page=0, text="9" * 400, box=(10, 10, 90, 20)),
        ],
    )
    assert all(w.label in LABELS for w in stage(odd).words)


def test_models_shipped_long_receipt_uses_windows_and_labels_every_word():
    from tillroll.document import Page, Word

    words = [Word(id=i, page=0, text=f"ITEM{i} 1.00", box=(10, 10 + 12 * i, 200, 20 + 12 * i)) for i in range(400)]
    doc = Document(pages=[Page(index=0, width=300, height=10 + 12 * 400)], words=words)
    doc = ClassifyStage(PipelineConfig())(doc)
    assert all(w.label in LABELS and w.label_scores for w in doc.words)
