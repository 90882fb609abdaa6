"""How well the default OCR engine reads synthetic receipts, clean and degraded.

The point is to show the degradation is realistic rather than destructive:
clean renders should read almost perfectly, degraded ones at an error rate
comparable to real SROIE scans. Uses the evaluation toolkit's OCR benchmark
(`tillroll.evaluate.runner.ocr_benchmark`, paper Table 1 metrics, OCR words
assigned to gold lines by box) so the numbers compare directly with the SROIE
row of docs/benchmarks.md. OCR goes through the shared cache (TILLROLL_CACHE_DIR).

    TILLROLL_CACHE_DIR=.cache .venv/bin/python benchmarks/synth_ocr_cer.py --n 30 --degrade 0.5
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from tillroll.evaluate.runner import ocr_benchmark
from tillroll.synth.generate import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="receipts per condition")
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument("--locales", default="all")
    parser.add_argument("--degrade", type=float, nargs="+", default=[0.0, 0.5], help="strengths to compare")
    parser.add_argument("--engine", default="rapidocr")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="synth-cer-"))
    results = {}
    try:
        for strength in args.degrade:
            folder = work / f"degrade-{strength}"
            generate(args.n, args.locales, args.seed, folder, degrade=strength, workers=1, progress=False)
            began = time.perf_counter()
            report = ocr_benchmark(f"synth:{folder}", [args.engine], progress=False)
            row = report["engines"][args.engine]
            row["wall_seconds"] = round(time.perf_counter() - began, 1)
            results[str(strength)] = row
            print(f"degrade={strength}: " + json.dumps(row), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("| degrade | receipts | CER | WER | char acc. | token F1 |")
    print("|---|---|---|---|---|---|")
    for strength, r in results.items():
        print(f"| {strength} | {r['documents']} | {r['cer']:.4f} | {r['wer']:.4f} | {r['char_accuracy']:.4f} | {r['macro_f1']:.4f} |")
    if args.json:
        args.json.write_text(json.dumps({"n": args.n, "seed": args.seed, "locales": args.locales, "engine": args.engine, "results": results}, indent=1))


if __name__ == "__main__":
    main()
