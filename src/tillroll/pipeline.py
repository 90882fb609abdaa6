"""The extraction pipeline: load a file, then run named stages over one Document.

A stage is any callable `stage(doc) -> doc` with a `name`; the pipeline is a
short loop that times each one into `doc.timings_ms`. Which stages run depends
on `PipelineConfig.model` (see `STAGES_FOR_MODEL`); swapping OCR or model is an
option, not an edit. The same `Pipeline.process` serves the CLI, the server and
both batch engines: one pipeline, many front ends.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import IO, Protocol

from . import __version__
from .config import PipelineConfig
from .document import Document

Source = str | Path | bytes | IO[bytes]  # a binary stream: standard input, a pipe


class Stage(Protocol):
    name: str

    def __call__(self, doc: Document) -> Document: ...


# stage name -> "module:factory"; a factory takes the PipelineConfig and returns a Stage.
STAGE_FACTORIES: dict[str, str] = {
    "orient": "tillroll.io.orientation:OrientStage",
    "preprocess": "tillroll.io.preprocess:PreprocessStage",
    "ocr": "tillroll.ocr.stage:OcrStage",
    "classify": "tillroll.models.predict:ClassifyStage",
    "rules": "tillroll.rules.joint:RulesStage",
    "assemble": "tillroll.extract.assemble:AssembleStage",
    "spans": "tillroll.extract.span_scorer:SpanScorerStage",
    "invoice": "tillroll.extract.invoice.stage:InvoiceStage",
    "key_values": "tillroll.models.kv.model:KeyValuesStage",
    "check": "tillroll.extract.checks:CheckStage",
}

# Which stages each --model runs, in order.
STAGES_FOR_MODEL: dict[str, tuple[str, ...]] = {
    "rules": ("orient", "preprocess", "ocr", "rules", "assemble", "invoice", "key_values", "check"),
    "neural": ("orient", "preprocess", "ocr", "classify", "assemble", "invoice", "key_values", "check"),
    "joint": ("orient", "preprocess", "ocr", "classify", "rules", "assemble", "spans", "invoice", "key_values", "check"),
}


def make_stage(name: str, config: PipelineConfig) -> Stage:
    module_name, _, attr = STAGE_FACTORIES[name].partition(":")
    stage: Stage = getattr(importlib.import_module(module_name), attr)(config)
    return stage


class Pipeline:
    """Loads once (OCR engine, model, entity database), then processes many documents."""

    def __init__(self, config: PipelineConfig | None = None, stages: list[Stage] | None = None) -> None:
        self.config = config or PipelineConfig()
        if stages is None:
            stages = [make_stage(n, self.config) for n in STAGES_FOR_MODEL[self.config.model]]
        self.stages = stages

    def process(self, source: Source, name: str | None = None) -> Document:
        """Load `source` (path or bytes) and run every stage. Raises TillrollError on bad input."""
        from .einvoice.hook import intercept
        from .io.load import load_document

        # XML invoices, and PDFs carrying one, are read from their data (issue 17).
        einvoice, source, name = intercept(self, source, name)
        if einvoice is not None:
            return einvoice
        t0 = time.perf_counter()
        doc = load_document(source, limits=self.config.limits, name=name)
        doc.timings_ms["load"] = round((time.perf_counter() - t0) * 1000, 2)
        return self.run(doc)

    def run(self, doc: Document) -> Document:
        """Run the stages over an already loaded (or hand-built) document."""
        doc.meta.setdefault("version", __version__)
        doc.meta.setdefault("ocr", self.config.ocr)
        doc.meta.setdefault("model", self.config.model)
        for stage in self.stages:
            t0 = time.perf_counter()
            doc = stage(doc)
            doc.timings_ms[stage.name] = round((time.perf_counter() - t0) * 1000, 2)
        return doc


def extract(source: Source, config: PipelineConfig | None = None, name: str | None = None) -> Document:
    """One-shot convenience: build a pipeline and process one file. Reuse a `Pipeline` for many."""
    return Pipeline(config).process(source, name=name)
