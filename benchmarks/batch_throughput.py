"""Receipts per second of `tillroll batch` for 1 and 2 workers on the local and Ray engines.

Every run extracts the same N SROIE receipts (the first N of the dev split,
`tillroll.io.splits`, ids sorted) through `tillroll.batch.BatchJob`, the code
behind `tillroll batch`, into a fresh JSONL file, with real OCR: the pipeline's
OCR stage never reads the OCR cache, and this script points TILLROLL_CACHE_DIR
at an empty folder anyway. Each run is a separate process, so one run's Ray or
worker pool cannot help the next.

Reported per run:

- end-to-end receipts/s: N / wall time of the whole batch, worker (or Ray)
  start-up included: what a user waits for;
- steady receipts/s: receipts finished after the first `--warmup` results,
  divided by the time they took: the rate once every worker is up, which is
  what matters for big batches;
- CPU s per receipt: CPU time of all workers / N. Other jobs sharing the
  machine slow the wall clock but not this; if it stays flat from 1 to 2
  workers, the engines add no overhead and the wall-clock scaling is limited
  only by free cores;
- CPU share: worker CPU time / (wall time x workers): 1.0 means every worker
  had a core to itself all the time;
- peak RSS per worker (max over workers; each worker holds one pipeline);
- the load average before and after, so readers can judge the machine's state.

    .venv/bin/python benchmarks/batch_throughput.py --n 100 --engines local,ray --workers 1,2
    .venv/bin/python benchmarks/batch_throughput.py --n 100 --engines local --workers 1,2 --ocr rapidocr-fast

It takes ~N x (OCR seconds per receipt) x (1 + 1/2) per engine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("TILLROLL_DATASETS", REPO.parent / "shared" / "datasets"))


def dev_receipts(n: int) -> list[Path]:
    from tillroll.io.splits import split_of

    images = sorted((DATASETS / "sroie" / "train" / "images").glob("*.jpg"))
    dev = [p for p in images if split_of(p.stem) == "dev"]
    if len(dev) < n:
        raise SystemExit(f"only {len(dev)} SROIE dev receipts under {DATASETS}; lower --n")
    return dev[:n]


class _TimeUp(Exception):
    """Raised from the result callback to end a run at --max-seconds."""


def run_one(
    engine: str, workers: int, n: int, model: str | None, warmup: int, max_seconds: float | None = None, ocr: str | None = None, threads: int | None = None
) -> dict[str, object]:
    """One batch in this process; returns its measurements.

    With `max_seconds`, the batch is stopped after that long and the rates are over
    the receipts finished by then (`receipts` says how many).
    """
    from tillroll.batch.local import available_cpus
    from tillroll.batch.runner import BatchJob
    from tillroll.batch.sinks import read_records
    from tillroll.batch.worker import plan_parallelism
    from tillroll.config import PipelineConfig

    sources = dev_receipts(n)
    with tempfile.TemporaryDirectory(prefix="tillroll-batch-bench-") as tmp:
        os.environ["TILLROLL_CACHE_DIR"] = str(Path(tmp) / "empty-ocr-cache")
        listing = Path(tmp) / "inputs.txt"
        listing.write_text("\n".join(str(p) for p in sources) + "\n")
        out = Path(tmp) / "results.jsonl"
        options = {k: v for k, v in (("model", model), ("ocr", ocr)) if v}
        config = PipelineConfig(**options)
        job = BatchJob([str(listing)], out, config=config, engine=engine, workers=workers, threads_per_worker=threads)
        arrivals: list[float] = []
        load_before = os.getloadavg()
        t0 = time.perf_counter()

        def on_result(record: dict[str, object], st: object) -> None:
            arrivals.append(time.perf_counter())
            if max_seconds and arrivals[-1] - t0 > max_seconds:
                raise _TimeUp

        try:
            job.run(on_result)
        except _TimeUp:
            pass
        stats = job.stats
        wall = (arrivals[-1] if arrivals else time.perf_counter()) - t0
        load_after = os.getloadavg()
        records = read_records(out)
    ocr_ms = [r["timings_ms"]["ocr"] for r in records if "error" not in r and "ocr" in r.get("timings_ms", {})]
    steady = (len(arrivals) - warmup) / (arrivals[-1] - arrivals[warmup - 1]) if len(arrivals) > warmup + 1 else float("nan")
    cpu = sum(stats.worker_cpu_s.values())
    return {
        "engine": engine,
        "workers": workers,
        "threads_per_worker": plan_parallelism(available_cpus(), workers, threads)[1] if engine == "local" else threads or 1,
        "receipts": len(records),
        "stopped_at_max_seconds": bool(max_seconds and len(records) < n),
        "failed": stats.failed,
        "model": config.model,
        "ocr": config.ocr,
        "wall_s": round(wall, 2),
        "end_to_end_per_s": round(len(records) / wall, 4),
        "steady_per_s": round(steady, 4),
        "first_result_s": round(arrivals[0] - t0, 2) if arrivals else None,
        "ocr_ms_median": round(statistics.median(ocr_ms), 1) if ocr_ms else None,
        "worker_cpu_s_per_receipt": round(cpu / max(1, len(records)), 3),
        "cpu_share": round(cpu / (wall * workers), 3),
        "worker_peak_rss_mb": sorted(stats.worker_peak_rss_mb.values()),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
    }


def markdown(rows: list[dict[str, object]]) -> str:
    lines = [
        "| engine | OCR | workers x threads | receipts | end-to-end receipts/min | steady receipts/min | wall s | first result s | OCR ms/receipt (median) | worker CPU s/receipt | CPU share | peak RSS per worker MiB | load avg before -> after (1 min) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        rss = r["worker_peak_rss_mb"]
        lines.append(
            f"| {r['engine']} | {r['ocr']} | {r['workers']} x {r.get('threads_per_worker', 1)} | {r['receipts']} | {60 * r['end_to_end_per_s']:.1f} | {60 * r['steady_per_s']:.1f} | {r['wall_s']:.0f} | "  # type: ignore[operator]
            f"{r['first_result_s']} | {r['ocr_ms_median']:.0f} | {r['worker_cpu_s_per_receipt']:.2f} | {r['cpu_share']:.2f} | "
            f"{max(rss):.0f} | {r['loadavg_before'][0]} -> {r['loadavg_after'][0]} |"  # type: ignore[index, arg-type]
        )
    by = {(r["engine"], r["workers"]): r for r in rows}
    lines.append("")
    for engine in sorted({str(r["engine"]) for r in rows}):
        one, two = by.get((engine, 1)), by.get((engine, 2))
        if one and two:
            lines.append(
                f"- {engine}: scaling 1 -> 2 workers = {two['end_to_end_per_s'] / one['end_to_end_per_s']:.2f}x end-to-end, "  # type: ignore[operator]
                f"{two['steady_per_s'] / one['steady_per_s']:.2f}x steady"  # type: ignore[operator]
            )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100, help="SROIE dev receipts per run")
    ap.add_argument("--engines", default="local,ray")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--model", default=None, help="default: PipelineConfig's default model")
    ap.add_argument("--ocr", default=None, help="OCR engine (default: PipelineConfig's, rapidocr)")
    ap.add_argument("--threads-per-worker", type=int, default=None, help="default: BatchJob's (cores / workers on the local engine)")
    ap.add_argument("--warmup", type=int, default=5, help="results to skip before the steady rate is timed")
    ap.add_argument("--max-seconds", type=float, default=None, help="stop each run after this long (rates are then over the receipts finished)")
    ap.add_argument("--json", type=Path, default=REPO / "build" / "benchmarks" / "batch_throughput.json")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # internal: "engine:workers", run in this process
    args = ap.parse_args()

    if args.one:
        engine, workers = args.one.split(":")
        print(json.dumps(run_one(engine, int(workers), args.n, args.model, args.warmup, args.max_seconds, args.ocr, args.threads_per_worker)))
        return

    rows = []
    for engine in args.engines.split(","):
        for workers in (int(w) for w in args.workers.split(",")):
            cmd = [sys.executable, __file__, "--one", f"{engine}:{workers}", "--n", str(args.n), "--warmup", str(args.warmup)]
            if args.model:
                cmd += ["--model", args.model]
            if args.ocr:
                cmd += ["--ocr", args.ocr]
            if args.threads_per_worker:
                cmd += ["--threads-per-worker", str(args.threads_per_worker)]
            if args.max_seconds:
                cmd += ["--max-seconds", str(args.max_seconds)]
            print(f"running {engine} with {workers} worker(s) over {args.n} receipts ...", file=sys.stderr, flush=True)
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
            if proc.returncode != 0:
                raise SystemExit(f"run {engine}:{workers} failed:\n{proc.stderr[-3000:]}")
            row = json.loads(proc.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    report = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "runs": rows,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(rows))


if __name__ == "__main__":
    main()
