"""`tillroll extract`: receipts in, schema-v1 JSON out.

One pipeline is built for the whole run (loading OCR models and the classifier
takes seconds; reading one receipt should not pay that again). A file that
fails gets a one-line message on stderr and an error record in the output, the
other files are still processed, and the exit status is 1.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Iterator
from enum import Enum, StrEnum
from pathlib import Path
from typing import IO, Any

import typer

from ..config import DEFAULT_ENGINE
from ..ocr.memory import LEAN_MEMORY_ENV, apply_lean_memory_policy, release_free_memory
from . import EXIT_INPUT_FAILED, EXIT_OK, EXIT_USAGE, app

STDIN = "-"
EXIT_INTERRUPTED = 130  # as shells report a process ended by Ctrl-C


def _silence_stdout() -> None:
    """Point stdout at /dev/null so Python's exit-time flush cannot fail on a closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


# Choices for --help and for usage errors (exit 2) on a bad value: config.OCR_ENGINES, in its order (a test checks).
class OcrChoice(StrEnum):
    rapidocr = "rapidocr"
    # no per-line angle classifier, parallel recognisers: fewer character errors, less CPU
    rapidocr_tuned = "rapidocr-tuned"
    # the same with the PP-OCRv6 tiny detector: about half the CPU, slightly more character errors
    rapidocr_tinydet = "rapidocr-tinydet"
    # PP-OCRv6 tiny models: about a third of the default's CPU time, a little less accurate
    rapidocr_fast = "rapidocr-fast"
    # faster-paddle's Rust pipeline: tiny models (fastest of all) and small models
    paddle_fast = "paddle-fast"
    paddle_small = "paddle-small"
    tesseract = "tesseract"


DEFAULT_OCR_CHOICE = OcrChoice(DEFAULT_ENGINE)


class PreprocessChoice(StrEnum):
    none = "none"
    auto = "auto"


class OrientationChoice(StrEnum):
    auto = "auto"
    none = "none"


ORIENTATION_HELP = "auto: turn pages photographed sideways or upside down upright before OCR (Page.rotation says how); none: OCR pages as loaded."


class ModelChoice(StrEnum):
    rules = "rules"
    neural = "neural"
    joint = "joint"


class FormatChoice(StrEnum):
    """Output formats (tillroll.einvoice.output.FORMATS)."""

    json = "json"
    cii = "cii"
    ubl = "ubl"
    facturx = "facturx"


def _value(choice: Any) -> Any:
    return choice.value if isinstance(choice, Enum) else choice


def build_config(ocr: str, preprocess: str, model: str | None, orientation: str = "auto") -> Any:
    """A PipelineConfig from CLI options; a bad value is a usage error (exit 2)."""
    from ..config import PipelineConfig
    from ..errors import ConfigError

    try:
        options = {"ocr": _value(ocr), "preprocess": _value(preprocess), "orientation": _value(orientation)}
        if model:
            options["model"] = _value(model)
        return PipelineConfig(**options)
    except ConfigError as exc:
        fail_usage(str(exc))


def fail_usage(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def build_pipeline(config: Any, stages: tuple[str, ...] | None = None) -> Any:
    """Build the pipeline once; a missing engine or model ends the run with its instructions."""
    from ..errors import ConfigError, TillrollError
    from ..pipeline import Pipeline, make_stage

    try:
        config.check_data_dir()
        if stages is None:
            return Pipeline(config)
        return Pipeline(config, stages=[make_stage(name, config) for name in stages])
    except ConfigError as exc:
        fail_usage(str(exc))
    except TillrollError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_INPUT_FAILED) from None


def read_inputs(files: list[str]) -> Iterator[tuple[str, Any]]:
    """(display name, path or binary stream) per input; "-" reads one file from standard input."""
    for f in files:
        if f == STDIN:
            # The stream itself: the loader reads at most the size limit + 1 bytes of it,
            # so an endless pipe is refused instead of filling the memory.
            yield "<stdin>", sys.stdin.buffer
        else:
            yield f, Path(f)


def process_one(pipeline: Any, name: str, source: Any) -> tuple[Any, dict[str, Any] | None]:
    """(document, None) on success, (None, error record) on failure; the message goes to stderr."""
    from ..errors import TillrollError

    try:
        return pipeline.process(source, name=name), None
    except TillrollError as exc:
        record = exc.to_record()
        record["source"] = name
        typer.echo(f"error: {exc}", err=True)
        return None, record
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - a bug must not stop the other files or show a traceback
        if os.environ.get("TILLROLL_DEBUG"):
            traceback.print_exc()
        typer.echo(
            f"error: {name}: internal error {type(exc).__name__}: {exc} "
            "(this is a tillroll bug; please report it with the file, or set TILLROLL_DEBUG=1 for the traceback)",
            err=True,
        )
        return None, {"error": "internal_error", "type": type(exc).__name__, "message": str(exc), "source": name}


def unique_stem(name: str, used: set[str]) -> str:
    """File stem for --out/--overlay; a.jpg and b/a.jpg become a and a-2."""
    stem = Path(name).stem if name != "<stdin>" else "stdin"
    candidate, n = stem, 1
    while candidate in used:
        n += 1
        candidate = f"{stem}-{n}"
    used.add(candidate)
    return candidate


class JsonWriter:
    """Streams results to stdout: pretty for one file, an array for several, or JSON Lines."""

    def __init__(self, stream: IO[str], n_inputs: int, jsonl: bool) -> None:
        self.stream, self.jsonl = stream, jsonl
        self.array = not jsonl and n_inputs > 1
        self.count = 0

    def write(self, obj: dict[str, Any]) -> None:
        if self.jsonl:
            self.stream.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
        else:
            text = json.dumps(obj, ensure_ascii=False, indent=2)
            if self.array:
                text = ("[\n" if self.count == 0 else ",\n") + "\n".join("  " + line for line in text.splitlines())
            else:
                text += "\n"
            self.stream.write(text)
        self.count += 1
        self.stream.flush()

    def close(self) -> None:
        if self.array:
            self.stream.write("\n]\n" if self.count else "[]\n")
            self.stream.flush()


@app.command()
def extract(
    files: list[str] = typer.Argument(..., metavar="FILE...", help="Images (JPEG, PNG, TIFF, WebP, BMP) or PDFs; - reads one from stdin."),
    jsonl: bool = typer.Option(False, "--jsonl", help="One compact JSON object per line (each has `source`) instead of pretty JSON."),
    out: Path | None = typer.Option(None, "--out", "-o", file_okay=False, help="Write <stem>.json per input into this folder instead of printing."),
    overlay: Path | None = typer.Option(
        None, "--overlay", file_okay=False, help="Write <stem>.png per input into this folder: boxes coloured by label, with a legend."
    ),
    ocr: OcrChoice = typer.Option(DEFAULT_OCR_CHOICE, "--ocr", help="OCR engine."),
    preprocess: PreprocessChoice = typer.Option(PreprocessChoice.none, "--preprocess", help="auto: crop a receipt out of a photo, deskew, denoise."),
    orientation: OrientationChoice = typer.Option(OrientationChoice.auto, "--orientation", help=ORIENTATION_HELP),
    model: ModelChoice | None = typer.Option(None, "--model", help="Which model labels the words (default: tillroll's default)."),
    fmt: FormatChoice = typer.Option(
        FormatChoice.json,
        "--format",
        help="json: schema-v1 JSON; cii / ubl: EN 16931 XML (Factur-X EN16931 CII, UBL 2.1 PEPPOL BIS 3); facturx: the input PDF/scan with the CII XML attached. XML needs every mandatory business term; missing ones are named.",
    ),
    document_type: str = typer.Option("auto", "--document-type", help="auto: decide from the document; or force receipt, invoice or credit_note."),
    no_embedded_xml: bool = typer.Option(False, "--no-embedded-xml", help="Ignore the XML invoice a PDF carries (Factur-X / ZUGFeRD) and read the page only."),
) -> None:
    """Extract shop, date, items, totals... from receipts and print schema-v1 JSON.

    One file prints one JSON document; several print a JSON array (or JSON Lines
    with --jsonl). A file that cannot be read gets an error record
    ({"error", "type", "message", "source"}) in its place and a message on
    stderr; the others are still processed and the exit status is 1.
    """
    # A one-off extraction keeps its memory peak low and predictable (under 500 MB even on
    # the largest dataset photos) for little time; see tillroll.ocr.memory. Set before any
    # model loads. Batch workers and the server keep glibc's defaults.
    os.environ.setdefault(LEAN_MEMORY_ENV, "1")
    apply_lean_memory_policy()
    config = build_config(ocr, preprocess, model, orientation)
    if no_embedded_xml:
        config = config.with_(read_embedded_xml=False)
    if document_type != "auto":
        from ..errors import ConfigError

        try:
            config = config.with_(document_type=document_type)
        except ConfigError as exc:
            fail_usage(str(exc))
    if files.count(STDIN) > 1:
        fail_usage("standard input (-) can be read only once")
    out_format = _value(fmt)
    if out_format != "json" and out is None and len(files) > 1:
        fail_usage(f"--format {out_format} writes one file per input: add --out FOLDER")
    if out_format == "facturx" and out is None and sys.stdout.isatty():
        fail_usage("--format facturx writes a PDF: add --out FOLDER or redirect standard output to a file")
    pipeline = build_pipeline(config)
    for folder in (out, overlay):
        if folder is not None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                fail_usage(f"cannot create the folder {folder}: {exc.strerror or exc}")

    writer = None if out is not None else JsonWriter(sys.stdout, len(files), jsonl)
    used_json: set[str] = set()
    used_png: set[str] = set()
    failed = 0
    try:
        for name, source in read_inputs(files):
            doc, error = process_one(pipeline, name, source)
            release_free_memory()  # one file's leftovers must not add to the next file's peak
            if doc is None:
                failed += 1
                if writer is not None and (writer.array or writer.jsonl):
                    writer.write(error or {})
                continue
            if overlay is not None:
                try:
                    from ..render.overlay import save_overlays

                    for path in save_overlays(doc, overlay, unique_stem(name, used_png)):
                        typer.echo(f"overlay: {path}", err=True)
                except OSError as exc:
                    failed += 1
                    typer.echo(f"error: {name}: cannot write the overlay ({exc.strerror or exc})", err=True)
            if out_format != "json":
                failed += _write_einvoice(doc, name, source, out_format, out, used_json)
                continue
            result = doc.to_dict()
            if out is not None:
                path = out / f"{unique_stem(name, used_json)}.json"
                try:
                    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
                    typer.echo(f"wrote {path}", err=True)
                except OSError as exc:
                    failed += 1
                    typer.echo(f"error: {name}: cannot write {path} ({exc.strerror or exc})", err=True)
            else:
                assert writer is not None
                writer.write(result)
        if writer is not None:
            writer.close()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except BrokenPipeError:
        # `tillroll extract *.jpg | head` closed our output: stop quietly, as Unix tools do.
        _silence_stdout()
        raise typer.Exit(EXIT_INPUT_FAILED if failed else EXIT_OK) from None
    raise typer.Exit(EXIT_INPUT_FAILED if failed else EXIT_OK)


def _write_einvoice(doc: Any, name: str, source: Any, fmt: str, out: Path | None, used: set[str]) -> int:
    """Write `doc` as CII / UBL XML or a Factur-X PDF (to `out` or stdout); 1 when it could not be written."""
    from ..einvoice.output import SUFFIX, render
    from ..errors import TillrollError

    try:
        original = source if isinstance(source, bytes) else (Path(source).read_bytes() if fmt == "facturx" else None)
        data = render(doc, fmt, original)
    except TillrollError as exc:
        typer.echo(f"error: {name}: {exc.message}", err=True)
        return 1
    except OSError as exc:
        typer.echo(f"error: {name}: cannot read it again for the Factur-X PDF ({exc.strerror or exc})", err=True)
        return 1
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0
    path = out / f"{unique_stem(name, used)}{SUFFIX[fmt]}"
    try:
        path.write_bytes(data)
    except OSError as exc:
        typer.echo(f"error: {name}: cannot write {path} ({exc.strerror or exc})", err=True)
        return 1
    typer.echo(f"wrote {path}", err=True)
    return 0
