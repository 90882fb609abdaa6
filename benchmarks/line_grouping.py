"""Time of grouping OCR words into printed lines (`tillroll.ocr.lines.group_lines`), per receipt.

    TILLROLL_CACHE_DIR=.cache python benchmarks/line_grouping.py --data sroie,wildreceipt

Grouping runs after OCR and before every model, so its cost is paid on every
receipt whatever model is chosen. Words come from the OCR cache (rapidocr) of
the dev-split receipts; receipts not in the cache are skipped, never OCR'd here.
Each receipt is grouped `--repeat` times and its fastest run kept; the median,
95th percentile and maximum over receipts are printed with the reference loop
of `rules_latency.py`, so runs on a VM of changing speed can be compared.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from PIL import Image, ImageOps  # noqa: E402
from rules_latency import DATA, image_paths, reference_loop_ms  # noqa: E402

from tillroll.document import Word  # noqa: E402
from tillroll.ocr.base import get_engine  # noqa: E402
from tillroll.ocr.cache import CachedEngine  # noqa: E402
from tillroll.ocr.lines import group_lines  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="sroie,wildreceipt", help="comma-separated: sroie, wildreceipt")
    ap.add_argument("--root", type=Path, default=DATA)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    engine = CachedEngine(get_engine("rapidocr"))
    receipts: list[list[Word]] = []
    for data in args.data.split(","):
        for path in image_paths(data.strip(), args.root):
            image = ImageOps.exif_transpose(Image.open(path)).convert("RGB")  # the cache is keyed by pixels
            if not engine.path_for(image).exists():
                continue
            ocr_words = engine.read(image)
            receipts.append([Word(i, 0, w.text, w.box) for i, w in enumerate(ocr_words)])
    if not receipts:
        print("no cached OCR words found: set TILLROLL_CACHE_DIR, or warm the cache with scripts/warm_ocr_cache.py", file=sys.stderr)
        return 1

    times = []
    for words in receipts:
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            group_lines(words)
            best = min(best, time.perf_counter() - t0)
        times.append(best * 1000)
    times.sort()
    sizes = sorted(len(w) for w in receipts)
    print(f"{len(receipts)} receipts (median {statistics.median(sizes):.0f} words, max {sizes[-1]}), best of {args.repeat}")
    print(f"group_lines per receipt: median {statistics.median(times):.2f} ms, p95 {times[int(0.95 * (len(times) - 1))]:.2f} ms, max {times[-1]:.2f} ms")
    print(f"reference loop (1M additions): {reference_loop_ms():.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
