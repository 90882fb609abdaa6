"""`tillroll review export|finetune|list`: turn approved corrections into training data and a better model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from . import EXIT_USAGE, app

if TYPE_CHECKING:  # pragma: no cover
    from ..server.store import ReviewStore

review_app = typer.Typer(help="Work with the review store of `tillroll serve` (approved corrections -> training).", no_args_is_help=True)
app.add_typer(review_app, name="review")

DATA_DIR_HELP = "Review store folder (default: <tillroll data dir>/review, as `tillroll serve` uses)."


def _store(data_dir: Path | None) -> ReviewStore:
    from ..config import user_data_dir
    from ..server.store import ReviewStore

    path = data_dir or user_data_dir() / "review"
    if not (path / "review.sqlite3").exists():
        typer.echo(f"error: no review store at {path}; run `tillroll serve` and review some receipts first, or pass --data-dir", err=True)
        raise typer.Exit(EXIT_USAGE)
    return ReviewStore(path)


@review_app.command("list")
def list_receipts(
    data_dir: Path | None = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
    status: str | None = typer.Option(None, "--status", help="new or reviewed"),
) -> None:
    """Print the receipts of the review store as JSON lines (newest first)."""
    from ..errors import TillrollError

    store = _store(data_dir)
    try:
        offset = 0
        while True:
            items, total = store.list(status=status, limit=500, offset=offset)
            for item in items:
                typer.echo(json.dumps(item.to_dict(), ensure_ascii=False))
            offset += len(items)
            if not items or offset >= total:
                break
    except TillrollError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None


@review_app.command("export")
def export(
    out: Path = typer.Option(..., "--out", help="Folder for <id>.json + <id>.png pairs (read by `tillroll train --data annotated:DIR`)."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
) -> None:
    """Write every approved receipt as annotated schema-v1 JSON (label_source: human) next to its page image."""
    from ..server.export import export_approved

    written = export_approved(_store(data_dir), out)
    typer.echo(json.dumps({"out": str(out), "documents": len(written)}))


@review_app.command("finetune")
def finetune(
    out: Path = typer.Option(..., "--out", help="Folder for the fine-tuned model (e.g. models/reviewed-2026-11)."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
    init: Path | None = typer.Option(None, "--init", help="Model to start from (default: the model tillroll ships)."),
    export_dir: Path | None = typer.Option(None, "--export-dir", help="Where the approved receipts are exported first (default: <out>/reviewed-data)."),
    dev: str | None = typer.Option(
        None, "--dev", help="Dataset specs to early-stop on, as for `tillroll train` (default: the approved receipts in the fixed dev split)."
    ),
    mix: str | None = typer.Option(
        None, "--mix", help="Extra training specs mixed in so the model keeps what it knew, e.g. sroie:DIR:train (same syntax as --data)."
    ),
    epochs: int = typer.Option(3, "--epochs", min=1),
    learning_rate: float = typer.Option(2e-5, "--lr", help="Peak learning rate; lower than training from scratch."),
    threads: int = typer.Option(2, "--threads", min=1),
) -> None:
    """Export approved receipts, then fine-tune the word classifier on them (`tillroll.models.train`)."""
    from ..document import Document
    from ..errors import TillrollError
    from ..io.splits import split_of
    from ..server.export import export_approved

    store = _store(data_dir)
    folder = export_dir or out / "reviewed-data"
    try:
        from ..models.predict import resolve_model_dir
        from ..models.train import TrainConfig, train

        written = export_approved(store, folder)
        if not written:
            raise _no_data("no approved receipts to learn from; approve some in the review UI first")
        docs = {p.stem: Document.from_dict(json.loads(p.read_text(encoding="utf-8"))) for p in written}
        # A receipt's pages stay on the same side of the split (they share the receipt id).
        train_docs = [d for stem, d in docs.items() if split_of(stem.split("-p")[0]) == "train"]
        dev_docs = [d for stem, d in docs.items() if split_of(stem.split("-p")[0]) == "dev"]
        if dev:
            from ..models.data import training_documents

            dev_docs = training_documents(dev, uncached="ocr")
        if mix:
            from ..models.data import training_documents

            train_docs += training_documents(mix, uncached="gold")
        if not dev_docs:
            raise _no_data(
                f"none of the {len(docs)} approved receipts falls in the dev split, so there is nothing to early-stop on; "
                "pass --dev (e.g. --dev sroie:DATA/sroie/train:dev)"
            )
        if not train_docs:
            raise _no_data("all approved receipts fall in the dev split; approve more receipts or pass --mix")
        start = init or resolve_model_dir(None)
        if not (start / "torch").is_dir():
            raise _no_data(f"{start} has no torch/ weights to fine-tune; pass --init with a folder written by `tillroll train`")
        config = TrainConfig(
            name=out.name,
            init=str(start),
            epochs=epochs,
            learning_rate=learning_rate,
            threads=threads,
            data={"train": {"reviewed": len(train_docs)}, "dev": {"reviewed_or_spec": dev or "reviewed dev split", "documents": len(dev_docs)}, "mix": mix},
        )
        typer.echo(f"fine-tuning {start} on {len(train_docs)} documents, early stopping on {len(dev_docs)}", err=True)
        result = train(train_docs, dev_docs, out, config)
    except TillrollError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    typer.echo(
        json.dumps(
            {"out": str(result.out_dir), "best_epoch": result.best_epoch, "dev_macro_f1": round(result.dev_scores["macro"]["f1"], 4), "exported": str(folder)}
        )
    )


def _no_data(message: str) -> Exception:
    from ..errors import DataError

    return DataError(message)
