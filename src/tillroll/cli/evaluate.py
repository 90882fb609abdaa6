"""`tillroll evaluate` (score a model on a dataset) and `tillroll gold-labels` (check/export gold alignment)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..config import DEFAULT_ENGINE, OCR_ENGINES
from . import EXIT_USAGE, app


def _fail(exc: Exception) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(EXIT_USAGE)


@app.command()
def evaluate(
    data: str = typer.Option(
        ...,
        "--data",
        "-d",
        help="Dataset spec KIND:DIR[:SPLIT], e.g. sroie:../shared/datasets/sroie/train:dev; "
        "e-invoice PDFs: einvoices:DIR (as shipped, embedded XML not read), einvoices-text:DIR (text layer only), "
        "einvoices-scanned:DIR (pages as 200 dpi images)",
    ),
    model: str = typer.Option("rules", "--model", "-m", help="rules | neural | joint"),
    ocr: str = typer.Option(
        DEFAULT_ENGINE,
        "--ocr",
        help=" | ".join(OCR_ENGINES) + " | gold (the annotation's own words: no OCR errors)",
    ),
    labels: str = typer.Option(
        "model",
        "--labels",
        help="model | gold: gold replaces the classifier of --model neural|joint by the annotation's labels, "
        "to score what a perfect classifier would reach with this OCR and assembly",
    ),
    report: Path | None = typer.Option(None, "--report", "-r", help="Folder for report.json, confusion.png/.txt and per_label_f1.png"),
    limit: int | None = typer.Option(None, "--limit", "-n", min=1, help="Score only the first N documents"),
    model_dir: Path | None = typer.Option(None, "--model-dir", help="Classifier folder (default: the shipped model)"),
    save_predictions: bool = typer.Option(False, "--save-predictions", help="Also write each predicted document to REPORT/predictions/"),
    markdown: Path | None = typer.Option(None, "--markdown", help="Also write the tables as Markdown to this file"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar"),
    key_values: str = typer.Option(
        "heuristic",
        "--key-values",
        help="heuristic | model | auto: key-value pairs from the same-line heuristic (default) or the learned model (models/kv, FUNSD-trained, opt-in)",
    ),
) -> None:
    """Run a model over a dataset and print word-, field-, line-item and key-value scores.

    OCR results are cached (TILLROLL_CACHE_DIR), so a second run only re-runs the model.
    """
    from rich.console import Console
    from rich.table import Table

    from ..config import PipelineConfig
    from ..errors import TillrollError
    from ..evaluate.runner import evaluate_dataset, evaluation_markdown, write_report

    if save_predictions and report is None:
        _fail(ValueError("--save-predictions needs --report DIR to write into"))
    try:
        config = PipelineConfig(model=model, model_dir=model_dir, key_values=key_values)
        result = evaluate_dataset(
            data,
            model=model,
            ocr=ocr,
            limit=limit,
            config=config,
            progress=progress,
            predictions_dir=(report / "predictions") if save_predictions and report else None,
            labels=labels,
        )
    except TillrollError as exc:
        _fail(exc)
        return
    console = Console()
    if not console.is_terminal:
        console = Console(width=140)
    title = f"{model} / OCR {ocr}{' / gold word labels' if labels == 'gold' else ''} on {data}: {result['documents']} documents" + (
        f", {result['failed']} FAILED" if result["failed"] else ""
    )
    if "words" in result:
        table = Table(title=f"Word labels ({title})")
        for col in ("label", "support", "precision", "recall", "F1"):
            table.add_column(col, justify="left" if col == "label" else "right")
        for label, s in result["words"]["per_label"].items():
            if s["support"] or s["fp"]:
                table.add_row(label, str(s["support"]), f"{s['precision']:.3f}", f"{s['recall']:.3f}", f"{s['f1']:.3f}")
        for name, avg in result["words"]["averages"].items():
            table.add_row(f"[bold]{name}[/bold]", "", f"{avg['precision']:.3f}", f"{avg['recall']:.3f}", f"{avg['f1']:.3f}")
        console.print(table)
    fields = result.get("fields")
    if fields and fields["exact"]["per_field"]:
        table = Table(
            title="Fields (exact: normalised values equal; strict: names and addresses by letters and digits, "
            "the rest by normalised value; lenient: format differences forgiven; "
            "missed: gold values not matched, and how many of them the OCR text lacks)"
        )
        strict = fields.get("strict", {"per_field": {}, "micro": {}})
        for col in ("field", "support", "P exact", "R exact", "F1 exact", "F1 strict", "F1 lenient", "missed", "not in OCR"):
            table.add_column(col, justify="left" if col == "field" else "right")
        misses = fields.get("misses", {})
        for name, s in fields["exact"]["per_field"].items():
            lenient = fields["lenient"]["per_field"][name]
            miss = misses.get(name, {"missed": 0, "not_in_ocr_text": 0})
            strict_f1 = strict["per_field"].get(name, {}).get("f1", 0.0)
            table.add_row(
                name,
                str(s["support"]),
                f"{s['precision']:.3f}",
                f"{s['recall']:.3f}",
                f"{s['f1']:.3f}",
                f"{strict_f1:.3f}",
                f"{lenient['f1']:.3f}",
                str(miss["missed"]),
                str(miss["not_in_ocr_text"]),
            )
        table.add_row(
            "[bold]micro[/bold]",
            "",
            f"{fields['exact']['micro']['precision']:.3f}",
            f"{fields['exact']['micro']['recall']:.3f}",
            f"{fields['exact']['micro']['f1']:.3f}",
            f"{strict['micro'].get('f1', 0.0):.3f}",
            f"{fields['lenient']['micro']['f1']:.3f}",
            str(sum(m["missed"] for m in misses.values())),
            str(sum(m["not_in_ocr_text"] for m in misses.values())),
        )
        console.print(table)
    if "sroie" in result:
        s = result["sroie"]
        console.print(
            "SROIE 4-entity F1: " + ", ".join(f"{k} {v['f1']:.3f}" for k, v in s["per_entity"].items()) + f"; micro [bold]{s['micro']['f1']:.3f}[/bold]"
        )
    if "line_items" in result:
        li = result["line_items"]
        console.print(f"Line items: P {li['precision']:.3f} R {li['recall']:.3f} F1 [bold]{li['f1']:.3f}[/bold] ({li['tp'] + li['fn']} gold)")
    if "tax_rows" in result:
        tr = result["tax_rows"]
        console.print(f"Tax rows (rate and tax): P {tr['precision']:.3f} R {tr['recall']:.3f} F1 [bold]{tr['f1']:.3f}[/bold] ({tr['tp'] + tr['fn']} gold)")
    for key, what in (("line_items_printed", "Line items"), ("tax_rows_printed", "Tax rows")):
        if key in result:
            pr = result[key]
            console.print(f"{what}, the {pr.get('unprinted_gold_amounts', '?')} gold amounts the page does not print unchecked: F1 {pr['f1']:.3f}")
    if "document_type" in result:
        dt = result["document_type"]
        console.print(f"Document type: {dt['correct']}/{dt['of']} right")
    if "key_values" in result:
        kv = result["key_values"]
        console.print(f"Key-value pairs: P {kv['precision']:.3f} R {kv['recall']:.3f} F1 [bold]{kv['f1']:.3f}[/bold] ({kv['tp'] + kv['fn']} gold)")
    if "funsd" in result:
        fu = result["funsd"]
        ent, link = fu["entities"], fu["links"]
        per = ", ".join(f"{k} {v['f1']:.3f}" for k, v in ent["per_type"].items())
        console.print(
            f"Forms (key-values from the {fu['key_values_from']}): entity F1 [bold]{ent['micro']['f1']:.3f}[/bold] ({per}); "
            f"link P {link['precision']:.3f} R {link['recall']:.3f} F1 [bold]{link['f1']:.3f}[/bold] ({link['gold']} gold links)"
        )
    if "entity_location" in result:
        loc = result["entity_location"]
        console.print(f"SROIE entities located: gold boxes {loc['gold_boxes']['rate']:.3f}, OCR words {loc['ocr_words']['rate']:.3f}")
    if "ocr_cache" in result:
        console.print(f"OCR cache: {result['ocr_cache']['hits']} hits, {result['ocr_cache']['misses']} misses ({result['ocr_cache']['dir']})")
    scored = [d for d in result["per_document"] if d["word_accuracy"] is not None]
    if len(scored) > 5:
        worst = sorted(scored, key=lambda d: d["word_accuracy"])[:5]
        console.print("Lowest word accuracy: " + ", ".join(f"{d['id']} {d['word_accuracy']:.2f}" for d in worst))
    for err in result["errors"][:5]:
        console.print(f"[red]failed[/red] {err['id']}: {err['error']}")
    if report is not None:
        written = write_report(result, report)
        console.print(f"report: {', '.join(str(p) for p in written)}")
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(evaluation_markdown(result), encoding="utf-8")


@app.command("gold-labels")
def gold_labels(
    data: str = typer.Option(..., "--data", "-d", help="Dataset spec KIND:DIR[:SPLIT]"),
    ocr: str = typer.Option("gold", "--ocr", help="gold (annotated boxes) | rapidocr | tesseract"),
    export: Path | None = typer.Option(None, "--export", help="Write each gold-labelled document as schema-v1 JSON here"),
    report: Path | None = typer.Option(None, "--report", "-r", help="Write report.json here"),
    limit: int | None = typer.Option(None, "--limit", "-n", min=1),
    markdown: Path | None = typer.Option(None, "--markdown", help="Also write the table as Markdown to this file"),
    progress: bool = typer.Option(True, "--progress/--no-progress"),
) -> None:
    """Check the gold-label alignment: SROIE entities located, annotated words reaching OCR words."""
    import json

    from ..errors import TillrollError
    from ..evaluate.runner import alignment_markdown, alignment_report

    try:
        result = alignment_report(data, ocr=ocr, limit=limit, progress=progress, export_dir=export)
    except TillrollError as exc:
        _fail(exc)
        return
    if "entity_location" in result:
        loc = result["entity_location"]
        per = ", ".join(f"{k} {v['located']}/{v['of']}" for k, v in loc["per_entity"].items())
        typer.echo(f"entities located on {ocr} words: {loc['located']}/{loc['of']} = {loc['rate']:.2%} ({per})")
    tr = result["transfer"]
    per = ", ".join(f"{k} {v['rate']:.1%}" for k, v in tr["per_entity"].items())
    typer.echo(f"annotated words whose label reached a {ocr} word: {tr['located']}/{tr['of']} = {(tr['rate'] or 0):.2%} ({per})")
    if report is not None:
        report.mkdir(parents=True, exist_ok=True)
        (report / "report.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(alignment_markdown([result]), encoding="utf-8")


@app.command("compare-reports")
def compare_reports(
    reports: list[Path] = typer.Argument(..., help="report.json files (or folders holding one) written by `tillroll evaluate --report`"),
    names: str | None = typer.Option(None, "--names", help="Comma-separated column names (default: model/ocr)"),
    markdown: Path | None = typer.Option(None, "--markdown", help="Write the tables to this file instead of printing them"),
) -> None:
    """Side-by-side averages and per-label F1 of several evaluations (the paper's Tables 2 and 3)."""
    import json

    from ..evaluate.runner import comparison_markdown

    loaded = []
    for path in reports:
        file = path / "report.json" if path.is_dir() else path
        try:
            loaded.append(json.loads(file.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            _fail(ValueError(f"cannot read {file}: {exc}; pass report.json files written by `tillroll evaluate --report DIR`"))
    column_names = [n.strip() for n in names.split(",")] if names else None
    if column_names and len(column_names) != len(loaded):
        _fail(ValueError(f"--names has {len(column_names)} names for {len(loaded)} reports"))
    text = comparison_markdown(loaded, column_names)
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(text, encoding="utf-8")
    else:
        typer.echo(text)
