"""Evaluation output: report.json and plots, and the Markdown tables of evaluations, OCR benchmarks, alignment and comparisons."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..labels import LABELS
from . import metrics


def write_report(report: dict[str, Any], report_dir: str | Path, plots: bool = True) -> list[Path]:
    """Write `report.json` (and, for evaluations, the confusion-matrix and per-label F1 plots)."""
    out = Path(report_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "report.json"]
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    if plots and "words" in report:
        conf = report["words"]["confusion"]
        labels_report = metrics.LabelReport(tuple(conf["labels"]), conf["matrix"])
        title = f"{report['model']} / OCR {report['ocr']} on {report['dataset_kind']}: confusion (rows gold, normalised)"
        written.append(labels_report.plot_confusion(out / "confusion.png", title=title))
        (out / "confusion.txt").write_text(labels_report.confusion_text() + "\n", encoding="utf-8")
        written.append(out / "confusion.txt")
        written.append(_plot_per_label(report, out / "per_label_f1.png"))
    return written


def _plot_per_label(report: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per = {k: v for k, v in report["words"]["per_label"].items() if v["support"] or v["fp"]}
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(per) + 1.2))
    names = list(per)
    ax.barh(names, [per[n]["f1"] for n in names], color="#3a7ab8")
    for i, n in enumerate(names):
        ax.text(per[n]["f1"] + 0.01, i, f"{per[n]['f1']:.3f} ({per[n]['support']})", va="center", fontsize=8)
    ax.set_xlim(0, 1.15)
    ax.invert_yaxis()
    ax.set_xlabel("F1 (support)")
    ax.set_title(f"{report['model']} / OCR {report['ocr']} on {report['dataset_kind']}: per-label F1", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def evaluation_markdown(report: dict[str, Any]) -> str:
    """Markdown tables of an evaluation report (for docs/benchmarks.md)."""
    lines = [
        f"`{report['model']}` model, OCR `{report['ocr']}`, {report['documents']} documents of `{report['dataset_kind']}`"
        + (" (word labels from the annotation: a perfect classifier)" if report.get("labels") == "gold" else "")
        + (f" ({report['failed']} failed)" if report["failed"] else "")
        + ".",
        "",
    ]
    if "words" in report:
        w = report["words"]
        av = w["averages"]
        lines += [
            "| words | accuracy | F1 micro | F1 micro (no misc) | F1 macro | F1 weighted |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {w['words']} | {_f(w['accuracy'])} | {_f(av['micro']['f1'])} | {_f(av['micro_no_misc']['f1'])} | {_f(av['macro']['f1'])} | {_f(av['weighted']['f1'])} |",
            "",
            "| label | support | precision | recall | F1 |",
            "|---|---:|---:|---:|---:|",
        ]
        for label, s in w["per_label"].items():
            if s["support"] or s["fp"]:
                lines.append(f"| {label} | {s['support']} | {_f(s['precision'])} | {_f(s['recall'])} | {_f(s['f1'])} |")
        lines.append("")
    fields = report.get("fields")
    if fields and fields["exact"]["per_field"]:
        misses = fields.get("misses", {})
        strict_fields = fields.get("strict", {"per_field": {}, "micro": {}})
        lines += ["| field | support | F1 exact | F1 strict | F1 lenient | gold missed | of which not in OCR text |", "|---|---:|---:|---:|---:|---:|---:|"]
        for name, s in fields["exact"]["per_field"].items():
            lenient = fields["lenient"]["per_field"].get(name, {})
            strict = strict_fields["per_field"].get(name, {})
            miss = misses.get(name, {"missed": 0, "not_in_ocr_text": 0})
            lines.append(
                f"| {name} | {s['support']} | {_f(s['f1'])} | {_f(strict.get('f1'))} | {_f(lenient.get('f1'))} | {miss['missed']} | {miss['not_in_ocr_text']} |"
            )
        total_missed = sum(m["missed"] for m in misses.values())
        total_absent = sum(m["not_in_ocr_text"] for m in misses.values())
        lines.append(
            f"| **all fields (micro)** | | {_f(fields['exact']['micro']['f1'])} | {_f(strict_fields['micro'].get('f1'))} | {_f(fields['lenient']['micro']['f1'])} | {total_missed} | {total_absent} |"
        )
        lines.append("")
    if "sroie" in report:
        s = report["sroie"]
        cells = " | ".join(_f(v["f1"]) for v in s["per_entity"].values())
        lines += [
            "| SROIE F1 | " + " | ".join(s["per_entity"]) + " | micro |",
            "|---|" + "---:|" * (len(s["per_entity"]) + 1),
            f"| | {cells} | {_f(s['micro']['f1'])} |",
            "",
        ]
    if "line_items" in report:
        li = report["line_items"]
        lines += [f"Line items: precision {_f(li['precision'])}, recall {_f(li['recall'])}, F1 {_f(li['f1'])} ({li['tp'] + li['fn']} gold items).", ""]
    if "tax_rows" in report:
        tr = report["tax_rows"]
        lines += [
            f"Tax rows (rate and tax): precision {_f(tr['precision'])}, recall {_f(tr['recall'])}, F1 {_f(tr['f1'])} ({tr['tp'] + tr['fn']} gold rows).",
            "",
        ]
    for key, what in (("line_items_printed", "Line items"), ("tax_rows_printed", "Tax rows")):
        if key in report:
            pr = report[key]
            lines += [
                f"{what}, gold amounts the page does not print ({pr.get('unprinted_gold_amounts', '?')} of them) unchecked: "
                f"precision {_f(pr['precision'])}, recall {_f(pr['recall'])}, F1 {_f(pr['f1'])}.",
                "",
            ]
    if "document_type" in report:
        dt = report["document_type"]
        lines += [f"Document type: {dt['correct']}/{dt['of']} right ({_f(dt['accuracy'])}).", ""]
    if "key_values" in report:
        kv = report["key_values"]
        lines += [f"Key-value pairs: precision {_f(kv['precision'])}, recall {_f(kv['recall'])}, F1 {_f(kv['f1'])} ({kv['tp'] + kv['fn']} gold pairs).", ""]
    if "funsd" in report:
        fu = report["funsd"]
        ent, link = fu["entities"], fu["links"]
        lines += [
            f"Forms (key-values from the {fu['key_values_from']}): entity F1 {_f(ent['micro']['f1'])} "
            f"(header {_f(ent['per_type']['header']['f1'])}, question {_f(ent['per_type']['question']['f1'])}, answer {_f(ent['per_type']['answer']['f1'])}); "
            f"link precision {_f(link['precision'])}, recall {_f(link['recall'])}, F1 {_f(link['f1'])} ({link['gold']} gold links).",
            "",
        ]
    if report.get("timings_ms_mean"):
        cached = (
            " (ocr: reading the OCR cache or the gold words, not running an engine)"
            if report["ocr"] == "gold" or report.get("ocr_cache", {}).get("hits")
            else ""
        )
        lines += ["Mean stage times (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in report["timings_ms_mean"].items()) + cached + ".", ""]
    return "\n".join(lines)


def ocr_markdown(report: dict[str, Any]) -> str:
    """Paper Table 1's shape for each engine, with the page CER and CPU time beside it."""
    head = "| engine | Avg. Lev. ↓ | CER ↓ | WER ↓ | Char. acc. ↑ | Word acc. ↑ | Macro prec. ↑ | Macro recall ↑ | Macro F1 ↑ | page CER ↓ | wall s/image | CPU s/image |"
    lines = [head, "|---|" + "---:|" * 11]
    for name, r in report["engines"].items():
        speed = "-" if r["seconds_per_image"] is None else f"{r['seconds_per_image']:.2f}"
        cpu = "-" if r.get("cpu_seconds_per_image") is None else f"{r['cpu_seconds_per_image']:.2f}"
        page = "-" if r.get("page_cer") is None else f"{r['page_cer'] * 100:.1f} %"
        lines.append(
            f"| {name} | {r['avg_levenshtein']:.4f} | {r['cer']:.4f} | {r['wer']:.4f} | {r['char_accuracy']:.4f} | {r['word_accuracy']:.4f} | "
            f"{r['macro_precision']:.4f} | {r['macro_recall']:.4f} | {r['macro_f1']:.4f} | {page} | {speed} | {cpu} |"
        )
    notes = [
        f"{name}: {r['speed_from']}" + (f", {r['threads']} threads" if r.get("threads") else "") for name, r in report["engines"].items() if r.get("speed_from")
    ]
    if notes:
        lines += ["", f"{report['documents']} receipts. Times: " + "; ".join(notes) + "."]
    return "\n".join(lines) + "\n"


def _dataset_name(spec: str) -> str:
    from ..io.datasets import parse_spec

    kind, _, split = parse_spec(spec)
    return f"{kind} {split}"


def alignment_markdown(reports: Iterable[dict[str, Any]]) -> str:
    lines = [
        "| dataset | words | entities located | company | address | date | total | annotated words transferred |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in reports:
        loc = r.get("entity_location")
        per = loc["per_entity"] if loc else {}

        def cell(k: str, per: dict[str, Any] = per) -> str:
            return f"{per[k]['rate'] * 100:.1f} %" if k in per and per[k]["rate"] is not None else "-"

        located = f"{loc['located']}/{loc['of']} = {loc['rate'] * 100:.1f} %" if loc else "-"
        tr = r["transfer"]
        transferred = f"{tr['rate'] * 100:.1f} %" if tr.get("rate") is not None else "-"
        lines.append(
            f"| {_dataset_name(r['dataset'])} ({r['documents']} docs) | {r['ocr']} | {located} | {cell('company')} | {cell('address')} | {cell('date')} | {cell('total')} | {transferred} |"
        )
    return "\n".join(lines) + "\n"


def comparison_markdown(reports: list[dict[str, Any]], names: list[str] | None = None) -> str:
    """Paper Tables 2 and 3 side by side: averaged F1 per model, then per-label F1 with support.

    `reports` are evaluation reports of the same dataset (e.g. rules, neural,
    joint); columns are named by `names` or "model/ocr".
    """
    scored = [r for r in reports if "words" in r]
    if not scored:
        return "No word-level scores in these reports.\n"
    names = names or [f"{r['model']}/{r['ocr']}" for r in scored]
    lines = ["| average | " + " | ".join(names) + " |", "|---|" + "---:|" * len(scored)]
    for avg in ("micro", "micro_no_misc", "macro", "weighted"):
        lines.append(f"| F1 {avg.replace('_', ' ')} | " + " | ".join(_f(r["words"]["averages"][avg]["f1"]) for r in scored) + " |")
    lines += ["", "| label (support) | " + " | ".join(names) + " |", "|---|" + "---:|" * len(scored)]
    for label in LABELS:
        supports = {r["words"]["per_label"][label]["support"] for r in scored}
        if not any(supports) and not any(r["words"]["per_label"][label]["fp"] for r in scored):
            continue
        support = "/".join(str(s) for s in sorted(supports))
        lines.append(f"| {label} ({support}) | " + " | ".join(_f(r["words"]["per_label"][label]["f1"]) for r in scored) + " |")
    if all("fields" in r for r in scored):
        lines += ["", "| fields | " + " | ".join(names) + " |", "|---|" + "---:|" * len(scored)]
        lines.append("| micro F1 exact | " + " | ".join(_f(r["fields"]["exact"]["micro"]["f1"]) for r in scored) + " |")
        if all("strict" in r["fields"] for r in scored):
            lines.append("| micro F1 strict | " + " | ".join(_f(r["fields"]["strict"]["micro"]["f1"]) for r in scored) + " |")
        lines.append("| micro F1 lenient | " + " | ".join(_f(r["fields"]["lenient"]["micro"]["f1"]) for r in scored) + " |")
    if all("line_items" in r for r in scored):
        lines.append("| line items F1 | " + " | ".join(_f(r["line_items"]["f1"]) for r in scored) + " |")
    if all("sroie" in r for r in scored):
        lines.append("| SROIE 4-entity F1 | " + " | ".join(_f(r["sroie"]["micro"]["f1"]) for r in scored) + " |")
    return "\n".join(lines) + "\n"
