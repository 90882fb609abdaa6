"""Time the learned key-value step per page, and the peak memory of `tillroll extract` with it.

    python benchmarks/kv_linking.py --split dev --repeats 3 --memory 3

Timing: the FUNSD forms of `--split` (annotation words, as a page of OCR words
would arrive), each page run `--repeats` times through the installed key-value
model; per page the fastest run is kept (other processes on a shared machine
only ever add time), split into the entity tagger (the shipped segment tagger:
join features, trees, grouping, segment features, trees) and the linker (pair
features, trees, link decoding). Wall time and this
process's CPU time are both reported; on a loaded machine CPU time is the
steadier figure.

Memory: `--memory N` runs `tillroll extract` with the key-value model
(`TILLROLL_KV=model`) on the N largest forms of the split, each in a fresh process, and reports its peak resident set size (the
child's own `wait4` rusage).
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
DATA = REPO.parent / "shared" / "datasets" / "funsd" / "train"


def timing(split: str, repeats: int) -> dict[str, object]:
    from tillroll.io.datasets import read_dataset
    from tillroll.models.kv.data import page_from_reference
    from tillroll.models.kv.linker import link_page
    from tillroll.models.kv.model import KvModel

    w0, c0 = time.perf_counter(), time.process_time()
    model = KvModel()
    load = {"wall_ms": round((time.perf_counter() - w0) * 1000, 1), "cpu_ms": round((time.process_time() - c0) * 1000, 1)}
    pages = [page_from_reference(e.id, e.reference) for e in read_dataset(f"funsd:{DATA}:{split}")]
    model.predict_page(pages[0])  # warm-up (an ONNX tagger builds its kernels on the first run)
    rows = []
    for page in pages:
        best: dict[str, float] = {}
        for _ in range(repeats):
            w0, c0 = time.perf_counter(), time.process_time()
            entities = model.page_entities(page)
            w1, c1 = time.perf_counter(), time.process_time()
            link_page(model.linker, page, entities)
            w2, c2 = time.perf_counter(), time.process_time()
            for key, value in (
                ("tagger_wall", w1 - w0),
                ("tagger_cpu", c1 - c0),
                ("linker_wall", w2 - w1),
                ("linker_cpu", c2 - c1),
                ("total_wall", w2 - w0),
                ("total_cpu", c2 - c0),
            ):
                best[key] = min(best.get(key, float("inf")), value * 1000)
        rows.append(best)
    return {
        "model_load": load,
        "pages": len(rows),
        "words_median": statistics.median(len(p.texts) for p in pages),
        "median_ms": {k: round(statistics.median(r[k] for r in rows), 1) for k in rows[0]},
        "p90_ms": {k: round(sorted(r[k] for r in rows)[int(0.9 * (len(rows) - 1))], 1) for k in rows[0]},
    }


def memory(split: str, n: int) -> list[dict[str, object]]:
    from PIL import Image

    from tillroll.io.splits import in_split

    images = sorted((p for p in (DATA / "images").glob("*.png") if in_split(p.stem, split)), key=lambda p: -Image.open(p).size[0] * Image.open(p).size[1])[:n]
    out = []
    exe = str(Path(sys.executable).with_name("tillroll"))
    for image in images:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [exe, "extract", str(image)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "TILLROLL_CACHE_DIR": "", "TILLROLL_KV": "model"},
        )
        _, status, usage = os.wait4(proc.pid, 0)
        err = proc.stderr.read().decode() if proc.stderr else ""
        out.append(
            {
                "image": image.name,
                "exit": os.waitstatus_to_exitcode(status),
                "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
                "seconds": round(time.perf_counter() - t0, 1),
                "stderr": err[-300:],
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory", type=int, default=0, help="also measure peak RSS of `tillroll extract` on this many forms")
    args = parser.parse_args()
    result: dict[str, object] = {"machine": platform.platform(), "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    result["timing"] = timing(args.split, args.repeats)
    if args.memory:
        result["memory"] = memory(args.split, args.memory)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
