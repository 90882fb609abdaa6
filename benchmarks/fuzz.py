"""A long fuzzing run: the cases of tests/integration/test_fuzz.py, many more of them, seeded.

    nice -n 10 python benchmarks/fuzz.py --loader 8000 --cli 2000 --http 2000 --seed 18 --out /tmp/fuzz.json

Damaged JPEG/PNG/TIFF/WebP/PDF files (1-3 mutations each: truncation, byte
flips, header edits, lost, doubled or zeroed chunks) go into the loader and into
the CLI's per-file step (the whole pipeline with an OCR engine that reads no
words, so every stage runs on every case without paying for OCR); random
multipart bodies go to POST /v1/extract through FastAPI's TestClient.

A case fails when the loader raises anything but a typed tillroll error, the CLI
step reports an internal error, or the server answers 5xx or a non-JSON error.
Failures are printed with what reproduces them; the summary counts outcomes.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fuzzkit import (  # noqa: E402
    FUZZ_LIMITS,
    check_response,
    cli_outcome,
    load_outcome,
    max_rss_mib,
    multipart_body,
    mutated,
    random_mutation,
    seed_files,
    static_pipeline,
)


def run(kind: str, cases: int, rng: random.Random, seeds: dict[str, bytes], target: Any) -> dict[str, Any]:
    outcomes: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    started = time.perf_counter()
    for i in range(cases):
        seed = rng.choice(sorted(seeds))
        chain = [random_mutation(rng) for _ in range(rng.randint(1, 3))]
        try:
            outcomes[target(mutated(seeds[seed], chain), rng)] += 1
        except Exception as exc:  # noqa: BLE001 - exactly what the run looks for
            outcomes["FAILED"] += 1
            failures.append({"case": i, "seed": seed, "chain": [m.__dict__ for m in chain], "error": f"{type(exc).__name__}: {exc}"[:500]})
            print(f"{kind} case {i} FAILED: {failures[-1]}\n{traceback.format_exc(limit=4)}", flush=True)
        if (i + 1) % 500 == 0:
            print(f"{kind}: {i + 1}/{cases} cases, {outcomes['FAILED']} failed, max RSS {max_rss_mib():.0f} MiB", flush=True)
    return {
        "cases": cases,
        "failed": outcomes["FAILED"],
        "outcomes": dict(outcomes.most_common()),
        "seconds": round(time.perf_counter() - started, 1),
        "failures": failures[:20],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loader", type=int, default=8000)
    parser.add_argument("--cli", type=int, default=2000)
    parser.add_argument("--http", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    seeds = seed_files()
    report: dict[str, Any] = {"seed": args.seed, "rss_start_mib": round(max_rss_mib(), 1)}

    report["loader"] = run("loader", args.loader, rng, seeds, lambda data, _: load_outcome(data))

    pipeline = static_pipeline(preprocess="auto")
    report["cli"] = run("cli", args.cli, rng, seeds, lambda data, _: cli_outcome(pipeline, data))

    from fastapi.testclient import TestClient

    from tillroll.config import PipelineConfig
    from tillroll.server.app import ServerSettings, create_app

    with tempfile.TemporaryDirectory() as tmp:
        config = PipelineConfig(model="rules", entity_db=Path(tmp) / "entities.sqlite3")
        settings = ServerSettings(data_dir=Path(tmp) / "review", pipeline=config, warm_up=False, workers=1, max_upload_bytes=FUZZ_LIMITS.max_bytes)
        app = create_app(settings, pipeline=static_pipeline(preprocess="none"))
        queries = ["", "?store=true", "?ocr=tesseract", "?model=neural", "?ocr=%00", "?store=maybe"]
        with TestClient(app, base_url="http://localhost", raise_server_exceptions=False) as client:

            def http(data: bytes, case_rng: random.Random) -> str:
                body, content_type = multipart_body(case_rng, data)
                response = client.post(f"/v1/extract{case_rng.choice(queries)}", content=body, headers={"Content-Type": content_type.encode("utf-8")})
                check_response(response.status_code, response.headers.get("content-type", ""), response.content)
                return str(response.status_code)

            report["http"] = run("http", args.http, rng, seeds, http)

    report["total_cases"] = sum(report[k]["cases"] for k in ("loader", "cli", "http"))
    report["total_failed"] = sum(report[k]["failed"] for k in ("loader", "cli", "http"))
    report["rss_max_mib"] = round(max_rss_mib(), 1)
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
