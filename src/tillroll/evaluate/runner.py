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

import json
import time
import traceback
from dataclasses import dataclass, field
from dataclasses import replace as _replace
from pathlib import Path
from typing import Any

from ..config import DEFAULT_ENGINE, PipelineConfig
from ..document import Document, LineItem, Page, TaxRow
from ..errors import ConfigError, TillrollError
from ..io.gold.align import locate_entities, match_words
from ..labels import ALL_FIELD_NAMES, MISC
from ..ocr.base import OcrEngine
from ..ocr.cache import CachedEngine
from ..ocr.stage import OcrStage
from ..ocr.static import StaticEngine
from . import metrics
from .ceiling import LABEL_CHOICES, GoldLabelStage, field_misses
from .common import OCR_CHOICES, _rates, cached_engine, environment, progress_iter
from .ocr_quality import alignment_report, ocr_benchmark
from .report import alignment_markdown, comparison_markdown, evaluation_markdown, ocr_markdown, write_report

# Names the commands, benchmarks and tests import from here, where they lived before the split.
__all__ = [
    "OCR_CHOICES",
    "DocumentResult",
    "alignment_markdown",
    "alignment_report",
    "build_stages",
    "cached_engine",
    "comparison_markdown",
    "environment",
    "evaluate_dataset",
    "evaluation_markdown",
    "load_example_document",
    "ocr_benchmark",
    "ocr_markdown",
    "progress_iter",
    "write_report",
]


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
    ocr: str = DEFAULT_ENGINE,
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
    if examples[0].dataset.startswith("einvoices"):
        from ..einvoice.gold import apply_gold_version

        examples = [apply_gold_version(example) for example in examples]
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
    # How many gold amounts the page prints nowhere: reported beside both scores, never dropped from the plain one.
    unprinted_counts = {"line_items": 0, "tax_rows": 0}
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
                unprinted_counts["line_items"] += len(skip)
                item_pairs_printed.append(([_replace(li, amount=None) if i in skip else li for i, li in enumerate(gold_items)], pred_items))
                item_row_texts_printed.append(item_rows)
            if gold_rows:
                skip = set(unprinted.get("tax_rows", []))
                unprinted_counts["tax_rows"] += len(skip)
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
        report["line_items_printed"]["unprinted_gold_amounts"] = unprinted_counts["line_items"]
    if tax_pairs_printed:
        report["tax_rows_printed"] = metrics.tax_row_scores(tax_pairs_printed)
        report["tax_rows_printed"]["unprinted_gold_amounts"] = unprinted_counts["tax_rows"]
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
