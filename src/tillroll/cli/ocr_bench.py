"""`tillroll ocr-bench`: compare OCR engine configurations on annotated datasets: accuracy (paper Table 1, page CER) and time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ..config import OCR_ENGINES
from . import EXIT_USAGE, app


def summary_markdown(reports: list[dict[str, Any]]) -> str:
    """One row per engine: page CER on each dataset, then median wall and CPU seconds per image over all timed images.

    The shape of issue 19's table; the times of every dataset's timed images are pooled.
    """
    import statistics

    engines: list[str] = []
    for report in reports:
        engines += [name for name in report["engines"] if name not in engines]
    head = ["engine", *(f"{report['dataset']} page CER" for report in reports), "wall s/image", "CPU s/image", "threads"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for name in engines:
        cells = [name]
        walls: list[float] = []
        cpus: list[float] = []
        threads = None
        for report in reports:
            row = report["engines"].get(name)
            cells.append("-" if row is None or row.get("page_cer") is None else f"{row['page_cer'] * 100:.1f} %")
            if row is not None:
                walls += row.get("seconds_per_image_all") or []
                cpus += row.get("cpu_seconds_per_image_all") or []
                threads = threads or row.get("threads")
        cells.append(f"{statistics.median(walls):.2f}" if walls else "-")
        cells.append(f"{statistics.median(cpus):.2f}" if cpus else "-")
        cells.append(str(threads) if threads else "library default")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


@app.command("ocr-bench")
def ocr_bench(
    data: list[str] = typer.Option(
        ..., "--data", "-d", help="Dataset spec KIND:DIR[:SPLIT], e.g. sroie:../shared/datasets/sroie/train:dev; repeat for several."
    ),
    engines: str = typer.Option(
        "rapidocr,rapidocr-tuned,rapidocr-fast",
        "--engines",
        "-e",
        help="Comma-separated OCR engine names (" + ", ".join(OCR_ENGINES) + ").",
    ),
    limit: int | None = typer.Option(None, "--limit", "-n", min=1, help="Only the first N documents of each dataset"),
    report: Path | None = typer.Option(None, "--report", "-r", help="Write report.json here"),
    markdown: Path | None = typer.Option(None, "--markdown", help="Also write the tables as Markdown to this file"),
    speed_sample: int = typer.Option(
        0, "--speed-sample", min=0, help="Also time each engine without the cache on the first N images of each dataset (median wall and CPU s/image)"
    ),
    threads: int | None = typer.Option(None, "--threads", min=1, help="Threads per RapidOCR engine (default: all cores, or TILLROLL_OCR_THREADS)."),
    progress: bool = typer.Option(True, "--progress/--no-progress"),
) -> None:
    """Page CER, average Levenshtein, CER, WER, character/word accuracy, macro token P/R/F1, wall and CPU time per engine.

    Each engine's text inside every annotated line is compared with the line's
    gold text, and the whole page's text in reading order with the
    annotation's (page CER: edits / reference characters, upper-cased,
    whitespace removed). OCR results come from (and go to) the cache in
    TILLROLL_CACHE_DIR; times come from --speed-sample reads that bypass it.
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
    results = []
    try:
        for spec in data:
            results.append(ocr_benchmark(spec, names, limit=limit, progress=progress, speed_sample=speed_sample, threads=threads))
    except TillrollError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from exc
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)  # logs and pipes: do not squeeze the table to 80 columns
    columns = (
        "engine",
        "Avg. Lev. ↓",
        "CER ↓",
        "WER ↓",
        "Char. acc. ↑",
        "Word acc. ↑",
        "Macro P ↑",
        "Macro R ↑",
        "Macro F1 ↑",
        "page CER ↓",
        "wall s/image",
        "CPU s/image",
    )
    keys = ("avg_levenshtein", "cer", "wer", "char_accuracy", "word_accuracy", "macro_precision", "macro_recall", "macro_f1")
    for result in results:
        table = Table(title=f"OCR on {result['dataset']} ({result['documents']} documents)")
        for col in columns:
            table.add_column(col, justify="left" if col == "engine" else "right")
        for name, row in result["engines"].items():
            speed = "-" if row["seconds_per_image"] is None else f"{row['seconds_per_image']:.2f}"
            cpu = "-" if row.get("cpu_seconds_per_image") is None else f"{row['cpu_seconds_per_image']:.2f}"
            table.add_row(name, *(f"{row[k]:.4f}" for k in keys), f"{row['page_cer'] * 100:.1f} %", speed, cpu)
        console.print(table)
    if len(results) > 1:
        console.print(summary_markdown(results))
    load = results[-1]["environment"].get("load_average_1m")
    if speed_sample and load is not None:
        console.print(
            f"1-minute load average at the end: {load} on {results[-1]['environment']['cpus']} CPUs (wall times stretch under load; CPU times much less)."
        )
    if report is not None:
        report.mkdir(parents=True, exist_ok=True)
        payload: Any = results[0] if len(results) == 1 else {"kind": "ocr_benchmarks", "reports": results}
        (report / "report.json").write_text(json.dumps(payload, indent=1), encoding="utf-8")
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        if len(results) == 1:  # the table alone, as benchmarks/update_benchmarks.sh splices it
            text = ocr_markdown(results[0])
        else:
            text = "\n".join(f"### {result['dataset']}\n\n{ocr_markdown(result)}" for result in results)
            text += "\n### All datasets\n\n" + summary_markdown(results)
        markdown.write_text(text, encoding="utf-8")
