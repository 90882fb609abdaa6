"""`tillroll ocr`: what the OCR engine read, as lines of text (or words and lines as JSON).

Useful before blaming the model: if a word is wrong here, no later stage can
put it right. Only loading, optional preprocessing and OCR run.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

from . import EXIT_INPUT_FAILED, EXIT_OK, app
from .extract import STDIN, OcrChoice, PreprocessChoice, build_config, build_pipeline, fail_usage, process_one, read_inputs


def ocr_result(doc: Any) -> dict[str, Any]:
    """Pages, words and lines (each line: its text and word ids) of an OCR'd document."""
    lines = []
    for words in doc.lines():
        lines.append(
            {
                "id": words[0].line,
                "page": words[0].page,
                "text": " ".join(w.text for w in words),
                "word_ids": [w.id for w in words],
            }
        )
    return {
        "source": doc.source,
        "pages": [p.to_dict() for p in doc.pages],
        "words": [
            {"id": w.id, "page": w.page, "text": w.text, "box": [round(v, 1) for v in w.box], "line": w.line, "ocr_confidence": w.ocr_confidence}
            for w in doc.words
        ],
        "lines": lines,
        "timings_ms": dict(doc.timings_ms),
    }


@app.command()
def ocr(
    files: list[str] = typer.Argument(..., metavar="FILE...", help="Images or PDFs; - reads one from stdin."),
    as_json: bool = typer.Option(False, "--json", help="Print words (text, box, confidence, line) and lines as JSON."),
    boxes: bool = typer.Option(False, "--boxes", help="Text mode: list every word with its box and confidence under its line."),
    engine: OcrChoice = typer.Option(OcrChoice.rapidocr, "--ocr", help="OCR engine."),
    preprocess: PreprocessChoice = typer.Option(PreprocessChoice.none, "--preprocess", help="auto: crop, deskew, denoise first."),
) -> None:
    """Print the text lines OCR reads on each file (no labelling, no fields)."""
    if files.count(STDIN) > 1:
        fail_usage("standard input (-) can be read only once")
    config = build_config(engine, preprocess, None)
    pipeline = build_pipeline(config, stages=("preprocess", "ocr"))
    failed = 0
    results = []
    for i, (name, source) in enumerate(read_inputs(files)):
        doc, error = process_one(pipeline, name, source)
        if doc is None:
            failed += 1
            if as_json and len(files) > 1:
                results.append(error)
            continue
        if as_json:
            results.append(ocr_result(doc))
            continue
        if len(files) > 1:
            sys.stdout.write(("\n" if i else "") + f"==> {name} <==\n")
        for words in doc.lines():
            sys.stdout.write(" ".join(w.text for w in words) + "\n")
            if boxes:
                for w in words:
                    x0, y0, x1, y1 = (round(v) for v in w.box)
                    sys.stdout.write(f"    {w.text!r:<24} [{x0}, {y0}, {x1}, {y1}]  p{w.page}  conf {w.ocr_confidence:.2f}\n")
    if as_json and results:
        payload: Any = results[0] if len(files) == 1 else results
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()
    raise typer.Exit(EXIT_INPUT_FAILED if failed else EXIT_OK)
