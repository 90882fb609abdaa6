"""OCR cost of a scanned A4 invoice page against a till receipt, per megapixel and per character.

Issue 16 asks that "a scanned page costs no more OCR than a receipt of the
same pixel count". Three sets go through the same engine (config.DEFAULT_ENGINE
unless --engine), no OCR cache, one warm-up read first:

- invoice pages: page 1 of the first N distinct invoices (by their printed
  text) of ../shared/datasets/einvoices, rendered at 200 dpi greyscale, the
  pixels the `einvoices-scanned:` form gives the OCR;
- receipts: the first N SROIE dev receipts (the fixed id-hash split), as
  scanned;
- receipts at page size: the same receipts scaled (Lanczos) to the pixel count
  of an A4 page at 200 dpi (1654 x 2339);
- page-shaped receipt photos: WildReceipt dev photos whose width/height is a
  portrait page's (0.65-0.8), scaled to the same pixel count: RapidOCR's
  longest-side cap treats them as it treats a page, where it shrinks the tall
  SROIE receipts more.

For each image: CPU seconds of `engine.read` (process time: every thread), the
pixels the text detector's network ran on (a count that, unlike CPU time on a
shared machine, does not move between runs), the characters it recognised; per set the CPU per megapixel of the image handed to
the engine and per recognised character (totals over the set, not means of
ratios). CPU time is what the other jobs on a shared machine disturb least.

    nice -n 15 .venv/bin/python benchmarks/ocr_page_cost.py --pages 4 --receipts 4
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from machine import describe_machine  # benchmarks/machine.py: scripts here run with benchmarks/ on sys.path

REPO = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("TILLROLL_DATASETS", REPO.parent / "shared" / "datasets"))
A4_200DPI = (1654, 2339)


def invoice_pages(folder: Path, n: int) -> list[tuple[str, Any]]:
    """(id, greyscale 200 dpi image) of page 1 of the first `n` invoices whose printed text differs."""
    import pypdfium2 as pdfium

    from tillroll.io.datasets.einvoices import SCAN_DPI

    out: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for pdf in sorted((folder / "pdf").glob("*.pdf")):
        doc = pdfium.PdfDocument(str(pdf))
        try:
            # Many samples are one invoice in several profiles: the same page printed again.
            key = hashlib.sha1(" ".join(doc[0].get_textpage().get_text_range().split()).encode()).hexdigest()
            if key in seen:
                continue
            seen.add(key)
            out.append((pdf.stem, doc[0].render(scale=SCAN_DPI / 72.0).to_pil().convert("L")))
        finally:
            doc.close()
        if len(out) >= n:
            break
    return out


def sroie_receipts(folder: Path, n: int, pixels: int | None = None) -> list[tuple[str, Any]]:
    """(id, image) of the first `n` SROIE dev receipts; scaled to `pixels` pixels when given."""
    from PIL import Image

    from tillroll.io.splits import split_of

    out: list[tuple[str, Any]] = []
    for path in sorted(p for p in (folder / "images").glob("*.jpg") if split_of(p.stem) == "dev")[:n]:
        with Image.open(path) as img:
            image = img.convert("RGB")
        if pixels:
            f = (pixels / (image.width * image.height)) ** 0.5
            image = image.resize((round(image.width * f), round(image.height * f)), Image.LANCZOS)
        out.append((path.stem, image))
    return out


class DetectorPixels:
    """Counts the pixels the text detector's network is run on (every strip, after its own resizing).

    CPU time on a shared VM moves by 15-30 % between runs; this count does not,
    and the detector is most of a page's OCR (docs/benchmarks.md, session 9).
    Wraps the ONNX session of RapidOCR engines; stays 0 for other engines.
    """

    def __init__(self, engine: Any) -> None:
        self.pixels = 0
        detector = getattr(getattr(getattr(engine, "_ocr", None), "text_det", None), "_detector", None)
        session = getattr(detector, "session", None)
        if session is None:
            return

        def counted(batch: Any) -> Any:
            self.pixels += int(batch.shape[-2]) * int(batch.shape[-1])
            return session(batch)

        detector.session = counted


def measure(engine: Any, images: list[tuple[str, Any]], runs: int) -> list[dict[str, Any]]:
    """CPU (median of `runs` reads), detector pixels and recognised characters of each image."""
    rows = []
    counter = DetectorPixels(engine)
    for name, image in images:
        cpus, chars, words = [], 0, 0
        for _ in range(runs):
            counter.pixels = 0
            c0 = time.process_time()
            found = engine.read(image)
            cpus.append(time.process_time() - c0)
            chars, words = sum(len(w.text) for w in found), len(found)
        rows.append(
            {
                "id": name,
                "size": f"{image.width}x{image.height}",
                "megapixels": round(image.width * image.height / 1e6, 3),
                "words": words,
                "characters": chars,
                "detector_megapixels": round(counter.pixels / 1e6, 3),
                "cpu_s": round(statistics.median(cpus), 3),
            }
        )
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    mp = sum(r["megapixels"] for r in rows)
    cpu = sum(r["cpu_s"] for r in rows)
    chars = sum(r["characters"] for r in rows)
    detector_mp = sum(r.get("detector_megapixels", 0.0) for r in rows)
    return {
        "images": len(rows),
        "megapixels": round(mp, 2),
        "detector_mp_per_mp": round(detector_mp / mp, 3) if mp else None,
        "characters": chars,
        "cpu_s": round(cpu, 2),
        "cpu_s_per_megapixel": round(cpu / mp, 3) if mp else None,
        "cpu_ms_per_character": round(1000 * cpu / chars, 2) if chars else None,
    }


def page_shaped_photos(folder: Path, n: int, pixels: int) -> list[tuple[str, Any]]:
    """(id, image) of the first `n` WildReceipt dev photos shaped like a portrait page (width/height
    0.65-0.8, as A4's 0.71), scaled to `pixels` pixels: receipts the longest-side cap treats as it treats a page."""
    from PIL import Image

    from tillroll.io.splits import split_of

    out: list[tuple[str, Any]] = []
    for path in sorted(p for p in folder.rglob("*.jpeg") if split_of(p.stem) == "dev"):
        with Image.open(path) as img:
            if not 0.65 <= img.width / img.height <= 0.8:
                continue
            image = img.convert("RGB")
        f = (pixels / (image.width * image.height)) ** 0.5
        out.append((path.stem, image.resize((round(image.width * f), round(image.height * f)), Image.LANCZOS)))
        if len(out) >= n:
            break
    return out


def page_vs_receipts(
    einvoices: Path, sroie: Path, n_pages: int, n_receipts: int, engine_name: str | None = None, runs: int = 1, wildreceipt: Path | None = None
) -> dict[str, Any]:
    """The sets of the module docstring, measured with one engine."""
    from tillroll.config import DEFAULT_ENGINE
    from tillroll.ocr.base import get_engine

    name = engine_name or DEFAULT_ENGINE
    engine = get_engine(name)
    sets = {
        "invoice pages, 200 dpi": invoice_pages(einvoices, n_pages),
        "SROIE dev receipts": sroie_receipts(sroie, n_receipts),
        "the same receipts at A4 pixel count": sroie_receipts(sroie, n_receipts, pixels=A4_200DPI[0] * A4_200DPI[1]),
    }
    if wildreceipt is not None and wildreceipt.is_dir():
        sets["WildReceipt photos shaped like a page, at A4 pixel count"] = page_shaped_photos(wildreceipt, n_receipts, A4_200DPI[0] * A4_200DPI[1])
    engine.read(sets["SROIE dev receipts"][0][1])  # warm-up: sessions and thread pools start lazily
    out: dict[str, Any] = {"engine": name, "runs": runs, "sets": {}}
    for label, images in sets.items():
        rows = measure(engine, images, runs)
        out["sets"][label] = {"summary": summary(rows), "images": rows}
        print(json.dumps({label: out["sets"][label]["summary"]}), file=sys.stderr, flush=True)
    return out


def markdown(res: dict[str, Any]) -> str:
    lines = [
        f"| OCR `{res['engine']}`, no cache, CPU | images | MP | detector MP per MP | characters | CPU s | CPU s per MP | CPU ms per character |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, part in res["sets"].items():
        s = part["summary"]
        lines.append(
            f"| {label} | {s['images']} | {s['megapixels']} | {s['detector_mp_per_mp']} | {s['characters']} | {s['cpu_s']} | {s['cpu_s_per_megapixel']} | {s['cpu_ms_per_character']} |"
        )
    page = res["sets"]["invoice pages, 200 dpi"]["summary"]
    receipt = res["sets"]["the same receipts at A4 pixel count"]["summary"]
    if page["cpu_s_per_megapixel"] and receipt["cpu_s_per_megapixel"]:
        ratio = page["cpu_s_per_megapixel"] / receipt["cpu_s_per_megapixel"]
        per_char = page["cpu_ms_per_character"] / receipt["cpu_ms_per_character"]
        detector = page["detector_mp_per_mp"] / receipt["detector_mp_per_mp"] if receipt["detector_mp_per_mp"] else float("nan")
        lines.append(
            f"\nAgainst a receipt of its pixel count, a page costs {ratio:.2f}x the CPU per megapixel ({per_char:.2f}x per character)"
            f" and gives the detector {detector:.2f}x the pixels per megapixel."
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--einvoices", type=Path, default=DATASETS / "einvoices")
    ap.add_argument("--sroie", type=Path, default=DATASETS / "sroie" / "train")
    ap.add_argument("--wildreceipt", type=Path, default=DATASETS / "wildreceipt", help="page-shaped receipt photos for a fourth set")
    ap.add_argument("--pages", type=int, default=4)
    ap.add_argument("--receipts", type=int, default=4)
    ap.add_argument("--engine", default=None, help="an OCR engine name; default: tillroll.config.DEFAULT_ENGINE")
    ap.add_argument("--runs", type=int, default=1, help="reads per image (the median is kept)")
    ap.add_argument("--json", type=Path, default=REPO / "build" / "benchmarks" / "ocr_page_cost.json")
    args = ap.parse_args()
    load_before = round(os.getloadavg()[0], 2)
    res = page_vs_receipts(args.einvoices, args.sroie, args.pages, args.receipts, args.engine, args.runs, args.wildreceipt)
    res.update(
        command=" ".join(["python", *sys.argv]),
        date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        machine=describe_machine(),
        load_before=load_before,
        load_after=round(os.getloadavg()[0], 2),
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    print(f"{res['command']}; {res['date']}; {res['machine']}; load average {load_before} before, {res['load_after']} after\n")
    print(markdown(res))


if __name__ == "__main__":
    main()
