"""OCR quality over a dataset (`tillroll ocr-bench`) and how well gold labels reach OCR words (`tillroll gold-labels`)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..document import Document, Page
from ..errors import ConfigError
from ..io.gold.align import locate_entities, match_words, read_gold_lines
from ..labels import LABELS, MISC
from ..ocr.stage import words_to_document
from . import metrics
from .common import _rates, cached_engine, environment, progress_iter


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
    from ..io.gold.align import gold_labelled_document

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
