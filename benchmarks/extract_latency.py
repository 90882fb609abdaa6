"""End-to-end `tillroll extract` time per receipt for each OCR engine, one process with the model loaded (issue 19).

For every engine a fresh process builds the pipeline `tillroll extract` uses
(same stages, real OCR, no OCR cache), extracts one receipt untimed to warm
up, then extracts the first N SROIE dev and the first M WildReceipt dev
receipts (ids sorted), timing each from the file on disk to the finished
document: wall-clock and CPU time of the whole process (every thread). Peak
RSS of that process is reported too (models, pipeline and the largest page).

    .venv/bin/python benchmarks/extract_latency.py --engines rapidocr,rapidocr-tuned,rapidocr-fast --sroie 20 --wild 10

Wall time is what a user waits for on an idle machine; with other jobs on the
machine it stretches, CPU time much less (so both are printed, with the load
average before and after each engine's run). TILLROLL_OCR_THREADS or --threads
sets the OCR threads (default: every core).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from machine import describe_machine  # benchmarks/machine.py: scripts here run with benchmarks/ on sys.path

REPO = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("TILLROLL_DATASETS", REPO.parent / "shared" / "datasets"))


def receipts(n_sroie: int, n_wild: int) -> list[Path]:
    from tillroll.io.splits import split_of

    sroie = sorted(p for p in (DATASETS / "sroie" / "train" / "images").glob("*.jpg") if split_of(p.stem) == "dev")[:n_sroie]
    wild = []
    for line in (DATASETS / "wildreceipt" / "train.txt").read_text().splitlines():
        name = json.loads(line)["file_name"]
        if split_of(Path(name).stem) == "dev":
            wild.append(DATASETS / "wildreceipt" / name)
    return sroie + sorted(wild)[:n_wild]


def run_one(engine: str, model: str, n_sroie: int, n_wild: int) -> dict[str, object]:
    from tillroll.cli.extract import build_pipeline
    from tillroll.config import PipelineConfig

    os.environ.setdefault("TILLROLL_LEAN_MEMORY", "1")  # as `tillroll extract` sets it
    files = receipts(n_sroie, n_wild)
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    pipeline = build_pipeline(PipelineConfig(ocr=engine, model=model))
    pipeline.process(str(files[0]), name=files[0].name)  # warm-up (models load lazily)
    ready_s = time.perf_counter() - t0
    rows = []
    for path in files:
        c0, w0 = time.process_time(), time.perf_counter()
        doc = pipeline.process(str(path), name=path.name)
        rows.append({"file": path.name, "wall": time.perf_counter() - w0, "cpu": time.process_time() - c0, "ocr_ms": doc.timings_ms.get("ocr")})
    sroie, wild = rows[:n_sroie], rows[n_sroie:]

    def med(items: list[dict[str, object]], key: str) -> float | None:
        return round(statistics.median(float(r[key]) for r in items), 3) if items else None  # type: ignore[arg-type]

    return {
        "engine": engine,
        "model": model,
        "threads": getattr(pipeline.stages[[s.name for s in pipeline.stages].index("ocr")].engine, "threads", None),
        "receipts": len(rows),
        "ready_s": round(ready_s, 2),
        "wall_median_s": med(rows, "wall"),
        "cpu_median_s": med(rows, "cpu"),
        "sroie_wall_median_s": med(sroie, "wall"),
        "sroie_cpu_median_s": med(sroie, "cpu"),
        "wild_wall_median_s": med(wild, "wall"),
        "wild_cpu_median_s": med(wild, "cpu"),
        "ocr_ms_median": med(rows, "ocr_ms"),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "per_receipt": rows,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engines", default="rapidocr,rapidocr-fast")
    ap.add_argument("--model", default="joint")
    ap.add_argument("--sroie", type=int, default=20, help="SROIE dev receipts")
    ap.add_argument("--wild", type=int, default=10, help="WildReceipt dev receipts")
    ap.add_argument("--threads", type=int, default=None, help="OCR threads (TILLROLL_OCR_THREADS)")
    ap.add_argument("--json", type=Path, default=REPO / "build" / "benchmarks" / "extract_latency.json")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # internal: run this engine in this process
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.model, args.sroie, args.wild)))
        return
    env = dict(os.environ)
    if args.threads:
        env["TILLROLL_OCR_THREADS"] = str(args.threads)
    runs = []
    for engine in args.engines.split(","):
        cmd = [sys.executable, __file__, "--one", engine, "--model", args.model, "--sroie", str(args.sroie), "--wild", str(args.wild)]
        print(f"running {engine} ...", file=sys.stderr, flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env)
        if proc.returncode != 0:
            raise SystemExit(f"{engine} failed:\n{proc.stderr[-3000:]}")
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        runs.append(row)
        summary = {k: v for k, v in row.items() if k != "per_receipt"}
        print(json.dumps(summary), file=sys.stderr, flush=True)
    report = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": describe_machine(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "runs": runs,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1) + "\n")
    print("| engine | threads | receipts | median wall s (SROIE / Wild) | median CPU s (SROIE / Wild) | OCR ms median | peak RSS MiB | load before -> after |")
    print("|---|---|---|---|---|---|---|---|")
    for r in runs:
        print(
            f"| {r['engine']} | {r['threads'] or 'default'} | {r['receipts']} | {r['wall_median_s']:.2f} ({r['sroie_wall_median_s']} / {r['wild_wall_median_s']}) | "
            f"{r['cpu_median_s']:.2f} ({r['sroie_cpu_median_s']} / {r['wild_cpu_median_s']}) | {r['ocr_ms_median']:.0f} | {r['peak_rss_mb']:.0f} | {r['load_before']} -> {r['load_after']} |"
        )


if __name__ == "__main__":
    main()
