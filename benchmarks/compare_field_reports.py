"""Field micro F1 of several `tillroll evaluate` reports on the documents every one of them completed.

A receipt that failed under one configuration (an exception, a refused page)
has no fields in that report, so comparing the reports' own micro F1 mixes
engine differences with failures. This recounts exact and lenient micro F1
from each report's `per_document` records over the documents no report failed.

    python benchmarks/compare_field_reports.py build/eval-legacy/report.json build/eval-new/report.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def micro_f1(documents: dict[str, dict], ids: list[str], mode: str) -> float:
    tp = fp = fn = 0
    for doc_id in ids:
        for field in (documents[doc_id].get("fields") or {}).values():
            if field.get(mode):
                tp += 1
                continue
            fn += bool(field.get("gold"))
            fp += bool(field.get("pred"))
    return 2 * tp / max(1, 2 * tp + fp + fn)


def main(paths: list[str]) -> None:
    reports = {path: {d["id"]: d for d in json.loads(Path(path).read_text())["per_document"]} for path in paths}
    failed = {doc_id for docs in reports.values() for doc_id, d in docs.items() if d.get("error")}
    common = sorted(set.intersection(*(set(docs) for docs in reports.values())) - failed)
    print(f"{len(common)} documents in every report; left out (failed somewhere): {sorted(failed) or 'none'}")
    for path, docs in reports.items():
        print(f"{path}: exact {micro_f1(docs, common, 'exact'):.3f}, lenient {micro_f1(docs, common, 'lenient'):.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
