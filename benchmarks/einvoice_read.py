"""Time reading the embedded XML invoice of each PDF in ../shared/datasets/einvoices.

Measures what `tillroll.einvoice.read.read_embedded` does per document: list the PDF's
attachments, parse the XML, validate it against its XSD (schemas compiled once per
process, so the first document also pays for compiling; reported separately) and map
it to a schema-v1 Document. The page extraction that the cross-check adds is not part
of it (it is the ordinary pipeline, timed by `tillroll extract`).

    .venv/bin/python benchmarks/einvoice_read.py [--repeat 5] [--datasets ../shared/datasets]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "datasets")
    parser.add_argument("--repeat", type=int, default=5, help="passes over the 41 PDFs; each document's median is taken")
    args = parser.parse_args()
    pdfs = sorted((args.datasets / "einvoices" / "pdf").glob("*.pdf"))
    if not pdfs:
        raise SystemExit(f"no PDFs under {args.datasets / 'einvoices' / 'pdf'}")
    blobs = [p.read_bytes() for p in pdfs]

    from tillroll.einvoice.read import read_embedded

    t0 = time.perf_counter()
    read_embedded(blobs[0])
    first_ms = (time.perf_counter() - t0) * 1000
    per_doc: list[list[float]] = [[] for _ in blobs]
    for _ in range(args.repeat):
        for i, data in enumerate(blobs):
            t = time.perf_counter()
            result, _problems = read_embedded(data)
            per_doc[i].append((time.perf_counter() - t) * 1000)
            assert result is not None, pdfs[i].name
    medians = sorted(statistics.median(times) for times in per_doc)
    print(f"documents: {len(blobs)}, passes: {args.repeat}")
    print(f"first document (compiles the XSD): {first_ms:.1f} ms")
    print(f"per document median: {statistics.median(medians):.1f} ms, p90: {medians[int(0.9 * (len(medians) - 1))]:.1f} ms, max: {medians[-1]:.1f} ms")


if __name__ == "__main__":
    main()
