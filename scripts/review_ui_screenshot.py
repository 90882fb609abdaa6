"""Take docs/review-ui.png: a real screenshot of the review page in headless Chromium.

    .venv/bin/python scripts/review_ui_screenshot.py [--image samples/receipt-mt.png] [--out docs/review-ui.png]

Starts the real server (in-process, uvicorn on a free port, a throw-away data
folder), uploads the sample receipt through the API (real OCR and model),
relabels one word and selects another the way a reviewer would, then captures
the page with Debian's /usr/bin/chromium driven by Playwright (no browser download).
"""

from __future__ import annotations

import argparse
import os
import socket
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--image", type=Path, default=REPO / "samples" / "receipt-mt.png")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "review-ui.png")
    parser.add_argument("--model", default=None, help="pipeline model (default: tillroll's default)")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="tillroll-shot-"))
    os.environ["TILLROLL_HOME"] = str(home)
    import uvicorn
    from playwright.sync_api import sync_playwright

    from tillroll.config import PipelineConfig
    from tillroll.server.app import ServerSettings, create_app

    pipeline = PipelineConfig(**({"model": args.model} if args.model else {}))
    app = create_app(ServerSettings(data_dir=home / "review", pipeline=pipeline, workers=1))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(1800):
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    response = httpx.post(f"{base}/v1/extract?store=true", files={"file": (args.image.name, args.image.read_bytes())}, timeout=600)
    response.raise_for_status()
    receipt_id = response.json()["meta"]["review_id"]
    words = response.json()["words"]

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 980}, device_scale_factor=1)
        page.add_init_script("localStorage.setItem('tillroll.reviewer', 'Maria')")
        page.goto(f"{base}/review/{receipt_id}")
        page.wait_for_selector("body[data-ready=true]")
        # Fit the whole receipt in the window, then show a correction in progress:
        # relabel the first word as the shop name and select the TOTAL word.
        while page.evaluate("document.querySelector('.page').getBoundingClientRect().height > window.innerHeight - 130"):
            page.keyboard.press("x")
        if words:
            page.click(".box[data-word-id='0']")
            page.keyboard.press("1")
        total = next((w for w in words if w["text"].upper().startswith("TOTAL")), None)
        if total is not None:
            page.click(f".box[data-word-id='{total['id']}']")
        page.wait_for_timeout(300)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out), full_page=False)
        browser.close()
    server.should_exit = True
    thread.join(timeout=30)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
