"""Run a model over a dataset and score it: the engine behind `tillroll evaluate` and `tillroll ocr-bench`.

OCR always goes through the disk cache (`tillroll.ocr.cache.CachedEngine`,
folder from TILLROLL_CACHE_DIR), so re-scoring a model after a rules change
costs milliseconds per receipt instead of seconds. `ocr="gold"` feeds the
annotation's own words through the static engine instead ("OCR = gold"), which
scores the labelling alone, without OCR errors; `labels="gold"` does the same
for the classifier (`tillroll.evaluate.ceiling`), which scores everything but it.

Which stages run is `tillroll.pipeline.STAGES_FOR_MODEL[model]`; the runner
only swaps the OCR engine, so it scores exactly what `tillroll extract` does.
"""

from __future__ import annotations

import datetime as _dt
import json
import platform
import sys
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from dataclasses import replace as _replace
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import PipelineConfig
from ..document import Document, LineItem, Page, TaxRow
from ..errors import ConfigError, TillrollError
from ..labels import ALL_FIELD_NAMES, LABELS, MISC
from ..ocr.base import OcrEngine, get_engine
from ..ocr.cache import CachedEngine
from ..ocr.stage import OcrStage, words_to_document
from ..ocr.static import StaticEngine
from . import metrics
from .align import locate_entities, match_words, read_gold_lines
from .ceiling import LABEL_CHOICES, GoldLabelStage, field_misses

OCR_CHOICES = ("rapidocr", "rapidocr-fast", "rapidocr-legacy", "tesseract", "gold")


# --------------------------------------------------------------------------- progress


def progress_iter(items: Iterable[Any], total: int | None, description: str, enabled: bool = True) -> Iterable[Any]:
    """Iterate with a rich progress bar on stderr (plain iteration when disabled or not a terminal)."""
    if not enabled:
        yield from items
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False, disable=not console.is_terminal) as bar:
        task = bar.add_task(description, total=total)
        for item in items:
            yield item
            bar.advance(task)


# --------------------------------------------------------------------------- pipeline with cached OCR


def cached_engine(name: str, cache_dir: str | Path | None = None, **options: Any) -> CachedEngine:
    """`name`'s engine (built with `options`) behind the shared OCR cache."""
    if name == "gold":
        raise ConfigError("'gold' is not an OCR engine; the runner feeds gold words itself")
    return CachedEngine(get_engine(name, **options), cache_dir=cache_dir)


def build_stages(model: str, engine: OcrEngine, config: PipelineConfig) -> list[Any]:
    """The stages of `model` (STAGES_FOR_MODEL) with `engine` in the OCR stage."""
    from ..pipeline import STAGE_FACTORIES, STAGES_FOR_MODEL, make_stage

    if model not in STAGES_FOR_MODEL:
        raise ConfigError(f"unknown model {model!r}; choose one of {', '.join(STAGES_FOR_MODEL)}")
    stages: list[Any] = []
    for name in STAGES_FOR_MODEL[model]:
        if name == "ocr":
            stages.append(OcrStage(config, engine=engine))
        elif name not in STAGE_FACTORIES:
            raise ConfigError(f"model {model!r} needs the {name!r} stage, which this installation does not provide yet")
        else:
            stages.append(make_stage(name, config))
    return stages


def load_example_document(example: Any) -> Document:
    """The example's image as the pipeline loads it (same pixels as the OCR cache keys on)."""
    try:
        from ..io.load import load_document
    except ImportError:  # pragma: no cover - io.load ships with tillroll; kept for partial installs
        image = example.load_image()
        return Document(source=str(example.image_path), pages=[Page(index=0, width=image.width, height=image.height, image=image)])
    return load_document(example.image_path)


@dataclass
class DocumentResult:
    id: str
    words: int = 0
    word_accuracy: float | None = None
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    # Invoices: gold/predicted/matched counts of line items and tax rows, the
    # document type, and fields predicted where the gold names none (not scored).
    line_items: dict[str, Any] | None = None
    tax_rows: dict[str, Any] | None = None
    document_type: dict[str, str] | None = None
    unscored_fields: dict[str, str] | None = None


def _field_record(gold: Any, pred: Any, name: str) -> dict[str, Any]:
    from .values import exact_match, lenient_match, strict_match

    g = {"text": gold.text, "value": gold.value} if gold else None
    p = {"text": pred.text, "value": pred.value, "confidence": pred.confidence, "source": pred.source} if pred else None
    record: dict[str, Any] = {"gold": g, "pred": p}
    if gold and pred:
        record["exact"] = exact_match(gold.value, pred.value, name)
        record["strict"] = strict_match(gold.value, pred.value, name)
        record["lenient"] = lenient_match(name, (gold.text, gold.value), (pred.text, pred.value))
    return record


def evaluate_dataset(
    spec: str,
    model: str = "rules",
    ocr: str = "rapidocr",
    limit: int | None = None,
    config: PipelineConfig | None = None,
    cache_dir: str | Path | None = None,
    progress: bool = True,
    predictions_dir: str | Path | None = None,
    labels: str = "model",
) -> dict[str, Any]:
    """Run `model` with `ocr` over the dataset `spec` and return the report (a JSON-ready dict).

    `labels="gold"` replaces the classifier by the annotation's own labels
    (`tillroll.evaluate.ceiling`): the scores a perfect classifier would reach
    with this OCR, these rules and this assembler.

    A document whose processing fails is recorded with its error and counted
    in `failed`; the run goes on, since one broken receipt should not cost the
    scores of the other hundred.
    """
    from ..io.datasets import read_dataset

    if ocr not in OCR_CHOICES:
        raise ConfigError(f"unknown --ocr {ocr!r}; choose one of {', '.join(OCR_CHOICES)}")
    # The page is scored, never a machine-readable invoice attached to it (Factur-X
    # XML): reading that is the e-invoice parser's job, scored on its own.
    config = (config or PipelineConfig()).with_(model=model, ocr="static" if ocr == "gold" else ocr, read_embedded_xml=False)
    examples = read_dataset(spec, limit=limit)
    if not examples:
        raise ConfigError(f"dataset {spec!r} has no documents (check the folder and the split)")
    if ocr == "gold" and not any(e.reference.words for e in examples):
        raise ConfigError(f"dataset {spec!r} annotates no words, so there is no gold OCR to feed; use --ocr rapidocr (or tesseract)")
    if labels not in LABEL_CHOICES:
        raise ConfigError(f"unknown --labels {labels!r}; choose one of {', '.join(LABEL_CHOICES)}")
    gold_engine = StaticEngine()
    engine: OcrEngine = gold_engine if ocr == "gold" else cached_engine(ocr, cache_dir)
    stages = build_stages(model, engine, config)
    gold_labeller: GoldLabelStage | None = None
    if labels == "gold":
        positions = [i for i, stage in enumerate(stages) if getattr(stage, "name", None) == "classify"]
        if not positions:
            raise ConfigError(f"--labels gold replaces the classifier, and --model {model} has none; use neural or joint")
        gold_labeller = GoldLabelStage()
        stages[positions[0]] = gold_labeller
    from ..pipeline import Pipeline

    pipeline = Pipeline(config, stages=stages)
    labels_report = metrics.LabelReport.empty()
    scores_words = False
    field_pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    item_pairs: list[tuple[list[Any], list[Any]]] = []
    kv_pairs: list[tuple[list[Any], list[Any]]] = []
    kv_records: list[Any] = []  # FUNSD: entity and link scores (evaluate.kv)
    kv_mode = "heuristic"
    tax_pairs: list[tuple[list[TaxRow], list[TaxRow]]] = []
    # E-invoices: the same pairs with the gold amounts the page does not print left
    # unchecked (see tillroll.io.datasets.einvoices), scored beside the plain ones.
    item_pairs_printed: list[tuple[list[LineItem], list[LineItem]]] = []
    # Per scored document: the text on each predicted item's amount row (e-invoices; None elsewhere).
    item_row_texts: list[list[str | None] | None] = []
    item_row_texts_printed: list[list[str | None] | None] = []
    tax_pairs_printed: list[tuple[list[TaxRow], list[TaxRow]]] = []
    type_hits = [0, 0]
    located_ocr: dict[str, list[int]] = {}
    located_gold: dict[str, list[int]] = {}
    timings: dict[str, list[float]] = {}
    records: list[DocumentResult] = []
    miss_records: list[tuple[dict[str, dict[str, Any]], list[str]]] = []
    failed = 0
    started = time.perf_counter()
    if predictions_dir is not None:
        Path(predictions_dir).mkdir(parents=True, exist_ok=True)
    for example in progress_iter(examples, len(examples), f"{model}/{ocr} on {examples[0].dataset}", progress):
        record = DocumentResult(example.id)
        records.append(record)
        try:
            doc = load_example_document(example)
            if ocr == "gold":
                gold_engine.words = example.gold_ocr_words()
            if gold_labeller is not None:
                gold_labeller.reference = example.reference
            doc = pipeline.run(doc)
        except TillrollError as exc:
            failed += 1
            record.error = f"{type(exc).__name__}: {exc}"
            continue
        except Exception as exc:  # a bug in a stage: keep scoring the others, report it loudly
            failed += 1
            record.error = f"{type(exc).__name__}: {exc} | {traceback.format_exc(limit=3).splitlines()[-2].strip()}"
            continue
        # A PDF page rendered by the loader is in its original pixels too (the dataset's boxes are made in them).
        moved = [p.index for p in doc.pages if p.coordinates not in ("original", "pdf")]
        if moved:
            # Gold boxes are in the pixels of the image as loaded; a cropped or deskewed page cannot be aligned.
            failed += 1
            record.error = f"pages {moved} were preprocessed ({doc.pages[moved[0]].coordinates}); evaluate with preprocess 'none'"
            continue
        record.timings_ms = dict(doc.timings_ms)
        for stage, ms in doc.timings_ms.items():
            timings.setdefault(stage, []).append(ms)
        record.words = len(doc.words)
        ref = example.reference
        if example.annotated_labels != frozenset({MISC}):
            scores_words = True
            gold = [m.label for m in match_words(doc.words, ref.words)]
            one = metrics.LabelReport.from_labels(gold, [w.label for w in doc.words], restrict_to=example.annotated_labels)
            labels_report = labels_report + one
            record.word_accuracy = round(one.accuracy(), 4) if one.total else None
        scored = example.annotated_fields
        gold_fields = {k: v for k, v in ref.fields.items() if k in scored}
        pred_fields = {k: v for k, v in doc.fields.items() if k in scored}
        if not example.spaced_text:
            gold_fields, pred_fields = _without_spaces(gold_fields), _without_spaces(pred_fields)
        gold_items, pred_items, gold_rows, pred_rows = ref.line_items, doc.line_items, ref.tax_breakdown, doc.tax_breakdown
        item_rows: list[str | None] | None = None
        if example.dataset.startswith("einvoices"):
            gold_fields, pred_fields = _without_legal_forms(gold_fields), _without_legal_forms(pred_fields)
            item_rows = _amount_rows(doc)
            if "credit_note" in (ref.document_type, doc.document_type):
                # EN 16931 XML states a credit note's amounts unsigned (type code 381) while the
                # page prints them with or without a minus sign, and the reader keeps the sign
                # as printed: a credit note's amounts compare by magnitude against that gold.
                gold_fields, pred_fields = _magnitudes(gold_fields), _magnitudes(pred_fields)
                gold_items, pred_items = _item_magnitudes(gold_items), _item_magnitudes(pred_items)
                gold_rows, pred_rows = _row_magnitudes(gold_rows), _row_magnitudes(pred_rows)
        if scored:
            field_pairs.append((gold_fields, pred_fields))
        record.fields = {name: _field_record(gold_fields.get(name), pred_fields.get(name), name) for name in sorted(set(gold_fields) | set(pred_fields))}
        miss_records.append((record.fields, [" ".join(w.text for w in line) for line in doc.lines()]))
        if gold_items:
            item_pairs.append((gold_items, pred_items))
            item_row_texts.append(item_rows)
            one_items = metrics.line_item_scores([(gold_items, pred_items)], rows=[item_rows] if item_rows is not None else None)
            record.line_items = {"gold": len(gold_items), "pred": len(pred_items), "matched": one_items["tp"]}
        if gold_rows:
            tax_pairs.append((gold_rows, pred_rows))

            def rows(items: list[TaxRow]) -> list[dict[str, str | None]]:
                return [{"rate": r.rate, "base": r.base, "tax": r.tax} for r in items]

            one_rows = metrics.tax_row_scores([(gold_rows, pred_rows)])
            record.tax_rows = {"gold": rows(gold_rows), "pred": rows(pred_rows), "matched": one_rows["tp"]}
        unprinted = ref.meta.get("amounts_not_printed")
        if unprinted is not None:
            if gold_items:
                skip = set(unprinted.get("line_items", []))
                item_pairs_printed.append(([_replace(li, amount=None) if i in skip else li for i, li in enumerate(gold_items)], pred_items))
                item_row_texts_printed.append(item_rows)
            if gold_rows:
                skip = set(unprinted.get("tax_rows", []))
                tax_pairs_printed.append(([_replace(r, tax=None) if i in skip else r for i, r in enumerate(gold_rows)], pred_rows))
        if ref.meta.get("document_type_annotated"):
            type_hits[0] += ref.document_type == doc.document_type
            type_hits[1] += 1
            record.document_type = {"gold": ref.document_type, "pred": doc.document_type}
        if example.dataset.startswith("einvoices"):
            record.unscored_fields = {k: v.value for k, v in doc.fields.items() if k not in scored}
        if ref.key_values:
            kv_pairs.append((ref.key_values, doc.key_values))
        if example.dataset == "funsd":
            from .kv import kv_record

            kv_records.append(kv_record(example, doc))
            kv_mode = str(doc.meta.get("key_values", kv_mode))
        if example.entities:
            for key, loc in locate_entities(doc.words, example.entities).items():
                located_ocr.setdefault(key, [0, 0])
                located_ocr[key][0] += loc.located
                located_ocr[key][1] += 1
            for key, ok in example.located.items():
                located_gold.setdefault(key, [0, 0])
                located_gold[key][0] += ok
                located_gold[key][1] += 1
        if predictions_dir is not None:
            (Path(predictions_dir) / f"{example.id}.json").write_text(json.dumps(doc.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    elapsed = time.perf_counter() - started
    dataset = examples[0].dataset
    report: dict[str, Any] = {
        "kind": "evaluation",
        "dataset": spec,
        "dataset_kind": dataset,
        "model": model,
        "ocr": ocr,
        "labels": labels,
        "documents": len(examples),
        "failed": failed,
        "errors": [{"id": r.id, "error": r.error} for r in records if r.error][:50],
        "environment": environment(),
        "elapsed_s": round(elapsed, 1),
        "timings_ms_mean": {k: round(sum(v) / len(v), 2) for k, v in timings.items()},
    }
    if isinstance(engine, CachedEngine):
        report["ocr_cache"] = {"hits": engine.hits, "misses": engine.misses, "dir": str(engine.dir)}
    if scores_words:
        report["words"] = labels_report.to_dict()
    if field_pairs:
        # Every schema field: a receipt dataset's predictions are already cut to the
        # fields it annotates, so adding the invoice fields changes nothing there.
        report["fields"] = metrics.field_scores(field_pairs, fields=ALL_FIELD_NAMES)
        report["fields"]["misses"] = field_misses(miss_records)
    if dataset == "sroie":
        report["sroie"] = metrics.sroie_scores(field_pairs)
    if item_pairs:
        report["line_items"] = metrics.line_item_scores(item_pairs, rows=_rows_or_none(item_row_texts, len(item_pairs)))
    if kv_pairs:
        report["key_values"] = metrics.key_value_scores(kv_pairs)
    if kv_records:
        from .kv import kv_report

        report["funsd"] = kv_report(kv_records, kv_mode)
    if tax_pairs:
        report["tax_rows"] = metrics.tax_row_scores(tax_pairs)
    if item_pairs_printed:
        report["line_items_printed"] = metrics.line_item_scores(item_pairs_printed, rows=_rows_or_none(item_row_texts_printed, len(item_pairs_printed)))
    if tax_pairs_printed:
        report["tax_rows_printed"] = metrics.tax_row_scores(tax_pairs_printed)
    if type_hits[1]:
        report["document_type"] = {"correct": type_hits[0], "of": type_hits[1], "accuracy": round(type_hits[0] / type_hits[1], 4)}
    if located_gold:
        report["entity_location"] = {"gold_boxes": _rates(located_gold), "ocr_words": _rates(located_ocr)}
    report["per_document"] = [r.__dict__ for r in records]
    return report


_AMOUNT_FIELDS = ("subtotal", "vat_included", "total", "amount_due")


def _without_legal_forms(fields: dict[str, Any]) -> dict[str, Any]:
    """Company names (seller, buyer) without a trailing legal form (see metrics.LEGAL_FORMS)."""
    return {k: (_replace(v, value=metrics.without_legal_form(v.value)) if k in ("shop_name", "buyer_name") and v.value else v) for k, v in fields.items()}


def _magnitudes(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: (_replace(v, value=metrics.magnitude(v.value)) if k in _AMOUNT_FIELDS else v) for k, v in fields.items()}


def _item_magnitudes(items: list[LineItem]) -> list[LineItem]:
    return [_replace(li, amount=metrics.magnitude(li.amount), unit_price=metrics.magnitude(li.unit_price)) for li in items]


def _row_magnitudes(rows: list[TaxRow]) -> list[TaxRow]:
    return [_replace(r, base=metrics.magnitude(r.base), tax=metrics.magnitude(r.tax)) for r in rows]


def _amount_rows(doc: Document) -> list[str | None]:
    """For each predicted line item, the text printed on the line of its amount (None when not found).

    The e-invoice scorer accepts a gold description that opens the predicted one only
    when it is printed on that row (metrics.description_prefix_ok).
    """
    out: list[str | None] = []
    for item in doc.line_items:
        digits = "".join(ch for ch in (item.amount or "") if ch.isdigit())
        words = [doc.words[i] for i in item.word_ids if 0 <= i < len(doc.words)]
        anchor = next((w for w in reversed(words) if digits and "".join(ch for ch in w.text if ch.isdigit()) == digits), None)
        if anchor is None:
            out.append(None)
            continue
        mid = (anchor.y0 + anchor.y1) / 2
        row = sorted((w for w in doc.words if w.page == anchor.page and w.y0 <= mid <= w.y1), key=lambda w: w.x0)
        out.append(" ".join(w.text for w in row))
    return out


def _rows_or_none(rows: list[list[str | None] | None], n: int) -> list[list[str | None]] | None:
    """The per-document row texts when every document has them (e-invoices), else None."""
    if len(rows) != n or any(r is None for r in rows):
        return None
    return [r for r in rows if r is not None]


def _without_spaces(fields: dict[str, Any]) -> dict[str, Any]:
    """Text fields with spaces removed, for annotations that dropped them ("KOREANRESTAURANT")."""
    from dataclasses import replace

    from .values import TEXT_FIELDS

    return {k: replace(f, text=f.text.replace(" ", ""), value=f.value.replace(" ", "")) if k in TEXT_FIELDS else f for k, f in fields.items()}


def _rates(counts: dict[str, list[int]]) -> dict[str, Any]:
    found = sum(c[0] for c in counts.values())
    total = sum(c[1] for c in counts.values())
    return {
        "per_entity": {k: {"located": c[0], "of": c[1], "rate": round(c[0] / c[1], 4) if c[1] else None} for k, c in sorted(counts.items())},
        "located": found,
        "of": total,
        "rate": round(found / total, 4) if total else None,
    }


def environment() -> dict[str, Any]:
    import os

    return {
        "tillroll": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["tillroll", *sys.argv[1:]]) if sys.argv and sys.argv[0].endswith("tillroll") else " ".join(sys.argv),
    }


# --------------------------------------------------------------------------- OCR benchmark


def ocr_benchmark(
    spec: str,
    engines: Iterable[str],
    limit: int | None = None,
    cache_dir: str | Path | None = None,
    progress: bool = True,
    speed_sample: int = 0,
    threads: int | None = None,
) -> dict[str, Any]:
    """Paper Table 1 and the page CER (`page_cer`) for each engine on the dataset `spec`, OCR read through the cache.

    `seconds_per_image` is the median wall time of the engine itself (cache
    bypassed) on the first `speed_sample` images when that is > 0, after one
    untimed read that warms it up, and `cpu_seconds_per_image` the median CPU
    time of the whole process (every thread) over the same reads: unlike wall
    time it hardly moves when other jobs load the machine. Without a speed
    sample `seconds_per_image` is the mean over cache misses (a hit says nothing
    about the engine), null when every page was cached. `threads` (RapidOCR
    engines only) overrides the engines' thread count, which is otherwise all
    cores or TILLROLL_OCR_THREADS.
    """
    import os
    import statistics

    from ..io.datasets import read_dataset
    from .page_cer import PageCer, page_cer

    examples = read_dataset(spec, limit=limit)
    if not examples:
        raise ConfigError(f"dataset {spec!r} has no documents (check the folder and the split)")
    results: dict[str, Any] = {}
    for name in engines:
        options: dict[str, Any] = {"threads": threads} if threads and name.startswith("rapidocr") else {}
        engine = cached_engine(name, cache_dir, **options)
        counts = metrics.OcrCounts()
        page = PageCer(0, 0)
        miss_seconds = 0.0
        for example in progress_iter(examples, len(examples), f"OCR {name}", progress):
            image = example.load_image()
            misses = engine.misses
            t0 = time.perf_counter()
            ocr_words = engine.read(image)
            if engine.misses > misses:
                miss_seconds += time.perf_counter() - t0
            page = page + page_cer([(w.box, w.text) for w in example.reference.words], [(w.box, w.text) for w in ocr_words])
            doc = Document(pages=[Page(index=0, width=image.width, height=image.height)])
            words_to_document(doc, 0, ocr_words)
            gold_lines, pred_lines, outside = read_gold_lines(example.reference.words, doc.words)
            if example.spaced_text:
                gold_tokens, pred_tokens = [w.text for w in example.reference.words], [w.text for w in doc.words]
            else:  # annotation "words" are unspaced lines: compare lines as tokens, stray OCR words as extra ones
                gold_tokens, pred_tokens = gold_lines, [t for t in pred_lines if t] + outside
            counts = counts + metrics.ocr_counts(
                gold_lines,
                pred_lines,
                gold_tokens,
                pred_tokens,
                spaced=example.spaced_text,
                case_sensitive=example.case_sensitive_text,
            )
        row: dict[str, Any] = metrics.ocr_report(counts)  # then speed, cache and sample fields of other types
        row["page_cer"] = round(page.cer, 4)
        row["page_cer_edits"], row["page_cer_reference_chars"] = page.edits, page.reference_chars
        row["cache_hits"], row["cache_misses"] = engine.hits, engine.misses
        row["seconds_per_image"] = round(miss_seconds / engine.misses, 3) if engine.misses else None
        row["cpu_seconds_per_image"] = None
        row["speed_from"] = f"{engine.misses} uncached images" if engine.misses else None
        row["threads"] = getattr(engine.engine, "threads", None) or None
        if speed_sample > 0:
            sample = [example.load_image() for example in examples[:speed_sample]]
            engine.engine.read(sample[0])  # warm-up: the first read allocates and plans
            walls, cpus = [], []
            for image in sample:
                c0, t0 = time.process_time(), time.perf_counter()
                engine.engine.read(image)
                walls.append(time.perf_counter() - t0)
                cpus.append(time.process_time() - c0)
            row["seconds_per_image"] = round(statistics.median(walls), 3)
            row["cpu_seconds_per_image"] = round(statistics.median(cpus), 3)
            row["seconds_per_image_all"] = [round(v, 3) for v in walls]  # to pool samples across datasets
            row["cpu_seconds_per_image_all"] = [round(v, 3) for v in cpus]
            row["speed_from"] = f"median of {len(walls)} images, cache bypassed"
        results[name] = row
    env = environment()
    env["load_average_1m"] = round(os.getloadavg()[0], 2)  # other jobs on the machine stretch wall times
    return {"kind": "ocr_benchmark", "dataset": spec, "documents": len(examples), "engines": results, "environment": env}


# --------------------------------------------------------------------------- gold alignment report


def alignment_report(
    spec: str, ocr: str = "gold", limit: int | None = None, cache_dir: str | Path | None = None, progress: bool = True, export_dir: str | Path | None = None
) -> dict[str, Any]:
    """How well gold labels reach words: SROIE entity location rates and label transfer onto OCR words.

    `transfer` counts, per label, the annotated (non-misc) gold words whose
    label at least one OCR word overlapping them inherited: the share of
    the annotation that survives into OCR-word training data. With
    `export_dir`, every gold-labelled document is written there as schema-v1
    JSON (`<id>.json`, the format `annotated:DIR` reads back, minus images).
    """
    from ..io.datasets import read_dataset
    from .align import gold_labelled_document

    examples = read_dataset(spec, limit=limit)
    engine = None if ocr == "gold" else cached_engine(ocr, cache_dir)
    located: dict[str, list[int]] = {}
    transfer: dict[str, list[int]] = {}
    if export_dir is not None:
        Path(export_dir).mkdir(parents=True, exist_ok=True)
    for example in progress_iter(examples, len(examples), f"align {ocr}", progress):
        doc = gold_labelled_document(example, engine, attach_image=False)
        if example.entities:
            if engine is None:
                results = {k: bool(v) for k, v in example.located.items()}
            else:
                results = {k: loc.located for k, loc in locate_entities(doc.words, example.entities).items()}
            for key, ok in results.items():
                located.setdefault(key, [0, 0])
                located[key][0] += ok
                located[key][1] += 1
        matched_gold: dict[int, set[str]] = {}
        if engine is not None:
            for w, m in zip(doc.words, match_words(doc.words, example.reference.words)):
                for gid in m.gold_ids:  # a glued "TEL:0312" passes its label to both gold words
                    matched_gold.setdefault(gid, set()).add(w.label or MISC)
        for g in example.reference.words:
            if g.label and g.label != MISC:
                transfer.setdefault(g.label, [0, 0])
                transfer[g.label][1] += 1
                transfer[g.label][0] += 1 if engine is None or g.label in matched_gold.get(g.id, set()) else 0
        if export_dir is not None:
            (Path(export_dir) / f"{example.id}.json").write_text(json.dumps(doc.to_dict(), ensure_ascii=False), encoding="utf-8")
    report: dict[str, Any] = {"kind": "alignment", "dataset": spec, "ocr": ocr, "documents": len(examples), "environment": environment()}
    if located:
        report["entity_location"] = _rates(located)
    ordered = {lab: transfer[lab] for lab in LABELS if lab in transfer}
    report["transfer"] = _rates(ordered)
    return report


# --------------------------------------------------------------------------- output


def write_report(report: dict[str, Any], report_dir: str | Path, plots: bool = True) -> list[Path]:
    """Write `report.json` (and, for evaluations, the confusion-matrix and per-label F1 plots)."""
    out = Path(report_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "report.json"]
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    if plots and "words" in report:
        conf = report["words"]["confusion"]
        labels_report = metrics.LabelReport(tuple(conf["labels"]), conf["matrix"])
        title = f"{report['model']} / OCR {report['ocr']} on {report['dataset_kind']}: confusion (rows gold, normalised)"
        written.append(labels_report.plot_confusion(out / "confusion.png", title=title))
        (out / "confusion.txt").write_text(labels_report.confusion_text() + "\n", encoding="utf-8")
        written.append(out / "confusion.txt")
        written.append(_plot_per_label(report, out / "per_label_f1.png"))
    return written


def _plot_per_label(report: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per = {k: v for k, v in report["words"]["per_label"].items() if v["support"] or v["fp"]}
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(per) + 1.2))
    names = list(per)
    ax.barh(names, [per[n]["f1"] for n in names], color="#3a7ab8")
    for i, n in enumerate(names):
        ax.text(per[n]["f1"] + 0.01, i, f"{per[n]['f1']:.3f} ({per[n]['support']})", va="center", fontsize=8)
    ax.set_xlim(0, 1.15)
    ax.invert_yaxis()
    ax.set_xlabel("F1 (support)")
    ax.set_title(f"{report['model']} / OCR {report['ocr']} on {report['dataset_kind']}: per-label F1", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def evaluation_markdown(report: dict[str, Any]) -> str:
    """Markdown tables of an evaluation report (for docs/benchmarks.md)."""
    lines = [
        f"`{report['model']}` model, OCR `{report['ocr']}`, {report['documents']} documents of `{report['dataset_kind']}`"
        + (" (word labels from the annotation: a perfect classifier)" if report.get("labels") == "gold" else "")
        + (f" ({report['failed']} failed)" if report["failed"] else "")
        + ".",
        "",
    ]
    if "words" in report:
        w = report["words"]
        av = w["averages"]
        lines += [
            "| words | accuracy | F1 micro | F1 micro (no misc) | F1 macro | F1 weighted |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {w['words']} | {_f(w['accuracy'])} | {_f(av['micro']['f1'])} | {_f(av['micro_no_misc']['f1'])} | {_f(av['macro']['f1'])} | {_f(av['weighted']['f1'])} |",
            "",
            "| label | support | precision | recall | F1 |",
            "|---|---:|---:|---:|---:|",
        ]
        for label, s in w["per_label"].items():
            if s["support"] or s["fp"]:
                lines.append(f"| {label} | {s['support']} | {_f(s['precision'])} | {_f(s['recall'])} | {_f(s['f1'])} |")
        lines.append("")
    fields = report.get("fields")
    if fields and fields["exact"]["per_field"]:
        misses = fields.get("misses", {})
        strict_fields = fields.get("strict", {"per_field": {}, "micro": {}})
        lines += ["| field | support | F1 exact | F1 strict | F1 lenient | gold missed | of which not in OCR text |", "|---|---:|---:|---:|---:|---:|---:|"]
        for name, s in fields["exact"]["per_field"].items():
            lenient = fields["lenient"]["per_field"].get(name, {})
            strict = strict_fields["per_field"].get(name, {})
            miss = misses.get(name, {"missed": 0, "not_in_ocr_text": 0})
            lines.append(
                f"| {name} | {s['support']} | {_f(s['f1'])} | {_f(strict.get('f1'))} | {_f(lenient.get('f1'))} | {miss['missed']} | {miss['not_in_ocr_text']} |"
            )
        total_missed = sum(m["missed"] for m in misses.values())
        total_absent = sum(m["not_in_ocr_text"] for m in misses.values())
        lines.append(
            f"| **all fields (micro)** | | {_f(fields['exact']['micro']['f1'])} | {_f(strict_fields['micro'].get('f1'))} | {_f(fields['lenient']['micro']['f1'])} | {total_missed} | {total_absent} |"
        )
        lines.append("")
    if "sroie" in report:
        s = report["sroie"]
        cells = " | ".join(_f(v["f1"]) for v in s["per_entity"].values())
        lines += [
            "| SROIE F1 | " + " | ".join(s["per_entity"]) + " | micro |",
            "|---|" + "---:|" * (len(s["per_entity"]) + 1),
            f"| | {cells} | {_f(s['micro']['f1'])} |",
            "",
        ]
    if "line_items" in report:
        li = report["line_items"]
        lines += [f"Line items: precision {_f(li['precision'])}, recall {_f(li['recall'])}, F1 {_f(li['f1'])} ({li['tp'] + li['fn']} gold items).", ""]
    if "tax_rows" in report:
        tr = report["tax_rows"]
        lines += [
            f"Tax rows (rate and tax): precision {_f(tr['precision'])}, recall {_f(tr['recall'])}, F1 {_f(tr['f1'])} ({tr['tp'] + tr['fn']} gold rows).",
            "",
        ]
    for key, what in (("line_items_printed", "Line items"), ("tax_rows_printed", "Tax rows")):
        if key in report:
            pr = report[key]
            lines += [
                f"{what}, gold amounts the page does not print unchecked: precision {_f(pr['precision'])}, recall {_f(pr['recall'])}, F1 {_f(pr['f1'])}.",
                "",
            ]
    if "document_type" in report:
        dt = report["document_type"]
        lines += [f"Document type: {dt['correct']}/{dt['of']} right ({_f(dt['accuracy'])}).", ""]
    if "key_values" in report:
        kv = report["key_values"]
        lines += [f"Key-value pairs: precision {_f(kv['precision'])}, recall {_f(kv['recall'])}, F1 {_f(kv['f1'])} ({kv['tp'] + kv['fn']} gold pairs).", ""]
    if "funsd" in report:
        fu = report["funsd"]
        ent, link = fu["entities"], fu["links"]
        lines += [
            f"Forms (key-values from the {fu['key_values_from']}): entity F1 {_f(ent['micro']['f1'])} "
            f"(header {_f(ent['per_type']['header']['f1'])}, question {_f(ent['per_type']['question']['f1'])}, answer {_f(ent['per_type']['answer']['f1'])}); "
            f"link precision {_f(link['precision'])}, recall {_f(link['recall'])}, F1 {_f(link['f1'])} ({link['gold']} gold links).",
            "",
        ]
    if report.get("timings_ms_mean"):
        cached = (
            " (ocr: reading the OCR cache or the gold words, not running an engine)"
            if report["ocr"] == "gold" or report.get("ocr_cache", {}).get("hits")
            else ""
        )
        lines += ["Mean stage times (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in report["timings_ms_mean"].items()) + cached + ".", ""]
    return "\n".join(lines)


def ocr_markdown(report: dict[str, Any]) -> str:
    """Paper Table 1's shape for each engine, with the page CER and CPU time beside it."""
    head = "| engine | Avg. Lev. ↓ | CER ↓ | WER ↓ | Char. acc. ↑ | Word acc. ↑ | Macro prec. ↑ | Macro recall ↑ | Macro F1 ↑ | page CER ↓ | wall s/image | CPU s/image |"
    lines = [head, "|---|" + "---:|" * 11]
    for name, r in report["engines"].items():
        speed = "-" if r["seconds_per_image"] is None else f"{r['seconds_per_image']:.2f}"
        cpu = "-" if r.get("cpu_seconds_per_image") is None else f"{r['cpu_seconds_per_image']:.2f}"
        page = "-" if r.get("page_cer") is None else f"{r['page_cer'] * 100:.1f} %"
        lines.append(
            f"| {name} | {r['avg_levenshtein']:.4f} | {r['cer']:.4f} | {r['wer']:.4f} | {r['char_accuracy']:.4f} | {r['word_accuracy']:.4f} | "
            f"{r['macro_precision']:.4f} | {r['macro_recall']:.4f} | {r['macro_f1']:.4f} | {page} | {speed} | {cpu} |"
        )
    notes = [
        f"{name}: {r['speed_from']}" + (f", {r['threads']} threads" if r.get("threads") else "") for name, r in report["engines"].items() if r.get("speed_from")
    ]
    if notes:
        lines += ["", f"{report['documents']} receipts. Times: " + "; ".join(notes) + "."]
    return "\n".join(lines) + "\n"


def _dataset_name(spec: str) -> str:
    from ..io.datasets import parse_spec

    kind, _, split = parse_spec(spec)
    return f"{kind} {split}"


def alignment_markdown(reports: Iterable[dict[str, Any]]) -> str:
    lines = [
        "| dataset | words | entities located | company | address | date | total | annotated words transferred |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in reports:
        loc = r.get("entity_location")
        per = loc["per_entity"] if loc else {}

        def cell(k: str, per: dict[str, Any] = per) -> str:
            return f"{per[k]['rate'] * 100:.1f} %" if k in per and per[k]["rate"] is not None else "-"

        located = f"{loc['located']}/{loc['of']} = {loc['rate'] * 100:.1f} %" if loc else "-"
        tr = r["transfer"]
        transferred = f"{tr['rate'] * 100:.1f} %" if tr.get("rate") is not None else "-"
        lines.append(
            f"| {_dataset_name(r['dataset'])} ({r['documents']} docs) | {r['ocr']} | {located} | {cell('company')} | {cell('address')} | {cell('date')} | {cell('total')} | {transferred} |"
        )
    return "\n".join(lines) + "\n"


def comparison_markdown(reports: list[dict[str, Any]], names: list[str] | None = None) -> str:
    """Paper Tables 2 and 3 side by side: averaged F1 per model, then per-label F1 with support.

    `reports` are evaluation reports of the same dataset (e.g. rules, neural,
    joint); columns are named by `names` or "model/ocr".
    """
    scored = [r for r in reports if "words" in r]
    if not scored:
        return "No word-level scores in these reports.\n"
    names = names or [f"{r['model']}/{r['ocr']}" for r in scored]
    lines = ["| average | " + " | ".join(names) + " |", "|---|" + "---:|" * len(scored)]
    for avg in ("micro", "micro_no_misc", "macro", "weighted"):
        lines.append(f"| F1 {avg.replace('_', ' ')} | " + " | ".join(_f(r["words"]["averages"][avg]["f1"]) for r in scored) + " |")
    lines += ["", "| label (support) | " + " | ".join(names) + " |", "|---|" + "---:|" * len(scored)]
    for label in LABELS:
        supports = {r["words"]["per_label"][label]["support"] for r in scored}
        if not any(supports) and not any(r["words"]["per_label"][label]["fp"] for r in scored):
            continue
        support = "/".join(str(s) for s in sorted(supports))
        lines.append(f"| {label} ({support}) | " + " | ".join(_f(r["words"]["per_label"][label]["f1"]) for r in scored) + " |")
    if all("fields" in r for r in scored):
        lines += ["", "| fields | " + " | ".join(names) + " |", "|---|" + "---:|" * len(scored)]
        lines.append("| micro F1 exact | " + " | ".join(_f(r["fields"]["exact"]["micro"]["f1"]) for r in scored) + " |")
        if all("strict" in r["fields"] for r in scored):
            lines.append("| micro F1 strict | " + " | ".join(_f(r["fields"]["strict"]["micro"]["f1"]) for r in scored) + " |")
        lines.append("| micro F1 lenient | " + " | ".join(_f(r["fields"]["lenient"]["micro"]["f1"]) for r in scored) + " |")
    if all("line_items" in r for r in scored):
        lines.append("| line items F1 | " + " | ".join(_f(r["line_items"]["f1"]) for r in scored) + " |")
    if all("sroie" in r for r in scored):
        lines.append("| SROIE 4-entity F1 | " + " | ".join(_f(r["sroie"]["micro"]["f1"]) for r in scored) + " |")
    return "\n".join(lines) + "\n"
