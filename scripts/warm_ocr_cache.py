"""Run an OCR engine over the shared datasets once, filling the OCR cache.

Evaluation, training-data preparation and benchmarks then read words from the
cache instead of re-running OCR. Dev splits go first, then test, so scores are available early.

    python scripts/warm_ocr_cache.py --engine rapidocr --datasets sroie,wildreceipt
    python scripts/warm_ocr_cache.py --engine rapidocr-fast --split dev   # any engine name of tillroll.ocr.base
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from PIL import Image, ImageOps

from tillroll.io.splits import split_of
from tillroll.ocr.base import get_engine
from tillroll.ocr.cache import CachedEngine

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def dataset_images(name: str, root: Path) -> list[tuple[str, Path]]:
    if name == "sroie":
        return [(p.stem, p) for p in sorted((root / "sroie/train/images").glob("*.jpg"))]
    if name == "wildreceipt":
        out = []
        for line in (root / "wildreceipt/train.txt").read_text().splitlines():
            rec = json.loads(line)
            p = root / "wildreceipt" / rec["file_name"]
            out.append((Path(rec["file_name"]).stem, p))
        return out
    raise SystemExit(f"unknown dataset {name}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", default="rapidocr")
    ap.add_argument("--datasets", default="sroie,wildreceipt")
    ap.add_argument("--data-root", type=Path, default=DATA)
    ap.add_argument("--split", default="all", help="dev, test, train or all (dev first, then test)")
    ap.add_argument("--shard", default="0/1", help="K/N: read every N-th image starting at K, to run N processes side by side")
    args = ap.parse_args()
    items = []
    for name in args.datasets.split(","):
        items += dataset_images(name, args.data_root)
    order = {"dev": 0, "test": 1, "train": 2}
    items.sort(key=lambda it: order[split_of(it[0])])
    if args.split != "all":
        items = [it for it in items if split_of(it[0]) == args.split]
    k, n = (int(v) for v in args.shard.split("/"))
    items = items[k::n]
    # One thread per process: run several shards side by side to use more cores.
    engine = CachedEngine(get_engine(args.engine, **({"threads": 1} if args.engine.startswith("rapidocr") else {})))
    t0 = time.time()
    for i, (_doc_id, path) in enumerate(items, 1):
        image = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        engine.read(image)
        if i % 20 == 0 or i == len(items):
            print(f"{i}/{len(items)} ({engine.hits} cached) {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
