"""How well and how fast each OCR engine reads SROIE receipts through tillroll's own pipeline.

For each engine, in a fresh process (so peak memory is that engine's own):
load every receipt with `tillroll.io.load` and run the OCR stage, with NO OCR
cache (time is what we measure), on the first N receipts of the SROIE dev split
(`tillroll.io.splits`, ids in sorted order).

CER (character error rate) = Levenshtein distance / length of the reference,
summed over all receipts (micro average). The headline CER compares the texts
upper-cased and without spaces: SROIE's transcriptions are all capitals
whatever the receipt prints, and its spacing is inconsistent ("TEL : 07" for a
printed "TEL:07"), so neither is an OCR error. Two stricter variants are
reported beside it: spaces kept (runs of whitespace become one space), and
spaces and case kept. Characters the ground truth leaves out (SROIE skips
Chinese text) count against the engine. Both texts are put in reading order by
the same rule: the ground-truth line boxes of
`box/<id>.txt` and the OCR words are each grouped into printed lines with
`tillroll.ocr.lines.group_lines` and read top to bottom, left to right. Using
one rule for both keeps reading-order quirks out of the score.

    .venv/bin/python benchmarks/ocr_engines.py --n 50 --write-docs

Times are seconds of load + OCR per receipt (engine already built), median over
receipts: wall-clock, and CPU (user + system, of this process and of the
tesseract processes it runs). CPU seconds stay meaningful when other jobs share
the machine, wall-clock does not. Peak RSS is the process's maximum resident
memory (Tesseract's own short-lived processes are not included).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SROIE = Path(os.environ.get("TILLROLL_DATASETS", REPO.parent / "shared" / "datasets")) / "sroie" / "train"
SECTION = "## OCR engines (walking skeleton)"


def normalise(text: str) -> str:
    return " ".join(text.split())


# SROIE's transcribers skipped Chinese text (a line of it becomes "***" or is
# left out), so CJK characters an engine reads correctly still count as errors
# in the plain CER; the "CJK removed" column drops them from the engine's text.
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def strip_cjk(text: str) -> str:
    return _CJK.sub("", text)


def reading_order_text(items: list[tuple[str, tuple[float, float, float, float]]]) -> str:
    """Text of (text, box) items grouped into lines, top to bottom, one space between everything."""
    from tillroll.document import Word
    from tillroll.ocr.lines import group_lines

    words = [Word(id=i, page=0, text=t, box=b) for i, (t, b) in enumerate(items) if t.strip()]
    return normalise(" ".join(" ".join(w.text for w in line) for line in group_lines(words)))


def dev_ids(root: Path, n: int) -> list[str]:
    from tillroll.io.splits import split_of

    ids = sorted(p.stem for p in (root / "images").glob("*.jpg") if (root / "box" / f"{p.stem}.txt").exists())
    return [i for i in ids if split_of(i) == "dev"][:n]


def _cpu_seconds() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # tesseract runs as a child process
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def run_engine(engine: str, root: Path, ids: list[str], cached: bool = False) -> dict[str, object]:
    """Runs inside the child process: read every receipt, score it, report.

    `cached` reads OCR through the shared OCR cache (TILLROLL_CACHE_DIR): the
    same words as a fresh run, for re-scoring without re-reading; its times are
    then meaningless and reported as such.
    """
    from rapidfuzz.distance import Levenshtein

    from tillroll.config import PipelineConfig
    from tillroll.io.datasets.sroie import read_box_file
    from tillroll.pipeline import Pipeline

    config = PipelineConfig(ocr=engine)
    t0 = time.perf_counter()
    pipeline = Pipeline(config, stages=None)
    pipeline.stages = [s for s in pipeline.stages if s.name == "ocr"]  # load + OCR only
    if cached:
        from tillroll.ocr.base import get_engine
        from tillroll.ocr.cache import CachedEngine
        from tillroll.ocr.stage import OcrStage

        pipeline.stages = [OcrStage(config, engine=CachedEngine(get_engine(engine)))]
    build_s = time.perf_counter() - t0
    seconds, cpu_seconds, per_receipt = [], [], []
    distances = spaced_distances = cased_distances = cjk_distances = lengths = spaced_lengths = 0
    for doc_id in ids:
        image = root / "images" / f"{doc_id}.jpg"
        t, c = time.perf_counter(), _cpu_seconds()
        doc = pipeline.process(image)
        seconds.append(time.perf_counter() - t)
        cpu_seconds.append(_cpu_seconds() - c)
        hypothesis = reading_order_text([(w.text, w.box) for w in doc.words])
        reference = reading_order_text(read_box_file(root / "box" / f"{doc_id}.txt"))
        squeezed_ref = reference.upper().replace(" ", "")
        d = Levenshtein.distance(hypothesis.upper().replace(" ", ""), squeezed_ref)
        distances += d
        cjk_distances += Levenshtein.distance(strip_cjk(hypothesis).upper().replace(" ", ""), squeezed_ref)
        lengths += len(squeezed_ref)
        spaced_distances += Levenshtein.distance(hypothesis.upper(), reference.upper())
        cased_distances += Levenshtein.distance(hypothesis, reference)
        spaced_lengths += len(reference)
        per_receipt.append(d / max(1, len(squeezed_ref)))
        print(
            f"  {engine} {len(seconds)}/{len(ids)} {doc_id}: {seconds[-1]:.1f} s wall, {cpu_seconds[-1]:.1f} s CPU, CER {per_receipt[-1]:.3f}",
            file=sys.stderr,
            flush=True,
        )
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "engine": engine,
        "receipts": len(ids),
        "cer": distances / max(1, lengths),
        "cer_median_receipt": statistics.median(per_receipt),
        "cer_no_cjk": cjk_distances / max(1, lengths),
        "cer_spaced": spaced_distances / max(1, spaced_lengths),
        "cached": cached,
        "cer_cased": cased_distances / max(1, spaced_lengths),
        "median_s": statistics.median(seconds),
        "mean_s": statistics.fmean(seconds),
        "median_cpu_s": statistics.median(cpu_seconds),
        "build_s": build_s,
        "peak_rss_mib": peak_kib / 1024,
    }


def table(results: list[dict[str, object]]) -> str:
    """Markdown table; "n/m" marks a value that run did not measure (cached runs have no timings)."""

    def pct(r: dict[str, object], key: str) -> str:
        return f"{100 * float(r[key]):.1f} %" if key in r else "n/m"  # type: ignore[arg-type]

    def num(r: dict[str, object], key: str, digits: int) -> str:
        return "n/m" if r.get("cached") or key not in r else f"{float(r[key]):.{digits}f}"  # type: ignore[arg-type]

    rows = [
        "| engine | receipts | CER | CER, CJK removed | median CER per receipt | CER, spaces kept | CER, spaces and case kept "
        "| median s / receipt (wall) | mean s / receipt (wall) | median CPU s / receipt | engine start-up s | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rows.append(
            f"| {r['engine']}{' (cached OCR)' if r.get('cached') else ''} | {r['receipts']} | {pct(r, 'cer')} | {pct(r, 'cer_no_cjk')} "
            f"| {pct(r, 'cer_median_receipt')} | {pct(r, 'cer_spaced')} | {pct(r, 'cer_cased')} | {num(r, 'median_s', 2)} "
            f"| {num(r, 'mean_s', 2)} | {num(r, 'median_cpu_s', 2)} | {num(r, 'build_s', 1)} | {num(r, 'peak_rss_mib', 0)} |"
        )
    return "\n".join(rows)


def write_docs(markdown: str, path: Path) -> None:
    """Replace the body of this benchmark's section of docs/benchmarks.md (other sections untouched)."""
    text = path.read_text(encoding="utf-8")
    start = text.index(SECTION) + len(SECTION)
    nxt = text.find("\n## ", start)
    end = len(text) if nxt == -1 else nxt
    path.write_text(text[:start] + "\n\n" + markdown.strip() + "\n" + text[end:], encoding="utf-8")


def docs_body(results: list[dict[str, object]], n: int, n_receipts: int, note: str = "", when: str | None = None) -> str:
    """The markdown written into this benchmark's section of docs/benchmarks.md."""
    md = table(results)
    cpu = platform.processor() or platform.machine()
    body = (
        "Command: `.venv/bin/python benchmarks/ocr_engines.py --n "
        f"{n} --write-docs`\n\n"
        f"Machine: 2-core x86-64 VM, 24 GiB RAM, no GPU ({cpu}); date: {when or date.today().isoformat()}; "
        f"Python {platform.python_version()}.\n\n"
        f"Data: the first {n_receipts} receipts (sorted ids) of the SROIE dev split (`tillroll.io.splits`), "
        "loaded with `tillroll.io.load` (no preprocessing) and read by each engine with no OCR cache.\n\n"
        + md
        + "\n\nCER = Levenshtein distance / reference length, summed over all receipts (rapidfuzz). Headline CER: "
        "upper-cased, spaces removed (SROIE transcribes everything in capitals and spaces inconsistently); the two "
        "stricter columns keep single spaces, and spaces and case. Reference = the ground-truth lines of "
        "`box/<id>.txt`; both texts put in reading order by `tillroll.ocr.lines.group_lines`; text the ground truth "
        "omits (Chinese lines) counts as engine error. Time = load + OCR per receipt, engine already built: wall-clock, "
        "and CPU seconds (user + system, including Tesseract's child processes), which other jobs on the machine "
        "disturb much less. Peak RSS = the engine's own Python process. rapidocr uses onnxruntime's default threads; Tesseract runs with "
        "`OMP_THREAD_LIMIT=1` and `--psm 6`." + (f"\n\n{note}" if note else "")
    )
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description="CER, time and memory of each OCR engine on SROIE dev receipts.")
    parser.add_argument("--sroie", type=Path, default=DEFAULT_SROIE, help="SROIE folder with images/ and box/")
    parser.add_argument("--n", type=int, default=50, help="receipts (first N dev ids in sorted order)")
    parser.add_argument("--engines", nargs="+", default=["rapidocr", "tesseract"])
    parser.add_argument("--write-docs", action="store_true", help="write the table into docs/benchmarks.md")
    parser.add_argument("--note", default="", help="extra sentence for the docs (e.g. other jobs sharing the CPU)")
    parser.add_argument("--cached", action="store_true", help="read OCR through the shared OCR cache (re-scoring only: no timings)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if not (args.sroie / "images").is_dir():
        sys.exit(f"SROIE not found at {args.sroie}; pass --sroie DIR (the folder with images/ and box/)")
    ids = dev_ids(args.sroie, args.n)
    if args.child:
        print(json.dumps(run_engine(args.child, args.sroie, ids, cached=args.cached)))
        return

    results = []
    for engine in args.engines:
        env = dict(os.environ)
        if not args.cached:
            env.pop("TILLROLL_CACHE_DIR", None)  # timed runs never touch the cache
        cmd = [sys.executable, __file__, "--child", engine, "--sroie", str(args.sroie), "--n", str(args.n)]
        if args.cached:
            cmd.append("--cached")
        print(f"running {engine} on {len(ids)} receipts ...", file=sys.stderr, flush=True)
        out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=False)  # progress on stderr
        if out.returncode != 0:
            sys.exit(f"{engine} failed (exit {out.returncode})")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps(result), file=sys.stderr, flush=True)
        results.append(result)

    md = table(results)
    print(md)
    if args.write_docs:
        body = docs_body(results, args.n, len(ids), args.note)
        write_docs(body, REPO / "docs" / "benchmarks.md")
        print("wrote docs/benchmarks.md", file=sys.stderr)


if __name__ == "__main__":
    main()
