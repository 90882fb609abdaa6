"""Page orientation: field F1 on dev receipts turned by 90, 180 and 270 degrees vs upright, and its cost.

    TILLROLL_CACHE_DIR=/work/main/.cache nice -n 10 python benchmarks/orientation.py \
        --sroie 40 --wildreceipt 40 --seed 18 --out /tmp/orientation.json

A fixed, seeded random subset of each dev split is read four times: as loaded
(upright) and turned clockwise by 90, 180 and 270 degrees. The turned images are
built here in memory, never written. Every run goes through the default pipeline
(orientation "auto", joint model) with RapidOCR behind the shared OCR cache; a
page turned back exactly upright has the upright page's pixels, so its OCR comes
from the cache, while a page left turned (or turned wrongly) is OCR'd afresh.

Reported per dataset and rotation: exact-match field micro F1 (the evaluation
runner's `field_scores`), how many pages the detector turned to the right angle,
and the mean time of the orientation stage.

`--timing N` also measures, on N upright receipts, the orientation stage against
an uncached RapidOCR pass of the same page, interleaved in one process so the
machine's load weighs on both alike: the extra time orientation adds upright.
`--osd N` measures Tesseract's orientation detection (`--psm 0`, Debian's
tesseract-ocr-osd) on N receipts x 4 rotations for comparison.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from tillroll.config import PipelineConfig
from tillroll.document import Document
from tillroll.evaluate import metrics
from tillroll.evaluate.runner import build_stages, cached_engine
from tillroll.evaluate.values import TEXT_FIELDS
from tillroll.io.datasets import read_dataset
from tillroll.io.load import load_document
from tillroll.io.orientation import ROTATIONS, detect_orientation, rotate_image
from tillroll.pipeline import Pipeline

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"
SPECS = {"sroie": f"sroie:{DATA / 'sroie' / 'train'}:dev", "wildreceipt": f"wildreceipt:{DATA / 'wildreceipt'}:dev"}


def subset(kind: str, n: int, seed: int) -> list[Any]:
    examples = read_dataset(SPECS[kind])
    rng = random.Random(f"{seed}-{kind}")
    return sorted(rng.sample(examples, min(n, len(examples))), key=lambda e: e.id)


def turned(example: Any, rotation: int) -> Document:
    """The example as loaded, its page turned clockwise by `rotation` (what a sideways photo looks like)."""
    doc = load_document(example.image_path)
    page = doc.pages[0]
    assert page.image is not None
    page.image = rotate_image(page.image, rotation)
    page.width, page.height = page.image.size
    return doc


def _no_spaces(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: replace(f, text=f.text.replace(" ", ""), value=f.value.replace(" ", "")) if k in TEXT_FIELDS else f for k, f in fields.items()}


def run_set(kind: str, examples: list[Any], pipeline: Pipeline) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rotation in ROTATIONS:
        pairs, right, orient_ms, failed = [], 0, [], 0
        for example in examples:
            try:
                doc = pipeline.run(turned(example, rotation))
            except Exception as exc:  # noqa: BLE001 - count it, keep scoring the others
                failed += 1
                print(f"  {example.id} rot {rotation}: {type(exc).__name__}: {exc}", flush=True)
                continue
            # The turn that undoes `rotation` is (360 - rotation) % 360.
            if doc.pages[0].rotation == (360 - rotation) % 360:
                right += 1
            else:
                print(f"  {example.id} turned {rotation}: detector said {doc.pages[0].rotation} {doc.meta.get('orientation')}", flush=True)
            orient_ms.append(doc.timings_ms.get("orient", 0.0))
            scored = example.annotated_fields
            gold = {k: v for k, v in example.reference.fields.items() if k in scored}
            pred = {k: v for k, v in doc.fields.items() if k in scored}
            if not example.spaced_text:
                gold, pred = _no_spaces(gold), _no_spaces(pred)
            pairs.append((gold, pred))
        micro = metrics.field_scores(pairs)["exact"]["micro"]
        out[str(rotation)] = {
            "documents": len(examples),
            "failed": failed,
            "orientation_right": right,
            "field_f1": micro["f1"],
            "orient_ms_mean": round(statistics.fmean(orient_ms), 1) if orient_ms else None,
        }
        print(f"{kind} rot {rotation}: {out[str(rotation)]}", flush=True)
    return out


def timing(examples: list[Any]) -> dict[str, Any]:
    from tillroll.ocr.base import get_engine

    engine = get_engine("rapidocr")
    rows = []
    for example in examples:
        image = load_document(example.image_path).pages[0].image
        t0 = time.perf_counter()
        detect_orientation(image)
        t1 = time.perf_counter()
        engine.read(image)
        t2 = time.perf_counter()
        rows.append((t1 - t0, t2 - t1))
        print(f"  timing {example.id}: orient {1000 * (t1 - t0):.0f} ms, ocr {1000 * (t2 - t1):.0f} ms", flush=True)
    orient, ocr = sum(r[0] for r in rows), sum(r[1] for r in rows)
    return {"receipts": len(rows), "orient_s": round(orient, 2), "ocr_s": round(ocr, 2), "extra_share": round(orient / ocr, 4)}


def tesseract_osd(examples: list[Any]) -> dict[str, Any]:
    import pytesseract

    right = total = 0
    seconds = 0.0
    for example in examples:
        for rotation in ROTATIONS:
            image = turned(example, rotation).pages[0].image
            t0 = time.perf_counter()
            try:
                text = pytesseract.image_to_osd(image, config="--psm 0")
                found = int(re.search(r"Rotate: (\d+)", text).group(1))  # type: ignore[union-attr]
            except Exception:  # noqa: BLE001 - "too few characters" and the like: no answer
                found = -1
            seconds += time.perf_counter() - t0
            total += 1
            right += found == (360 - rotation) % 360
    return {"pages": total, "right": right, "mean_ms": round(1000 * seconds / max(1, total), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sroie", type=int, default=40)
    parser.add_argument("--wildreceipt", type=int, default=40)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--model", default="joint")
    parser.add_argument("--timing", type=int, default=0, help="receipts (of each set) for the orientation-vs-OCR time comparison")
    parser.add_argument("--osd", type=int, default=0, help="receipts (of each set) for the Tesseract OSD comparison")
    parser.add_argument("--timing-only", action="store_true", help="skip the field scores (only --timing and --osd)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    config = PipelineConfig(model=args.model)
    pipeline = Pipeline(config, stages=build_stages(args.model, cached_engine("rapidocr"), config))
    report: dict[str, Any] = {"seed": args.seed, "model": args.model}
    for kind, n in (("sroie", args.sroie), ("wildreceipt", args.wildreceipt)):
        if n <= 0:
            continue
        examples = subset(kind, n, args.seed)
        report[kind] = {"ids": [e.id for e in examples]}
        if not args.timing_only:
            report[kind]["by_rotation"] = run_set(kind, examples, pipeline)
        if args.timing:
            report[kind]["timing_upright"] = timing(examples[: args.timing])
            print(f"{kind} timing: {report[kind]['timing_upright']}", flush=True)
        if args.osd:
            report[kind]["tesseract_osd"] = tesseract_osd(examples[: args.osd])
            print(f"{kind} tesseract osd: {report[kind]['tesseract_osd']}", flush=True)
        if args.out:
            args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k not in ("sroie", "wildreceipt")}))


if __name__ == "__main__":
    main()
