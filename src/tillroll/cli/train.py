"""`tillroll train`, `tillroll tune` and `tillroll export`: build the neural word classifier."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..config import DEFAULT_ENGINE
from . import EXIT_USAGE, app

if TYPE_CHECKING:  # pragma: no cover
    from ..document import Document
    from ..models.data import DataSummary

DATA_HELP = (
    "comma-separated dataset specs KIND:DIR[:SPLIT], KIND one of sroie, wildreceipt, annotated, synth; "
    "e.g. sroie:DATA/sroie/train:train,wildreceipt:DATA/wildreceipt:train,synth:data/synth-train"
)
UNCACHED_HELP = (
    "images whose OCR is not in the OCR cache: 'ocr' runs OCR now (slow, seconds per image), "
    "'gold' trains on their annotation words instead, 'skip' leaves them out"
)


def _load(data: str, dev: str, ocr: str, uncached: str, limit: int | None) -> tuple[list[Document], list[Document], DataSummary, DataSummary]:
    from ..models.data import DataSummary, training_documents

    summary = DataSummary()
    train_docs = training_documents(data, engine_name=ocr, uncached=uncached, limit_per_source=limit, summary=summary)
    dev_summary = DataSummary()
    # Dev documents are always scored on OCR words: that is what the model meets in use.
    dev_docs = training_documents(dev, engine_name=ocr, uncached="ocr", summary=dev_summary)
    return train_docs, dev_docs, summary, dev_summary


def _fail(exc: Exception) -> None:
    from ..errors import TillrollError

    if isinstance(exc, TillrollError):
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE)
    raise exc


@app.command()
def train(
    data: str = typer.Option(..., "--data", help=DATA_HELP),
    dev: str = typer.Option(..., "--dev", help="dataset specs to early-stop and score on (their dev split)"),
    out: Path = typer.Option(..., "--out", help="model folder to write (e.g. models/mx)"),
    epochs: int = typer.Option(6, help="maximum number of epochs"),
    init: Path | None = typer.Option(None, "--init", help="fine-tune this model folder (from an earlier `tillroll train`)"),
    learning_rate: float = typer.Option(1e-4, "--lr", help="peak learning rate (AdamW, linear warm-up and decay)"),
    batch_size: int = typer.Option(8, help="windows per training step"),
    patience: int = typer.Option(2, help="stop after this many epochs without a better dev macro F1"),
    seed: int = typer.Option(13, help="random seed (data order, initialisation)"),
    threads: int = typer.Option(2, help="torch CPU threads"),
    time_budget: float | None = typer.Option(None, help="stop after the epoch that passes this many seconds"),
    max_steps_per_epoch: int | None = typer.Option(None, help="cap on steps per epoch (smoke runs)"),
    architecture: str | None = typer.Option(
        None, help="minilm-l4 (pretrained, 4 layers, default), minilm (6 layers), minilm-l3, minilm-l2 (the --task kv default), or tiny (random, for tests)"
    ),
    ocr: str = typer.Option(DEFAULT_ENGINE, help="OCR engine whose words the model trains on"),
    layout_frame: str = typer.Option(
        "page", "--layout-frame", help="box coordinates relative to the image ('page') or to the rectangle around the words ('text')"
    ),
    uncached: str = typer.Option("ocr", help=UNCACHED_HELP),
    limit: int | None = typer.Option(None, help="at most this many documents per training source"),
    name: str | None = typer.Option(None, help="model name recorded in config.json (default: folder name)"),
    task: str = typer.Option(
        "words", "--task", help="words: the receipt word classifier; kv: the key-value entity tagger and linker, on FUNSD-format forms (funsd:DIR:train)"
    ),
    tagger: str = typer.Option(
        "segments",
        "--tagger",
        help="--task kv: segments (join words into segments, then label them; the shipped kind), trees (per-word BIO trees) or layoutlm (MiniLM LayoutLM, int8 ONNX)",
    ),
) -> None:
    """Train the layout-aware word classifier (or, with --task kv, the key-value model); writes the model folder to --out."""
    if task == "kv":
        _train_kv(data, dev, out, epochs, learning_rate, batch_size, seed, threads, time_budget, architecture or "minilm-l2", tagger, ocr)
        return
    if task != "words":
        _fail(ValueError(f"unknown --task {task!r}; choose words or kv"))
    architecture = architecture or "minilm-l4"
    from ..errors import ConfigError
    from ..models.encoding import LAYOUT_FRAMES

    if layout_frame not in LAYOUT_FRAMES:
        _fail(ConfigError(f"unknown --layout-frame {layout_frame!r}; choose one of {', '.join(LAYOUT_FRAMES)}"))
        return
    try:
        from ..models.train import TrainConfig
        from ..models.train import train as run_training

        train_docs, dev_docs, summary, dev_summary = _load(data, dev, ocr, uncached, limit)
        config = TrainConfig(
            name=name or out.name,
            architecture=architecture,
            pretrained=architecture.startswith("minilm"),
            init=str(init) if init else None,
            epochs=epochs,
            learning_rate=learning_rate,
            batch_size=batch_size,
            patience=patience,
            seed=seed,
            threads=threads,
            time_budget_s=time_budget,
            max_steps_per_epoch=max_steps_per_epoch,
            layout_frame=layout_frame,
            data={"train": summary.to_dict(), "dev": dev_summary.to_dict(), "ocr": ocr, "uncached": uncached},
        )
        typer.echo(f"training on {len(train_docs)} documents, early stopping on {len(dev_docs)} dev documents", err=True)
        result = run_training(train_docs, dev_docs, out, config)
    except Exception as exc:  # noqa: BLE001 - typed errors become a message, others propagate
        _fail(exc)
        return
    typer.echo(
        json.dumps(
            {
                "out": str(result.out_dir),
                "best_epoch": result.best_epoch,
                "dev_macro_f1": round(result.dev_scores["macro"]["f1"], 4),
                "dev_micro_f1": round(result.dev_scores["micro"]["f1"], 4),
            }
        )
    )


def _train_kv(
    data: str,
    dev: str,
    out: Path,
    epochs: int,
    lr: float,
    batch_size: int,
    seed: int,
    threads: int,
    time_budget: float | None,
    architecture: str,
    tagger: str,
    ocr: str,
) -> None:
    """`--task kv`: entity tagger then the pair linker; the segment tagger also learns from the
    training forms as `ocr` reads them (`--ocr gold`: the annotation's words only)."""
    try:
        from ..models.kv.train import train_kv
        from ..models.kv.train_entities import EntityTrainConfig

        config = EntityTrainConfig(
            architecture=architecture, epochs=epochs, learning_rate=lr, batch_size=batch_size, seed=seed, threads=threads, time_budget_s=time_budget
        )
        summary = train_kv(data, dev or None, out, config, log=lambda m: typer.echo(m, err=True), tagger=tagger, ocr=ocr)
    except Exception as exc:  # noqa: BLE001 - typed errors become a message, others propagate
        _fail(exc)
        return
    scores = summary.get("dev_scores", {})
    typer.echo(
        json.dumps(
            {
                "out": str(out),
                "dev_entity_f1": scores.get("entities", {}).get("micro", {}).get("f1"),
                "dev_link_f1": scores.get("links", {}).get("f1"),
            }
        )
    )


@app.command()
def tune(
    data: str = typer.Option(..., "--data", help=DATA_HELP),
    dev: str = typer.Option(..., "--dev", help="dataset specs to score trials on"),
    out: Path = typer.Option(Path("models/tune"), "--out", help="folder for trial models and the study summary"),
    trials: int = typer.Option(8, help="number of optuna trials"),
    epochs: int = typer.Option(2, help="epochs per trial"),
    max_steps_per_epoch: int | None = typer.Option(None, help="cap on steps per epoch per trial"),
    threads: int = typer.Option(2, help="torch CPU threads"),
    ocr: str = typer.Option(DEFAULT_ENGINE, help="OCR engine whose words the model trains on"),
    layout_frame: str = typer.Option(
        "page", "--layout-frame", help="box coordinates relative to the image ('page') or to the rectangle around the words ('text')"
    ),
    uncached: str = typer.Option("ocr", help=UNCACHED_HELP),
    limit: int | None = typer.Option(None, help="at most this many documents per training source"),
    seed: int = typer.Option(13, help="sampler seed"),
) -> None:
    """Search learning rate and batch size with optuna (paper 5.2); prints and saves the best."""
    try:
        from ..models.tune import tune as run_tuning

        train_docs, dev_docs, _, _ = _load(data, dev, ocr, uncached, limit)
        best = run_tuning(train_docs, dev_docs, out, n_trials=trials, epochs=epochs, max_steps_per_epoch=max_steps_per_epoch, threads=threads, seed=seed)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
        return
    typer.echo(json.dumps(best))


@app.command()
def export(
    model_dir: Path = typer.Argument(..., help="model folder written by `tillroll train` (needs its torch/ weights)"),
    keep_float: bool = typer.Option(False, help="also keep the float ONNX model (model.float.onnx)"),
    to: Path | None = typer.Option(None, "--to", help="then copy only the runtime files (int8 model, tokenizer, labels, config) here"),
) -> None:
    """Export a trained model to int8 ONNX (per-channel dynamic quantisation) for torch-free inference."""
    try:
        from ..models.export import copy_runtime_files, export_model_dir

        path = export_model_dir(model_dir, keep_float=keep_float)
        if to is not None:
            copy_runtime_files(model_dir, to)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
        return
    typer.echo(json.dumps({"onnx": str(path), "bytes": path.stat().st_size, "copied_to": str(to) if to else None}))
