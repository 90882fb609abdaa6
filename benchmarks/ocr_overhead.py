"""Where tillroll's OCR time goes against a bare RapidOCR run of the same settings (issue 19).

One configuration per process (run it four times), OCR only, first 12 SROIE dev
receipts, the first read untimed; prints the median wall and CPU seconds:

    for c in ours study lean nostrips; do .venv/bin/python benchmarks/ocr_overhead.py $c; done

- ours: tillroll's `rapidocr-tuned` engine on 2 threads, as batch workers and the server run it;
- study: the OCR study's harness (../shared/tools/ocr_study/bench.py) running RapidOCR
  with the same settings and two recogniser sessions;
- lean: `ours` with TILLROLL_LEAN_MEMORY=1, the malloc policy `tillroll extract` sets;
- nostrips: `ours` detecting every page in one pass.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def main() -> None:
    cfg = sys.argv[1] if len(sys.argv) > 1 else "ours"
    if cfg == "lean":
        os.environ["TILLROLL_LEAN_MEMORY"] = "1"
    from PIL import Image

    from tillroll.io.splits import split_of

    images = [p for p in sorted((SHARED / "datasets/sroie/train/images").glob("*.jpg")) if split_of(p.stem) == "dev"][:12]
    if cfg in ("ours", "lean", "nostrips"):
        from tillroll.ocr.rapidocr import RapidOcrTunedEngine

        engine = RapidOcrTunedEngine(threads=2, strips=(cfg != "nostrips"))

        def load(p: Path) -> object:
            return Image.open(p).convert("RGB")

        run = engine.read
    else:
        sys.path.insert(0, str(SHARED / "tools" / "ocr_study"))
        import bench  # type: ignore[import-not-found]

        from tillroll.ocr.rapidocr import TUNED_PARAMS

        raw_load, run = bench.make_engine("rapidocr", {"threads": 2, "params": TUNED_PARAMS, "rec_workers": 2})

        def load(p: Path) -> object:
            return raw_load(str(p))

    run(load(images[0]))  # type: ignore[arg-type]
    walls, cpus = [], []
    for path in images[1:]:
        image = load(path)
        c0, w0 = time.process_time(), time.perf_counter()
        run(image)  # type: ignore[arg-type]
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    print(f"{cfg}: wall median {statistics.median(walls):.2f} s, CPU median {statistics.median(cpus):.2f} s, load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
