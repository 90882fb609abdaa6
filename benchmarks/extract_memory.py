"""Peak memory of a fresh `tillroll extract` process, OCR included, over receipts of different sizes.

    python benchmarks/extract_memory.py --runs 3 --model joint --model rules

Each run is a new process (no OCR cache, default threads, no CPU pinning), as a
user would start it; its peak resident set size comes from the kernel
(`wait4` rusage of that child alone). The images: the sample receipt shipped
in the repo, and, where the shared datasets are present, the median-sized and
the largest SROIE receipt and the largest WildReceipt photo (largest by pixel
count). Peak RSS varies between identical runs (thread timing decides how
buffers are reused), so several runs per image are taken and the maximum is
what to compare with a budget.

The versions of the packages that allocate the big buffers are printed with the
result: the same code peaked 43 MiB higher in a later, freshly installed
environment, and without the versions the two figures could not be compared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "datasets"
# Distributions whose builds decide how much memory OCR and the classifier take.
MEMORY_RELEVANT = ("rapidocr", "onnxruntime", "opencv-python-headless", "numpy", "pillow", "shapely", "pyclipper", "tokenizers")


def package_versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for name in MEMORY_RELEVANT:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def pick_images(data: Path) -> list[Path]:
    from PIL import Image

    images = [REPO / "samples" / "receipt-mt.png"]
    sroie = sorted((data / "sroie/train/images").glob("*.jpg"))
    if sroie:
        by_size = sorted(sroie, key=lambda p: (Image.open(p).size[0] * Image.open(p).size[1], p.name))
        images += [by_size[len(by_size) // 2], by_size[-1]]
    wild = sorted(p for p in (data / "wildreceipt/image_files").glob("*/*/*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    if wild:
        images.append(max(wild, key=lambda p: (Image.open(p).size[0] * Image.open(p).size[1], p.name)))
    return images


def peak_rss_mib(image: Path, model: str, ocr: str | None = None) -> tuple[float, float, int]:
    """(peak RSS MiB, wall s, exit code) of one `tillroll extract` child."""
    exe = str(Path(sys.executable).parent / "tillroll")
    t0 = time.perf_counter()
    engine = ["--ocr", ocr] if ocr else []
    proc = subprocess.Popen([exe, "extract", str(image), "--model", model, *engine], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, time.perf_counter() - t0, proc.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", help="rules, neural or joint (repeatable; default joint)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--ocr", default=None, help="OCR engine (default: tillroll extract's default)")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--image", type=Path, action="append", help="measure this image instead of the standard set (repeatable)")
    args = ap.parse_args()
    from PIL import Image

    rows = []
    for image in args.image or pick_images(args.data):
        size = Image.open(image).size
        for model in args.model or ["joint"]:
            peaks, walls = [], []
            for _ in range(args.runs):
                peak, wall, code = peak_rss_mib(image, model, args.ocr)
                if code != 0:
                    print(f"{image.name}: tillroll extract exited {code}", file=sys.stderr)
                    return 1
                peaks.append(peak)
                walls.append(wall)
            row = {
                "image": image.name,
                "pixels": f"{size[0]}x{size[1]}",
                "model": model,
                "ocr": args.ocr or "default",
                "runs": args.runs,
                "peak_rss_mib_max": round(max(peaks), 1),
                "peak_rss_mib_median": round(statistics.median(peaks), 1),
                "peak_rss_mib_min": round(min(peaks), 1),
                "wall_s_median": round(statistics.median(walls), 2),
            }
            rows.append(row)
            print(
                f"{row['image']:<48} {row['pixels']:>10} {model:<6} peak RSS MiB min/median/max "
                f"{row['peak_rss_mib_min']}/{row['peak_rss_mib_median']}/{row['peak_rss_mib_max']}  wall {row['wall_s_median']} s",
                flush=True,
            )
    result = {
        "machine": {"python": platform.python_version(), "cpu": platform.machine(), "cpus": os.cpu_count()},
        "rows": rows,
        "packages": package_versions(),
        "max_peak_rss_mib": max(r["peak_rss_mib_max"] for r in rows),
    }
    print(f"largest peak: {result['max_peak_rss_mib']} MiB ({result['max_peak_rss_mib'] * 1.048576:.0f} MB)")
    print("packages: " + ", ".join(f"{k} {v}" for k, v in result["packages"].items()))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
