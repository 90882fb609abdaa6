"""Throughput of the synthetic receipt generator (target: 1,000 receipts in under 3 minutes).

Generates N receipts per degradation strength into a temporary folder with a
process pool, as `tillroll synth --workers` does, and reports wall time,
receipts per second and output size. Rendering and degradation only, no OCR.
It also reports the CPU seconds used (this process and its workers), which do
not depend on what else runs on the machine: CPU s / workers is the wall time
the run would take with the cores to itself.

    .venv/bin/python benchmarks/synth_speed.py --n 1000 --workers 2 --degrade 0.0 0.5
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from tillroll.synth.generate import generate


def _cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children (the pool's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--locales", default="mt,uk,my,us,de,it,es,pl")
    parser.add_argument("--degrade", type=float, nargs="+", default=[0.0, 0.5])
    args = parser.parse_args()

    print(f"cpus={os.cpu_count()} load_before={os.getloadavg()[0]:.2f}")
    print("| degrade | receipts | workers | wall s | receipts/s | CPU s | CPU s / workers | MB written |")
    print("|---|---|---|---|---|---|---|---|")
    for strength in args.degrade:
        out = Path(tempfile.mkdtemp(prefix="synth-speed-"))
        try:
            cpu_before = _cpu_seconds()
            began = time.perf_counter()
            generate(args.n, args.locales, args.seed, out, degrade=strength, workers=args.workers, progress=False)
            wall = time.perf_counter() - began
            cpu = _cpu_seconds() - cpu_before
            size = sum(p.stat().st_size for p in out.iterdir()) / 1e6
        finally:
            shutil.rmtree(out, ignore_errors=True)
        print(f"| {strength} | {args.n} | {args.workers} | {wall:.1f} | {args.n / wall:.1f} | {cpu:.0f} | {cpu / args.workers:.0f} | {size:.0f} |", flush=True)
    print(f"load_after={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
