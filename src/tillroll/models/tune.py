"""Hyper-parameter search over learning rate and batch size with optuna (paper 5.2).

The paper found the learning rate mattered most and the batch size hardly at
all; the search space follows that: the learning rate on a log scale over two
decades, the batch size from a few powers of two. Each trial is a short
training run scored by dev macro word F1; a median pruner stops trials that
trail the others after their first epoch, which matters on a CPU.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..document import Document
from .train import TrainConfig, train

LEARNING_RATE_RANGE = (1e-5, 3e-4)
BATCH_SIZES = (4, 8, 16)


def tune(
    train_docs: Sequence[Document],
    dev_docs: Sequence[Document],
    out_dir: str | Path,
    n_trials: int = 8,
    epochs: int = 2,
    max_steps_per_epoch: int | None = None,
    threads: int = 2,
    seed: int = 13,
    base: TrainConfig | None = None,
) -> dict[str, Any]:
    """Run the study; returns and writes (out_dir/study.json) the best parameters and every trial."""
    import optuna

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    base = base or TrainConfig()

    def objective(trial: optuna.Trial) -> float:
        learning_rate = trial.suggest_float("learning_rate", *LEARNING_RATE_RANGE, log=True)
        batch_size = trial.suggest_categorical("batch_size", list(BATCH_SIZES))
        config = TrainConfig(
            **{
                **base.__dict__,
                "name": f"trial-{trial.number}",
                "learning_rate": learning_rate,
                "batch_size": batch_size,
                "epochs": epochs,
                "max_steps_per_epoch": max_steps_per_epoch,
                "threads": threads,
                "export": False,  # trials are thrown away; exporting each would double their cost
                "patience": epochs,
            }
        )

        def report(epoch: int, scores: dict[str, Any]) -> None:
            trial.report(scores["macro"]["f1"], epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()

        result = train(train_docs, dev_docs, out_dir / f"trial-{trial.number}", config, progress=False, on_epoch=report)
        trial.set_user_attr("micro_f1", result.dev_scores["micro"]["f1"])
        return float(result.dev_scores["macro"]["f1"])

    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0),
    )
    study.optimize(objective, n_trials=n_trials)
    trials = [
        {"number": t.number, "state": t.state.name, "params": t.params, "macro_f1": t.value, "micro_f1": t.user_attrs.get("micro_f1")} for t in study.trials
    ]
    best = {"best_params": study.best_params, "best_macro_f1": study.best_value, "trials": trials}
    (out_dir / "study.json").write_text(json.dumps(best, indent=2), encoding="utf-8")
    return best
