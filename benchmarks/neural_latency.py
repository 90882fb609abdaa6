"""Latency of the neural classifier (+ rules) per receipt on one core, and peak memory of `tillroll extract`.

OCR is taken from the OCR cache (it is benchmarked elsewhere and would drown the
number we care about): each dev receipt is loaded as the pipeline loads it, its
cached OCR words are put on the page, and then the post-OCR stages of the chosen
model run, timed per stage. The process is pinned to one CPU and onnxruntime
uses one thread, as in the paper's single-receipt comparison.

    TILLROLL_CACHE_DIR=.cache python benchmarks/neural_latency.py \
        --data sroie:../shared/datasets/sroie/train:dev,wildreceipt:../shared/datasets/wildreceipt:dev \
        --model joint --limit 100 --memory-image ../shared/datasets/sroie/train/images/X00016469612.jpg
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def pin_to_one_core() -> int | None:
    try:
        cpu = sorted(os.sched_getaffinity(0))[0]
        os.sched_setaffinity(0, {cpu})
        return cpu
    except (AttributeError, OSError):  # not Linux
        return None


def stage_latency(specs: str, model: str, model_dir: Path | None, limit: int, repeats: int) -> dict:
    from tillroll.config import PipelineConfig
    from tillroll.evaluate.runner import cached_engine
    from tillroll.io.datasets import iter_dataset
    from tillroll.io.load import load_document
    from tillroll.ocr.stage import words_to_document
    from tillroll.pipeline import STAGES_FOR_MODEL, make_stage

    config = PipelineConfig(model=model, model_dir=model_dir)
    t0 = time.perf_counter()
    stages = [make_stage(name, config) for name in STAGES_FOR_MODEL[model] if name not in ("preprocess", "ocr")]
    build_s = time.perf_counter() - t0
    engine = cached_engine("rapidocr")
    totals: list[float] = []
    cpu_totals: list[float] = []  # process CPU time: what the receipt costs, whatever else the machine runs
    per_stage: dict[str, list[float]] = {s.name: [] for s in stages}
    n_words: list[int] = []
    for spec in specs.split(","):
        count = 0
        for example in iter_dataset(spec):
            if count >= limit:
                break
            image = example.load_image()
            if not engine.path_for(image).exists():
                continue  # only receipts whose OCR is cached: OCR is not what is measured
            ocr_words = engine.read(image)
            for r in range(repeats + 1):
                doc = load_document(example.image_path)
                words_to_document(doc, 0, ocr_words)
                total = 0.0
                timings = {}
                c0 = time.process_time()
                for stage in stages:
                    s0 = time.perf_counter()
                    doc = stage(doc)
                    dt = (time.perf_counter() - s0) * 1000
                    timings[stage.name] = dt
                    total += dt
                cpu = (time.process_time() - c0) * 1000
                if r == 0:
                    continue  # first pass warms caches (tokenizer, onnxruntime arenas)
                totals.append(total)
                cpu_totals.append(cpu)
                for name, dt in timings.items():
                    per_stage[name].append(dt)
            n_words.append(len(doc.words))
            count += 1
    return {
        "model": model,
        "stages": [s.name for s in stages],
        "receipts": len(n_words),
        "repeats": repeats,
        "words_median": float(np.median(n_words)) if n_words else None,
        "build_s": round(build_s, 2),
        "total_ms": _summary(totals),
        "total_cpu_ms": _summary(cpu_totals),
        "per_stage_ms": {name: _summary(v) for name, v in per_stage.items()},
    }


def _summary(values: list[float]) -> dict:
    if not values:
        return {}
    a = np.asarray(values)
    return {
        "median": round(float(np.median(a)), 2),
        "p90": round(float(np.percentile(a, 90)), 2),
        "max": round(float(a.max()), 2),
        "mean": round(float(a.mean()), 2),
    }


def extract_peak_memory(image: Path, model: str) -> dict:
    """Peak RSS of a fresh `tillroll extract` process (OCR included), read from the kernel's rusage."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "tillroll"), "extract", str(image), "--model", model],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    wall = time.perf_counter() - t0
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "image": str(image),
        "model": model,
        "exit_code": proc.returncode,
        "peak_rss_mib": round(max(peak_kib, before) / 1024, 1),
        "wall_s": round(wall, 2),
        "stderr_tail": proc.stderr[-300:] if proc.returncode else "",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="dataset specs, comma-separated (use dev splits)")
    ap.add_argument("--model", default="joint", choices=["neural", "joint"])
    ap.add_argument("--model-dir", type=Path, default=None, help="classifier folder (default: shipped model)")
    ap.add_argument("--limit", type=int, default=100, help="receipts per dataset")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per receipt (after one warm-up)")
    ap.add_argument("--memory-image", type=Path, default=None, help="also measure peak memory of `tillroll extract` on this file")
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    args = ap.parse_args()
    os.environ.setdefault("TILLROLL_CLASSIFIER_THREADS", "1")
    cpu = pin_to_one_core()
    result = {
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(), "pinned_cpu": cpu, "os_cpus": os.cpu_count()},
        "latency": stage_latency(args.data, args.model, args.model_dir, args.limit, args.repeats),
    }
    if args.memory_image:
        result["memory"] = extract_peak_memory(args.memory_image, args.model)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
