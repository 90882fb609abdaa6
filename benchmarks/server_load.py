"""Load test of `tillroll serve`: concurrent clients mixing good and bad uploads.

    .venv/bin/python benchmarks/server_load.py --clients 8 --requests 50 --json /tmp/server_load.json

Starts the real server (`tillroll serve`, uvicorn over TCP) in a child process
with a fresh data folder, then runs CLIENTS threads that each send REQUESTS
uploads to POST /v1/extract, drawn (with a fixed seed) from:

- valid:     small rendered receipts (PNG and JPEG, a few variants), expected 200 with words
- corrupt:   a PNG cut off after its header, expected 422
- oversized: 21 MB, over the 20 MB default limit, expected 413
- wrongtype: plain text and a GIF, expected 415

It checks that no request got a 5xx, that every valid request was answered 200
with words, and reports latency percentiles per kind. Exit status 1 if a check fails.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from PIL import Image, ImageDraw, ImageFont

EXPECTED = {"valid": 200, "corrupt": 422, "oversized": 413, "wrongtype": 415}
RECEIPTS = [
    ["CAFE BORG", "Triq il-Kbira 12, Valletta", "Espresso   1   2.50", "Croissant  2   3.00", "TOTAL EUR      5.50"],
    ["MINI MARKET", "Tel +356 2123 4567", "Bread      1   1.20", "Milk       2   1.90", "TOTAL EUR      3.10"],
    ["PIZZERIA NAPOLI", "VAT MT12345678", "Margherita 1   8.50", "Water      1   1.50", "TOTAL EUR     10.00"],
    ["BOOKSHOP", "21/11/2026  14:32", "Notebook   3   9.00", "Pen        2   2.40", "TOTAL EUR     11.40"],
]


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf"):
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def rendered(lines: list[str], fmt: str) -> bytes:
    font = _font(22)
    width = max(int(font.getlength(t)) for t in lines) + 40
    img = Image.new("RGB", (width, 36 * len(lines) + 40), "white")
    draw = ImageDraw.Draw(img)
    for i, text in enumerate(lines):
        draw.text((20, 20 + 36 * i), text, fill="black", font=font)
    buf = io.BytesIO()
    img.save(buf, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buf.getvalue()


def payloads() -> dict[str, list[tuple[str, bytes, str]]]:
    valid = [(f"receipt{i}.png", rendered(r, "PNG"), "image/png") for i, r in enumerate(RECEIPTS)]
    valid += [(f"receipt{i}.jpg", rendered(r, "JPEG"), "image/jpeg") for i, r in enumerate(RECEIPTS[:2])]
    good_png = valid[0][1]
    return {
        "valid": valid,
        "corrupt": [("cut.png", good_png[: len(good_png) // 3], "image/png"), ("zeros.jpg", b"\xff\xd8\xff" + bytes(5000), "image/jpeg")],
        "oversized": [("huge.png", b"\x89PNG\r\n\x1a\n" + os.urandom(21 * 1024 * 1024), "image/png")],
        "wrongtype": [("notes.txt", b"TOTAL 12.30\n" * 50, "text/plain"), ("anim.gif", b"GIF89a" + bytes(200), "image/gif")],
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run(args: argparse.Namespace) -> dict[str, Any]:
    data = payloads()
    weights = {
        "valid": args.valid_share,
        "corrupt": (1 - args.valid_share) / 3,
        "oversized": (1 - args.valid_share) / 3,
        "wrongtype": (1 - args.valid_share) / 3,
    }
    rng = random.Random(args.seed)
    plans = [[rng.choices(list(weights), weights=list(weights.values()))[0] for _ in range(args.requests)] for _ in range(args.clients)]

    port = free_port()
    home = Path(tempfile.mkdtemp(prefix="tillroll-load-"))
    cmd = [
        sys.executable,
        "-c",
        "from tillroll.cli import main; main()",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(home / "review"),
        "--log-level",
        "warning",
    ]
    if args.model:
        cmd += ["--model", args.model]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    env = {**os.environ, "TILLROLL_HOME": str(home)}
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=open(home / "server.log", "wb"))
    base = f"http://127.0.0.1:{port}"
    try:
        t0 = time.monotonic()
        while True:
            if server.poll() is not None:
                raise SystemExit(f"server exited with {server.returncode}; see {home / 'server.log'}")
            try:
                health = httpx.get(f"{base}/healthz", timeout=1).json()
                break
            except httpx.HTTPError:
                if time.monotonic() - t0 > 300:
                    raise SystemExit("server did not start within 300 s") from None
                time.sleep(0.2)
        startup_s = time.monotonic() - t0

        results: list[dict[str, Any]] = []
        lock = threading.Lock()

        def client(n: int) -> None:
            pick = random.Random(args.seed * 1000 + n)
            with httpx.Client(base_url=base, timeout=args.timeout) as http:
                for kind in plans[n]:
                    name, payload, media = pick.choice(data[kind])
                    started = time.perf_counter()
                    record: dict[str, Any] = {"client": n, "kind": kind}
                    try:
                        response = http.post("/v1/extract", files={"file": (name, payload, media)})
                        record["status"] = response.status_code
                        body = response.json()
                        record["words"] = len(body.get("words", [])) if response.status_code == 200 else None
                        record["error"] = body.get("error") if response.status_code >= 400 else None
                    except httpx.HTTPError as exc:
                        record["status"] = None
                        record["error"] = f"{type(exc).__name__}: {exc}"
                    record["seconds"] = time.perf_counter() - started
                    with lock:
                        results.append(record)

        t_start = time.monotonic()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall_s = time.monotonic() - t_start
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    summary: dict[str, Any] = {
        "command": " ".join(["benchmarks/server_load.py", *sys.argv[1:]]),
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs",
        "server": {k: health.get(k) for k in ("version", "ocr", "model", "workers")},
        "startup_s": round(startup_s, 2),
        "clients": args.clients,
        "requests_per_client": args.requests,
        "total_requests": len(results),
        "wall_s": round(wall_s, 2),
        "kinds": {},
    }
    for kind in EXPECTED:
        rows = [r for r in results if r["kind"] == kind]
        times = [r["seconds"] for r in rows]
        statuses: dict[str, int] = {}
        for r in rows:
            statuses[str(r["status"])] = statuses.get(str(r["status"]), 0) + 1
        summary["kinds"][kind] = {
            "count": len(rows),
            "statuses": statuses,
            "p50_s": round(percentile(times, 0.5), 3) if times else None,
            "p95_s": round(percentile(times, 0.95), 3) if times else None,
            "max_s": round(max(times), 3) if times else None,
            "mean_s": round(statistics.fmean(times), 3) if times else None,
        }
    valid = [r for r in results if r["kind"] == "valid"]
    summary["checks"] = {
        "no_5xx": all((r["status"] or 0) < 500 for r in results),
        "every_request_answered": all(r["status"] is not None for r in results),
        "every_valid_answered_200_with_words": all(r["status"] == 200 and r["words"] for r in valid),
        "every_bad_request_got_its_4xx": all(r["status"] == EXPECTED[r["kind"]] for r in results if r["kind"] != "valid"),
    }
    summary["valid_throughput_per_s"] = round(len(valid) / wall_s, 3) if wall_s else None
    summary["failures"] = [r for r in results if r["status"] != EXPECTED[r["kind"]]][:20]
    return summary


def markdown(summary: dict[str, Any]) -> str:
    lines = [
        "| request kind | count | status codes | p50 latency | p95 latency | max |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for kind, k in summary["kinds"].items():
        if not k["count"]:
            continue
        codes = ", ".join(f"{s}×{n}" for s, n in sorted(k["statuses"].items()))
        lines.append(f"| {kind} | {k['count']} | {codes} | {k['p50_s']:.3f} s | {k['p95_s']:.3f} s | {k['max_s']:.3f} s |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=50, help="requests per client")
    parser.add_argument("--valid-share", type=float, default=0.25, help="fraction of valid receipts (the rest split evenly among the bad kinds)")
    parser.add_argument("--model", default=None, help="server --model (default: the server's default)")
    parser.add_argument("--workers", type=int, default=None, help="server --workers (default: the server's default)")
    parser.add_argument("--timeout", type=float, default=600.0, help="client timeout per request, seconds")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None, help="also write the summary here")
    args = parser.parse_args()
    summary = run(args)
    print(json.dumps({k: v for k, v in summary.items() if k != "failures"}, indent=1))
    print(markdown(summary))
    if summary["failures"]:
        print("failures (first 20):", json.dumps(summary["failures"], indent=1))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))
    sys.exit(0 if all(summary["checks"].values()) else 1)


if __name__ == "__main__":
    main()
