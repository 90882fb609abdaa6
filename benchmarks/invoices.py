"""Invoice scores and speed (issue 16's "done when"), as one Markdown report.

1. The 41 Factur-X / ZUGFeRD PDFs of ../shared/datasets/einvoices in three forms
   (`einvoices:` as shipped, the embedded XML not read; `einvoices-text:` the
   pages only; `einvoices-scanned:` every page a 200 dpi image): invoice field
   micro F1 (strict scorer), per field, line items (description and amount) and
   tax rows (rate and tax).
2. Synthetic invoices of a seed nobody tuned on (default 9001), as text-layer
   PDFs and (fewer, OCR is slow) as 200 dpi page images.
3. Speed: a one-page text-layer invoice end to end with the model loaded
   (median of N runs after a warm-up, wall and CPU time), and the OCR CPU of
   scanned A4 pages against SROIE receipts, per megapixel and per character,
   with the default engine (benchmarks/ocr_page_cost.py).

    nice -n 10 .venv/bin/python benchmarks/invoices.py --markdown build/benchmarks/invoices.md

OCR goes through the shared cache (TILLROLL_CACHE_DIR) for the scores, never
for the OCR timing. The load average is printed before and after: other jobs
on the machine stretch wall times, CPU times much less.
"""

from __future__ import annotations

import argparse
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
FORMS = {"shipped": "einvoices", "text": "einvoices-text", "scanned": "einvoices-scanned"}


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def score(spec: str, model: str, limit: int | None = None) -> dict[str, Any]:
    from tillroll.config import PipelineConfig
    from tillroll.evaluate.runner import evaluate_dataset

    t0 = time.perf_counter()
    report = evaluate_dataset(spec, model=model, config=PipelineConfig(model=model), progress=False, limit=limit)
    fields = report.get("fields", {}).get("strict", {})
    return {
        "spec": spec,
        "documents": report["documents"],
        "failed": report["failed"],
        "errors": report["errors"][:5],
        "fields_micro_f1": fields.get("micro", {}).get("f1"),
        "fields_support": sum(v["support"] for v in fields.get("per_field", {}).values()),
        "per_field": {k: (v["f1"], v["support"]) for k, v in fields.get("per_field", {}).items()},
        "line_items_f1": report.get("line_items", {}).get("f1"),
        "line_items_gold": (report["line_items"]["tp"] + report["line_items"]["fn"]) if "line_items" in report else 0,
        "tax_rows_f1": report.get("tax_rows", {}).get("f1"),
        "tax_rows_gold": (report["tax_rows"]["tp"] + report["tax_rows"]["fn"]) if "tax_rows" in report else 0,
        # E-invoices only: the same with the gold amounts the page does not print left unchecked.
        "line_items_printed_f1": report.get("line_items_printed", {}).get("f1"),
        "tax_rows_printed_f1": report.get("tax_rows_printed", {}).get("f1"),
        "line_items_unprinted": report.get("line_items_printed", {}).get("unprinted_gold_amounts"),
        "tax_rows_unprinted": report.get("tax_rows_printed", {}).get("unprinted_gold_amounts"),
        "gold_version": _gold_version(spec),
        "document_type": report.get("document_type"),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _gold_version(spec: str) -> int | None:
    """The e-invoice gold version the scores were taken against (None for other data)."""
    if not spec.startswith("einvoices"):
        return None
    from tillroll.io.datasets.einvoices import GOLD_VERSION

    return GOLD_VERSION


def synth_folder(seed: int, n: int) -> Path:
    """Invoices 0..n-1 of `seed` in both forms, generated once into the cache folder."""
    from tillroll.ocr.cache import default_cache_dir
    from tillroll.synth.invoice.generate import GENERATOR_VERSION, GOLD_VERSION, iter_generate_invoices

    # The gold version too: the same pages with corrected gold must not be read from an old folder.
    folder = default_cache_dir() / "synth-invoices" / f"v{GENERATOR_VERSION}.{GOLD_VERSION}-s{seed}-n{n}"
    if not (folder / "pdf").is_dir() or len(list((folder / "pdf").glob("*.json"))) < n:
        for _ in iter_generate_invoices(n, "all", seed, folder, form="both"):
            pass
    return folder


def one_page_timing(paths: list[Path], runs: int) -> list[dict[str, Any]]:
    """End-to-end `tillroll extract` time of each one-page PDF, model loaded, median of `runs`."""
    from tillroll.cli.extract import build_pipeline
    from tillroll.config import PipelineConfig

    pipeline = build_pipeline(PipelineConfig())
    out = []
    for path in paths:
        pipeline.process(str(path), name=path.name)  # warm-up: models load lazily
        walls, cpus = [], []
        for _ in range(runs):
            c0, w0 = time.process_time(), time.perf_counter()
            doc = pipeline.process(str(path), name=path.name)
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
        out.append(
            {
                "file": path.name,
                "pages": len(doc.pages),
                "text_source": sorted({p.text_source for p in doc.pages}),
                "runs": runs,
                "wall_median_ms": round(statistics.median(walls) * 1000, 1),
                "cpu_median_ms": round(statistics.median(cpus) * 1000, 1),
                "wall_min_ms": round(min(walls) * 1000, 1),
                "stage_ms": {k: round(v, 1) for k, v in doc.timings_ms.items()},
            }
        )
    return out


def markdown(res: dict[str, Any]) -> str:
    lines = [
        f"Command: `{res['command']}`; {res['date']}; {res['machine']}; model `{res['model']}`, OCR `{res['ocr_engine']}`; "
        f"load average {res['load_before']} before, {res['load_after']} after (other jobs were running on the machine).",
        *(
            f"E-invoice gold version {v} (tillroll.io.datasets.einvoices.GOLD_VERSION)."
            for v in sorted({r["gold_version"] for r in res["scores"] if r.get("gold_version")})
        ),
    ]
    if res["scores"]:
        lines += [
            "",
            "| data | form | docs (failed) | field micro F1 (support) | line items F1 (gold) | tax rows F1 (gold) | "
            "gold amounts printed nowhere (items / tax rows) | line items / tax rows F1 with those unchecked |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
        ]
    for row in res["scores"]:
        printed, unprinted = "-", "-"
        if row.get("line_items_printed_f1") is not None:
            printed = f"{_f(row['line_items_printed_f1'])} / {_f(row['tax_rows_printed_f1'])}"
            unprinted = f"{row.get('line_items_unprinted', '-')} / {row.get('tax_rows_unprinted', '-')}"
        lines.append(
            f"| {row['name']} | {row['form']} | {row['documents']} ({row['failed']}) | {_f(row['fields_micro_f1'])} ({row['fields_support']}) | "
            f"{_f(row['line_items_f1'])} ({row['line_items_gold']}) | {_f(row['tax_rows_f1'])} ({row['tax_rows_gold']}) | {unprinted} | {printed} |"
        )
    names = sorted({k for row in res["scores"] for k in row["per_field"]})
    if names:
        lines += [
            "",
            "Per field (strict F1):",
            "",
            "| field | " + " | ".join(f"{r['name']} {r['form']}" for r in res["scores"]) + " |",
            "|---|" + "---:|" * len(res["scores"]),
        ]
        for name in names:
            cells = []
            for r in res["scores"]:
                f1, support = r["per_field"].get(name, (None, 0))
                cells.append(f"{_f(f1)} ({support})" if support else "-")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if res.get("timing"):
        lines += ["", "| one-page text-layer invoice | runs | median wall ms | median CPU ms | fastest ms |", "|---|---:|---:|---:|---:|"]
        for t in res["timing"]:
            lines.append(f"| {t['file']} | {t['runs']} | {t['wall_median_ms']} | {t['cpu_median_ms']} | {t['wall_min_ms']} |")
    if res.get("ocr"):
        from ocr_page_cost import markdown as ocr_markdown

        lines += ["", ocr_markdown(res["ocr"]).rstrip("\n")]
    return "\n".join(lines) + "\n"


def main() -> None:
    from tillroll.config import DEFAULT_ENGINE

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATASETS / "einvoices")
    ap.add_argument("--forms", default="shipped,text,scanned")
    ap.add_argument("--model", default="joint", help="the model `tillroll extract` uses by default")
    ap.add_argument("--synth-seed", type=int, default=9001, help="a seed never used for tuning")
    ap.add_argument("--synth-n", type=int, default=60)
    ap.add_argument("--synth-image-n", type=int, default=20, help="how many of them to score as page images (OCR)")
    ap.add_argument("--timing-runs", type=int, default=25)
    ap.add_argument("--ocr-images", type=int, default=4, help="invoice pages and receipts each for the OCR cost (benchmarks/ocr_page_cost.py)")
    ap.add_argument("--ocr-runs", type=int, default=1)
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: einvoices, synth, timing, ocr")
    ap.add_argument("--markdown", type=Path, default=REPO / "build" / "benchmarks" / "invoices.md")
    ap.add_argument("--json", type=Path, default=REPO / "build" / "benchmarks" / "invoices.json")
    args = ap.parse_args()
    os.environ.setdefault("TILLROLL_CACHE_DIR", str(REPO / ".cache"))
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    res: dict[str, Any] = {
        "command": " ".join(["python", *sys.argv]),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": describe_machine(),
        "model": args.model,
        "ocr_engine": DEFAULT_ENGINE,
        "load_before": round(os.getloadavg()[0], 2),
        "scores": [],
    }

    def note(row: dict[str, Any]) -> None:
        print(json.dumps({k: v for k, v in row.items() if k != "per_field"}), file=sys.stderr, flush=True)

    if "einvoices" not in skip:
        for form in [f.strip() for f in args.forms.split(",") if f.strip()]:
            row = score(f"{FORMS[form]}:{args.data}", args.model)
            row.update(name="e-invoices", form=form)
            res["scores"].append(row)
            note(row)
    if "synth" not in skip:
        folder = synth_folder(args.synth_seed, args.synth_n)
        row = score(f"synth:{folder / 'pdf'}", args.model)
        row.update(name=f"synthetic (seed {args.synth_seed})", form="text-layer PDF")
        res["scores"].append(row)
        note(row)
        if args.synth_image_n:
            row = score(f"synth:{folder / 'image'}", args.model, limit=args.synth_image_n)
            row.update(name=f"synthetic (seed {args.synth_seed})", form="200 dpi images")
            res["scores"].append(row)
            note(row)
    if "timing" not in skip:
        from tillroll.io.datasets.einvoices import form_path

        one_page = []
        sample = REPO / "samples" / "invoice-de.pdf"
        if sample.is_file():
            one_page.append(sample)
        gt = [json.loads(line) for line in (args.data / "gt.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
        first = next(r["id"] for r in sorted(gt, key=lambda r: r["id"]) if r.get("pages") == 1 and "Mustang" in r["id"])
        one_page.append(form_path(args.data / "pdf" / f"{first}.pdf", "text"))
        res["timing"] = one_page_timing(one_page, args.timing_runs)
        print(json.dumps(res["timing"]), file=sys.stderr, flush=True)
    if "ocr" not in skip:
        from ocr_page_cost import page_vs_receipts

        res["ocr"] = page_vs_receipts(args.data, DATASETS / "sroie" / "train", args.ocr_images, args.ocr_images, runs=args.ocr_runs)
    res["load_after"] = round(os.getloadavg()[0], 2)
    text = markdown(res)
    for path, content in ((args.markdown, text), (args.json, json.dumps(res, indent=1, ensure_ascii=False) + "\n")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
