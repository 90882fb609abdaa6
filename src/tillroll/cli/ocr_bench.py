"""`tillroll ocr-bench`: compare OCR engines on an annotated dataset in the shape of the paper's Table 1."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from . import EXIT_USAGE, app


@app.command("ocr-bench")
def ocr_bench(
    data: str = typer.Option(..., "--data", "-d", help="Dataset spec KIND:DIR[:SPLIT], e.g. sroie:../shared/datasets/sroie/train:dev"),
    engines: str = typer.Option("rapidocr,tesseract", "--engines", "-e", help="Comma-separated OCR engine names"),
    limit: Optional[int] = typer.Option(None, "--limit", "-n", min=1, help="Only the first N documents"),
    report: Optional[Path] = typer.Option(None, "--report", "-r", help="Write report.json here"),
    markdown: Optional[Path] = typer.Option(None, "--markdown", help="Also write the table as Markdown to this file"),
    speed_sample: int = typer.Option(0, "--speed-sample", min=0, help="Also time each engine without the cache on the first N images (median s/image)"),
    progress: bool = typer.Option(True, "--progress/--no-progress"),
) -> None:
    """Average Levenshtein, CER, WER, character/word accuracy and macro token P/R/F1 per engine.

    Each engine's text inside every annotated line is compared with the line's
    gold text; OCR results come from (and go to) the cache in TILLROLL_CACHE_DIR.
    """
    import json

    from rich.console import Console
    from rich.table import Table

    from ..errors import TillrollError
    from ..evaluate.runner import ocr_benchmark, ocr_markdown

    names = [e.strip() for e in engines.split(",") if e.strip()]
    if not names:
        typer.echo("error: --engines needs at least one engine name", err=True)
        raise typer.Exit(EXIT_USAGE)
    try:
        result = ocr_benchmark(data, names, limit=limit, progress=progress, speed_sample=speed_sample)
    except TillrollError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from exc
    table = Table(title=f"OCR on {data} ({result['documents']} documents)")
    columns = ("engine", "Avg. Lev. ↓", "CER ↓", "WER ↓", "Char. acc. ↑", "Word acc. ↑", "Macro P ↑", "Macro R ↑", "Macro F1 ↑", "s/image")
    for col in columns:
        table.add_column(col, justify="left" if col == "engine" else "right")
    keys = ("avg_levenshtein", "cer", "wer", "char_accuracy", "word_accuracy", "macro_precision", "macro_recall", "macro_f1")
    for name, row in result["engines"].items():
        speed = "-" if row["seconds_per_image"] is None else f"{row['seconds_per_image']:.2f}"
        table.add_row(name, *(f"{row[k]:.4f}" for k in keys), speed)
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # logs and pipes: do not squeeze the table to 80 columns
    console.print(table)
    if report is not None:
        report.mkdir(parents=True, exist_ok=True)
        (report / "report.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(ocr_markdown(result), encoding="utf-8")
