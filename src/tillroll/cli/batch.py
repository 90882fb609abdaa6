"""`tillroll batch`: extract many receipts into one resumable results file."""

from __future__ import annotations

import json
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from . import EXIT_INPUT_FAILED, EXIT_OK, EXIT_USAGE, app
from .extract import DEFAULT_OCR_CHOICE, ORIENTATION_HELP, ModelChoice, OcrChoice, OrientationChoice, PreprocessChoice, build_config


class EngineChoice(StrEnum):
    local = "local"
    ray = "ray"


# Exit status after Ctrl-C, as shells report a process ended by SIGINT.
EXIT_INTERRUPTED = 130
# Without a terminal (logs, CI, a cluster job) the bar is replaced by one line this often.
PLAIN_PROGRESS_EVERY_S = 10.0


def _runtime_env(value: str | None) -> dict[str, Any] | None:
    """--ray-runtime-env: inline JSON, or a path to a JSON/YAML file."""
    if not value:
        return None
    from ..errors import ConfigError

    path = Path(value)
    try:
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if path.suffix.lower() in (".yaml", ".yml"):
                import yaml

                data = yaml.safe_load(text)
            else:
                data = json.loads(text)
        else:
            data = json.loads(value)
    except (ValueError, OSError) as exc:
        raise ConfigError(f"--ray-runtime-env must be JSON or a JSON/YAML file: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError('--ray-runtime-env must be an object, e.g. \'{"pip": ["tillroll[ray]"]}\'')
    return data


def _fmt_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


@app.command()
def batch(
    inputs: list[str] = typer.Argument(
        ..., metavar="INPUT...", help="Folders (recursive), quoted globs ('scans/**/*.jpg'), list files (*.txt, one path per line; - for stdin) or files."
    ),
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="Results file: results.jsonl, results.csv (+ results.line_items.csv) or results.parquet (a folder of parts). Re-running resumes it.",
    ),
    workers: int | None = typer.Option(
        None,
        "--workers",
        "-w",
        min=1,
        help="Worker processes (local) or actors (ray). Default (local): CPUs / --threads-per-worker, one per CPU when neither is given.",
    ),
    engine: EngineChoice = typer.Option(EngineChoice.local, "--engine", help="local: a process pool on this machine; ray: Ray Data, locally or on a cluster."),
    ray_address: str | None = typer.Option(
        None, "--ray-address", help="Join a running Ray cluster (e.g. ray://head:10001 or auto); default: start a private local Ray."
    ),
    ray_runtime_env: str | None = typer.Option(
        None, "--ray-runtime-env", help='Ray runtime_env as JSON or a JSON/YAML file, e.g. \'{"pip": ["tillroll\\[ray]"]}\' (see docs/batch.md).'
    ),
    ocr: OcrChoice = typer.Option(DEFAULT_OCR_CHOICE, "--ocr", help="OCR engine."),
    model: ModelChoice | None = typer.Option(None, "--model", help="Which model labels the words (default: tillroll's default)."),
    preprocess: PreprocessChoice = typer.Option(PreprocessChoice.none, "--preprocess", help="auto: crop a receipt out of a photo, deskew, denoise."),
    orientation: OrientationChoice = typer.Option(OrientationChoice.auto, "--orientation", help=ORIENTATION_HELP),
    threads_per_worker: int | None = typer.Option(
        None,
        "--threads-per-worker",
        min=1,
        help="Threads per worker for OCR and the model. Default (local): CPUs / --workers, so that workers x threads = CPUs; 1 on Ray.",
    ),
    fmt: str | None = typer.Option(None, "--format", help="jsonl, csv or parquet (default: from the --out suffix)."),
    timeout: float | None = typer.Option(
        None,
        "--timeout",
        min=0.001,
        help="Seconds one receipt may take; a slower one gets a 'timeout' error record and its worker moves on. Default: no limit.",
    ),
    retry_failed: bool = typer.Option(
        False, "--retry-failed", help="Process again the inputs that have an error record in the output (the record is replaced)."
    ),
    rows_per_part: int = typer.Option(500, "--rows-per-part", min=1, help="Parquet only: receipts per part file."),
    stats_json: Path | None = typer.Option(None, "--stats-json", help="Also write the summary as JSON to this file."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar; the summary is still printed."),
    export: str | None = typer.Option(
        None,
        "--export",
        help="Also write each document as cii or ubl (EN 16931 XML) or facturx (PDF with the XML attached), one file per document, into --export-dir.",
    ),
    export_dir: Path | None = typer.Option(None, "--export-dir", help="Folder for --export files (default: next to --out, named <out stem>.<format>)."),
    no_embedded_xml: bool = typer.Option(False, "--no-embedded-xml", help="Ignore the XML invoice a PDF carries (Factur-X / ZUGFeRD) and read the page only."),
) -> None:
    """Extract every receipt of INPUT... into one results file, in parallel, resumably.

    Each result is written the moment it is ready. A receipt that fails becomes an error record {source, error, type, message} and the batch goes on. Run the same command again after a crash or Ctrl-C and it continues where it stopped.

    Exit status: 0 all succeeded, 1 some inputs have error records, 2 usage error, 130 interrupted.
    """
    from rich.console import Console
    from rich.markup import escape

    from ..batch.runner import BatchJob
    from ..errors import TillrollError

    err = Console(stderr=True, soft_wrap=True)
    config = build_config(ocr, preprocess, model, orientation)  # the same options, and checks, as `tillroll extract`
    if no_embedded_xml:
        config = config.with_(read_embedded_xml=False)
    exporter = None
    if export is not None:
        from ..einvoice.output import FolderExporter

        try:
            exporter = FolderExporter(export_dir or out.with_name(out.stem + f".{export}"), export)
        except (ValueError, OSError) as exc:
            err.print(f"[red]error:[/red] --export: {exc}")
            raise typer.Exit(EXIT_USAGE) from None
    try:
        job = BatchJob(
            inputs,
            out,
            config=config,
            engine=engine.value,
            workers=workers,
            threads_per_worker=threads_per_worker,
            fmt=fmt,
            retry_failed=retry_failed,
            ray_address=ray_address,
            ray_runtime_env=_runtime_env(ray_runtime_env),
            rows_per_part=rows_per_part,
            timeout_s=timeout,
        )
        stats = job.prepare()
    except TillrollError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None

    if stats.already_done:
        retry_hint = " (add --retry-failed to process them again)" if stats.already_failed and not retry_failed else ""
        err.print(f"resuming {job.out}: {stats.already_done} of {stats.total} already done, {stats.already_failed} of them failed{retry_hint}")
    interrupted = False
    error: TillrollError | None = None
    runner = job if exporter is None else _ExportingJob(job, exporter)
    try:
        if quiet:
            runner.run()
        elif err.is_terminal:
            _run_with_bar(runner, err)
        else:
            _run_with_lines(runner, err)
    except KeyboardInterrupt:
        interrupted = True
    except TillrollError as exc:
        error = exc

    _print_summary(job, err, "interrupted after" if interrupted else "stopped after" if error else "done:")
    if exporter is not None:
        err.print(f"exported {exporter.written} {export} files to {escape(str(exporter.folder))}; {len(exporter.refused)} refused", highlight=False)
        for line in exporter.refused[:5]:
            err.print(f"  refused: {escape(line)}", highlight=False, soft_wrap=True)
    if stats_json:
        try:
            stats_json.write_text(json.dumps(job.stats.to_dict(), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            err.print(
                f"[red]error:[/red] cannot write {escape(str(stats_json))} ({escape(exc.strerror or str(exc))}); choose a --stats-json on a writable disk"
            )
            raise typer.Exit(EXIT_USAGE) from None
    if error is not None:
        err.print(f"[red]error:[/red] {escape(str(error))}")
        raise typer.Exit(EXIT_USAGE)
    if interrupted:
        err.print("interrupted: run the same command again to continue")
        raise typer.Exit(EXIT_INTERRUPTED)
    raise typer.Exit(EXIT_INPUT_FAILED if job.stats.any_failed or (exporter is not None and exporter.refused) else EXIT_OK)


class _ExportingJob:
    """The batch job, with every result also handed to the --export writer (in this process)."""

    def __init__(self, job: Any, exporter: Any) -> None:
        self.job, self.exporter = job, exporter

    def __getattr__(self, name: str) -> Any:
        return getattr(self.job, name)

    def run(self, on_result: Any = None) -> Any:
        def both(record: dict[str, Any], stats: Any) -> None:
            self.exporter(record)
            if on_result is not None:
                on_result(record, stats)

        return self.job.run(both)


def _rate_and_eta(stats: Any) -> tuple[str, str]:
    """Rate over the whole run so far (not a short window: receipts finish in bursts) and the ETA it implies."""
    if not stats.throughput:
        return "-- receipts/s", "ETA --:--"
    left = stats.to_do - stats.finished
    return f"{stats.throughput:.2f} receipts/s", f"ETA {_fmt_duration(left / stats.throughput)}"


def _run_with_bar(job: Any, console: Any) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}", style="progress.data.speed"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[eta]}", style="progress.remaining"),
        TextColumn("[red]{task.fields[failed]} failed"),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(f"{job.engine_name}", total=job.stats.to_do, failed=0, rate="-- receipts/s", eta="ETA --:--")

        def on_result(record: dict[str, Any], stats: Any) -> None:
            rate, eta = _rate_and_eta(stats)
            progress.update(task, advance=1, failed=stats.failed, rate=rate, eta=eta)

        job.run(on_result)


def _run_with_lines(job: Any, console: Any) -> None:
    last = [time.monotonic()]

    def on_result(record: dict[str, Any], stats: Any) -> None:
        now = time.monotonic()
        if now - last[0] >= PLAIN_PROGRESS_EVERY_S:
            last[0] = now
            rate, eta = _rate_and_eta(stats)
            console.print(f"batch: {stats.finished}/{stats.to_do} done, {stats.failed} failed, {rate}, {eta}", highlight=False)

    job.run(on_result)


def _print_summary(job: Any, console: Any, head: str) -> None:
    st = job.stats
    console.print(
        f"{head} {st.processed} processed, {st.failed} failed, {st.already_done} already done "
        f"(of {st.total}) in {_fmt_duration(st.elapsed_s)}; {st.throughput:.2f} receipts/s "
        f"with {job.engine_name} engine",
        highlight=False,
    )
    if st.worker_peak_rss_mb:
        console.print(f"workers: {len(st.worker_peak_rss_mb)}, peak memory per worker: {st.max_worker_rss_mb:.0f} MiB", highlight=False)
    for record in st.failures[:5]:
        console.print(f"  failed: {record['source']}: {record['error']}: {record['message']}", highlight=False, soft_wrap=True)
    if st.failed > 5:
        console.print(f"  ... and {st.failed - 5} more: error records are in {job.out}", highlight=False)
    console.print(f"results: {job.out}", highlight=False)
    sys.stderr.flush()
