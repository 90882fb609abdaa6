"""The paper's ablation (Tables 2 and 3) on the dev splits: each classifier variant alone and joined with the rules.

For every model folder given (e.g. RW = real data, SA = synthetic only, MX =
mixed) and every dataset spec, runs `tillroll.evaluate.runner.evaluate_dataset`
with `--model neural` (classifier, then field assembly) and `--model joint`
(classifier, then the rules of paper section 6), from images with the default
OCR (read through the OCR cache), and prints Markdown tables: word-level
micro/macro/weighted F1, per-label F1, SROIE 4-field and WildReceipt field scores.

    TILLROLL_CACHE_DIR=.cache python benchmarks/neural_variants.py \
        --variant RW=runs/rw --variant SA=runs/sa --variant MX=runs/mx \
        --data sroie:../shared/datasets/sroie/train:dev --data wildreceipt:../shared/datasets/wildreceipt:dev \
        --out runs/eval --rules
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tillroll.labels import LABELS


def run_one(spec: str, model: str, model_dir: Path | None, limit: int | None = None) -> dict[str, Any]:
    from tillroll.config import PipelineConfig
    from tillroll.evaluate.runner import evaluate_dataset

    config = PipelineConfig(model=model, model_dir=model_dir)
    return evaluate_dataset(spec, model=model, ocr="rapidocr", config=config, progress=False, limit=limit)


def _f(x: Any) -> str:
    return "–" if x is None else f"{x:.3f}"


def dataset_name(spec: str) -> str:
    return spec.split(":", 1)[0]


def summary_row(name: str, report: dict[str, Any]) -> dict[str, Any]:
    words = report.get("words", {})
    averages = words.get("averages", words)
    row = {
        "name": name,
        "dataset": report.get("dataset_kind"),
        "documents": report.get("documents"),
        "failed": report.get("failed"),
        "micro": averages.get("micro", {}).get("f1"),
        "macro": averages.get("macro", {}).get("f1"),
        "weighted": averages.get("weighted", {}).get("f1"),
        "per_label": {label: (words.get("per_label", {}).get(label) or {}).get("f1") for label in LABELS},
        "support": {label: (words.get("per_label", {}).get(label) or {}).get("support") for label in LABELS},
    }
    fields = report.get("fields", {})
    row["fields_micro_exact"] = ((fields.get("exact") or {}).get("micro") or {}).get("f1")
    row["fields_micro_lenient"] = ((fields.get("lenient") or {}).get("micro") or {}).get("f1")
    sroie = report.get("sroie") or {}
    row["sroie_micro"] = (sroie.get("micro") or {}).get("f1")
    row["timings_ms_mean"] = report.get("timings_ms_mean")
    return row


def markdown(rows: list[dict[str, Any]]) -> str:
    out = []
    for dataset in sorted({r["dataset"] for r in rows}):
        part = [r for r in rows if r["dataset"] == dataset]
        out.append(f"**{dataset} dev** ({part[0]['documents']} receipts)\n")
        out.append(
            "| model | word micro F1 | word macro F1 | word weighted F1 | fields micro F1 (exact) | fields micro F1 (lenient) |"
            + (" SROIE 4-field micro F1 |" if dataset == "sroie" else "")
        )
        out.append("|---|---|---|---|---|---|" + ("---|" if dataset == "sroie" else ""))
        for r in part:
            line = (
                f"| {r['name']} | {_f(r['micro'])} | {_f(r['macro'])} | {_f(r['weighted'])} | {_f(r['fields_micro_exact'])} | {_f(r['fields_micro_lenient'])} |"
            )
            if dataset == "sroie":
                line += f" {_f(r['sroie_micro'])} |"
            out.append(line)
        out.append("")
        present = [label for label in LABELS if any(r["per_label"].get(label) is not None and (r["support"].get(label) or 0) > 0 for r in part)]
        out.append(f"Per-label word F1, {dataset} dev:\n")
        out.append("| model | " + " | ".join(present) + " |")
        out.append("|---|" + "---|" * len(present))
        for r in part:
            out.append(f"| {r['name']} | " + " | ".join(_f(r["per_label"].get(label)) for label in present) + " |")
        out.append("")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variant", action="append", default=[], help="NAME=MODEL_DIR (repeatable)")
    ap.add_argument("--data", action="append", required=True, help="dataset spec (repeatable; use dev splits)")
    ap.add_argument("--modes", default="neural,joint", help="which pipelines to run per variant")
    ap.add_argument("--rules", action="store_true", help="also score the rules-only model as a baseline")
    ap.add_argument("--out", type=Path, required=True, help="folder for the JSON reports and tables.md")
    ap.add_argument("--limit", type=int, default=None, help="score only the first N receipts of each dataset (stable order)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    runs: list[tuple[str, str, Path | None]] = []
    if args.rules:
        runs.append(("rules only", "rules", None))
    for item in args.variant:
        name, _, folder = item.partition("=")
        for mode in args.modes.split(","):
            runs.append((f"{name}" + (" + rules" if mode == "joint" else ""), mode, Path(folder)))
    rows = []
    for spec in args.data:
        for name, mode, folder in runs:
            report_path = args.out / f"{dataset_name(spec)}__{name.replace(' ', '_').replace('+', 'plus')}.json"
            if report_path.exists():
                report = json.loads(report_path.read_text())  # resume: each report is written once
            else:
                report = run_one(spec, mode, folder, args.limit)
                report.pop("per_document", None)
                report["model_dir"] = str(folder) if folder else None
                report_path.write_text(json.dumps(report, indent=1), encoding="utf-8")
            rows.append(summary_row(name, report))
            print(json.dumps({k: rows[-1][k] for k in ("name", "dataset", "micro", "macro", "weighted", "fields_micro_exact", "sroie_micro")}), flush=True)
    (args.out / "rows.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    table = markdown(rows)
    (args.out / "tables.md").write_text(table, encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
