"""The review UI in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

Playwright never downloads a browser here: every launch names the system
executable. The server is the real app on uvicorn, in a thread, on a free port.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("Debian chromium is not installed (TILLROLL_WITH_BROWSER=1 scripts/install-system-deps.sh)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

from reviewkit import free_port, rendered_receipt, wait_until_up  # noqa: E402

from tillroll.config import PipelineConfig  # noqa: E402
from tillroll.labels import LABELS  # noqa: E402
from tillroll.server.app import ServerSettings, create_app  # noqa: E402
from tillroll.server.store import ReviewStore  # noqa: E402

# A browser that stops answering must fail the run, not hang it: the thread method also works
# while the main thread waits inside Playwright.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(300, method="thread")]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
XSS_TEXTS = ["<script>window.__xss='script'</script>", "<img src=x onerror=\"window.__xss='img'\">"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ReviewStore]]:
    tmp = tmp_path_factory.mktemp("ui_server")
    settings = ServerSettings(
        data_dir=tmp / "review",
        pipeline=PipelineConfig(model="rules", entity_db=tmp / "entities.sqlite3"),
        workers=1,
    )
    app = create_app(settings)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, timeout=180)
        yield base, ReviewStore(tmp / "review")
    finally:
        srv.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def open_receipt(page: object, url: str) -> None:
    page.goto(url)  # type: ignore[attr-defined]
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)  # type: ignore[attr-defined]


def test_review_ui_upload_relabel_save_reload_persists(server: tuple[str, ReviewStore], browser: object, tmp_path: Path) -> None:
    base, _ = server
    _, _, data = rendered_receipt()
    upload = tmp_path / "cafe.png"
    upload.write_bytes(data)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{base}/review")
    page.set_input_files("#upload-file", str(upload))
    page.click("#upload button[type=submit]")
    page.wait_for_url(re.compile(r"/review/[0-9a-f]{32}$"), timeout=120_000)
    page.wait_for_selector("body[data-ready=true]")
    receipt_id = page.url.rsplit("/", 1)[1]

    page.fill("#reviewer", "Ann Reviewer")
    page.press("#reviewer", "Tab")  # commits the name (change event)
    box = page.locator(".box[title^='CAFE ']")
    word_id = int(box.get_attribute("data-word-id"))
    box.click()
    key = LABELS.index("shop_name")
    page.keyboard.press("1234567890-="[key])  # the key the palette shows for shop_name
    assert box.get_attribute("data-label") == "shop_name"
    page.keyboard.press("s")
    page.wait_for_selector(".message.ok", timeout=30_000)
    assert "Saved" in page.text_content("#message")

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    box = page.locator(f".box[data-word-id='{word_id}']")
    assert box.get_attribute("data-label") == "shop_name"
    stored = httpx.get(f"{base}/api/receipts/{receipt_id}").json()
    word = stored["document"]["words"][word_id]
    assert (word["label"], word["label_source"]) == ("shop_name", "human")
    history = httpx.get(f"{base}/api/receipts/{receipt_id}/corrections").json()["corrections"]
    assert history[-1]["author"] == "Ann Reviewer"
    page.close()


def test_review_ui_keyboard_navigation_fields_and_approve(server: tuple[str, ReviewStore], browser: object) -> None:
    base, store = server
    doc, _, data = rendered_receipt()
    receipt_id = store.add(doc, data, original_name="keys.png", media_format="png")
    page = browser.new_page()  # type: ignore[attr-defined]
    page.add_init_script("localStorage.setItem('tillroll.reviewer', 'Kim')")
    open_receipt(page, f"{base}/review/{receipt_id}")
    page.keyboard.press("n")
    page.keyboard.press("n")  # second word
    assert page.text_content(".word-info .word-text") == doc.words[1].text
    page.keyboard.press("p")
    total_key = "1234567890-="[LABELS.index("total")]
    page.keyboard.press(total_key)
    page.keyboard.press("u")  # undo: back to unlabelled
    assert page.locator(".box[data-word-id='0']").get_attribute("data-label") == ""
    page.fill("#fields input[name=total]", "5.50")
    page.keyboard.press("Escape")  # leave the text box; keys act on the page again
    page.keyboard.press("a")  # approve; the page then moves on to the next new receipt, if any
    deadline = time.monotonic() + 30
    while (receipt := httpx.get(f"{base}/api/receipts/{receipt_id}").json())["status"] != "reviewed" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert receipt["status"] == "reviewed" and receipt["reviewed_by"] == "Kim"
    assert receipt["document"]["fields"]["total"]["value"] == "5.50"
    assert receipt["document"]["words"][0]["label"] is None
    # After approving, the page moves on to the next new receipt (the one the upload test
    # left, when it ran). Closing the page while that navigation is still under way hung
    # the browser driver in one full-suite run, so let it finish first.
    try:
        page.wait_for_url(re.compile(rf"/review/(?!{receipt_id})[0-9a-f]{{32}}$"), timeout=10_000)
    except sync_api.TimeoutError:
        pass  # no other new receipt: the page stays where it is
    page.wait_for_load_state("load", timeout=30_000)
    page.close()


def test_review_ui_escapes_receipt_text_and_file_names(server: tuple[str, ReviewStore], browser: object) -> None:
    base, store = server
    doc, _, data = rendered_receipt(["SHOP", "TOTAL 1.00"])
    doc.words[0].text = XSS_TEXTS[0]
    doc.words[1].text = XSS_TEXTS[1]
    receipt_id = store.add(doc, data, original_name="<img src=x onerror=\"window.__xss='name'\">.png", media_format="png")
    page = browser.new_page()  # type: ignore[attr-defined]
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    page.goto(f"{base}/review")
    page.wait_for_selector(f"tr[data-id='{receipt_id}']")
    assert page.text_content(f"tr[data-id='{receipt_id}'] .receipt-link") == "<img src=x onerror=\"window.__xss='name'\">.png"

    open_receipt(page, f"{base}/review/{receipt_id}")
    for word_id, text in enumerate(XSS_TEXTS):
        page.click(f".box[data-word-id='{word_id}']")
        assert page.text_content(".word-info .word-text") == text  # shown literally
    assert page.text_content("#file-name") == "<img src=x onerror=\"window.__xss='name'\">.png"
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    assert page.locator("#pages script, #pages img[src=x], .panel script, .panel img").count() == 0
    assert dialogs == []
    page.close()


def test_review_ui_delete_asks_then_removes_the_receipt(server: tuple[str, ReviewStore], browser: object) -> None:
    base, store = server
    doc, _, data = rendered_receipt(["JUNK UPLOAD"])
    receipt_id = store.add(doc, data, original_name="junk.png", media_format="png")
    page = browser.new_page()  # type: ignore[attr-defined]
    open_receipt(page, f"{base}/review/{receipt_id}")
    page.once("dialog", lambda d: d.dismiss())  # first answer "no": nothing happens
    page.click("#delete")
    assert httpx.get(f"{base}/api/receipts/{receipt_id}").status_code == 200
    page.once("dialog", lambda d: d.accept())
    page.click("#delete")
    page.wait_for_url(f"{base}/review", timeout=30_000)
    assert httpx.get(f"{base}/api/receipts/{receipt_id}").status_code == 404
    page.close()
