"""How often the page and the embedded XML agree, field by field, over ../shared/datasets/einvoices.

Runs the full `tillroll extract` pipeline (text layer, classifier, rules, invoice reader, then the
e-invoice reading and cross-check) on each of the 41 PDFs and counts, per field, the cross-checks
that passed and failed. A failure is either a page misread by the visual reader or a real
disagreement in the file (one sample carries another invoice's XML); the per-document lines say which.

    .venv/bin/python benchmarks/einvoice_crosscheck.py [--datasets ../shared/datasets]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "datasets")
    args = parser.parse_args()
    pdfs = sorted((args.datasets / "einvoices" / "pdf").glob("*.pdf"))
    if not pdfs:
        raise SystemExit(f"no PDFs under {args.datasets / 'einvoices' / 'pdf'}")

    from tillroll.config import PipelineConfig
    from tillroll.einvoice.crosscheck import failed_fields
    from tillroll.pipeline import Pipeline

    pipeline = Pipeline(PipelineConfig())
    agree: Counter[str] = Counter()
    disagree: Counter[str] = Counter()
    seconds = []
    for pdf in pdfs:
        t0 = time.perf_counter()
        doc = pipeline.process(pdf)
        seconds.append(time.perf_counter() - t0)
        for check in doc.checks:
            if check.name.startswith("crosscheck_"):
                (agree if check.passed else disagree)[check.name.removeprefix("crosscheck_")] += 1
        print(f"{pdf.stem}: failed {failed_fields(doc) or 'none'}", flush=True)
    print(f"\ndocuments: {len(pdfs)}; extract with cross-check: median {statistics.median(seconds):.2f} s per document")
    total_agree, total_disagree = sum(agree.values()), sum(disagree.values())
    print(f"comparisons: {total_agree + total_disagree}, agree {total_agree}, disagree {total_disagree}")
    print("| field | agree | disagree |\n|---|---|---|")
    for name in sorted(set(agree) | set(disagree)):
        print(f"| {name} | {agree[name]} | {disagree[name]} |")


if __name__ == "__main__":
    main()
