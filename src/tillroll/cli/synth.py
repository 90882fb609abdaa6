"""`tillroll synth`: write synthetic receipts with perfect word labels (images + schema-v1 JSON)."""

from __future__ import annotations

from pathlib import Path

import typer

from . import EXIT_OK, EXIT_USAGE, app


@app.command()
def synth(
    out: Path | None = typer.Option(None, "--out", "-o", help="Folder for <id>.png/.jpg + <id>.json (created if missing); required."),
    n: int = typer.Option(100, "--n", "-n", min=0, help="How many receipts (or invoices)."),
    kind: str = typer.Option("receipt", "--kind", help="receipt | invoice (A4 invoices and credit notes, 1-3 pages)."),
    locales: str | None = typer.Option(
        None,
        "--locales",
        "-l",
        help="Comma-separated locale codes, or 'all'. Receipts (default mt,uk,my): mt, uk, my, us, de, it, es, pl. "
        "Invoices (default all): de, fr, gb (en-GB), nl, it, es, pl, sv.",
    ),
    form: str = typer.Option(
        "image", "--form", help="Invoices only: image (<id>.tif, 200 dpi pages) | pdf (text-layer <id>.pdf, needs reportlab) | both (DIR/image and DIR/pdf)."
    ),
    seed: int = typer.Option(0, "--seed", help="Same seed, same arguments: byte-identical files."),
    degrade: float = typer.Option(0.0, "--degrade", min=0.0, max=1.0, help="0 clean renders (PNG); up to 1 heavy scan/photo degradation (JPEG)."),
    templates: str | None = typer.Option(None, "--templates", help="Comma-separated template names (default: all); for invoices, layout names."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes; output does not depend on it."),
    start: int = typer.Option(0, "--start", min=0, help="Index of the first receipt, to extend an earlier run."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    list_options: bool = typer.Option(False, "--list", help="List locales and templates, then exit."),
) -> None:
    """Generate synthetic receipts for training and testing.

    Example: tillroll synth --n 500 --locales mt,uk,my --seed 7 --out data/synth --degrade 0.5 --workers 2
    """
    import time

    from rich.console import Console

    from ..errors import TillrollError
    from ..synth.generate import generate
    from ..synth.localedata import available_locales
    from ..synth.templates import available_templates

    console = Console(stderr=True)
    if kind not in ("receipt", "invoice"):
        console.print(f"[red]error:[/red] unknown --kind {kind!r}; choose receipt or invoice")
        raise typer.Exit(EXIT_USAGE)
    if list_options:
        from ..synth.invoice.content import available_invoice_locales
        from ..synth.invoice.layout import LAYOUTS

        typer.echo("locales:   " + ", ".join(available_locales()))
        typer.echo("templates: " + ", ".join(available_templates()))
        typer.echo("invoice locales: " + ", ".join(available_invoice_locales()))
        typer.echo("invoice layouts: " + ", ".join(LAYOUTS))
        raise typer.Exit(EXIT_OK)
    if out is None:
        console.print(f"[red]error:[/red] say where to write the {kind}s with --out DIR")
        raise typer.Exit(EXIT_USAGE)
    began = time.perf_counter()
    if kind == "invoice":
        from ..synth.invoice.generate import iter_generate_invoices

        try:
            count = sum(
                1 for _ in iter_generate_invoices(n, locales or "all", seed, out, layouts=templates, form=form, workers=workers, start=start, degrade=degrade)
            )
        except TillrollError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(EXIT_USAGE) from None
        console.print(f"wrote {count} invoices ({form}) with their JSON to {out} in {time.perf_counter() - began:.1f} s")
        return
    try:
        paths = generate(n, locales or "mt,uk,my", seed, out, degrade=degrade, templates=templates, workers=workers, progress=progress, start=start)
    except TillrollError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    elapsed = time.perf_counter() - began
    console.print(f"wrote {len(paths)} receipts (image + JSON) to {out} in {elapsed:.1f} s")
