"""Key->value pairs in the review UI (real headless Chromium): shown, corrected from selected words, removed, saved."""

from __future__ import annotations

import httpx
import pytest
from reviewkit import rendered_receipt

# Importing the UI tests' module shares its fixtures, and its skip when Chromium is missing.
from test_review_ui import browser, open_receipt, server  # noqa: F401

from tillroll.document import KeyValue
from tillroll.server.store import ReviewStore

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300, method="thread")]


def test_review_ui_corrects_and_removes_key_value_pairs(server: tuple[str, ReviewStore], browser: object) -> None:  # noqa: F811
    base, store = server
    doc, _, data = rendered_receipt(["Name: Ann Lee", "Date: 12/03/1998"])
    doc.key_values = [KeyValue("Name", "Ann", [0], [1], 0.7), KeyValue("Date", "12/03/1998", [3], [4], 0.9)]
    receipt_id = store.add(doc, data, original_name="form.png", media_format="png")
    page = browser.new_page()  # type: ignore[attr-defined]
    page.add_init_script("localStorage.setItem('tillroll.reviewer', 'Kim')")
    open_receipt(page, f"{base}/review/{receipt_id}")
    rows = page.locator("#pairs tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).locator("input[name=key]").input_value() == "Name"
    assert rows.nth(0).locator("input[name=value]").input_value() == "Ann"
    # Select "Ann" and "Lee" on the page and make them the first pair's value; drop the second pair.
    page.click(".box[data-word-id='1']")
    page.click(".box[data-word-id='2']", modifiers=["Shift"])
    rows.nth(0).locator("td").nth(1).locator("button").click()
    assert rows.nth(0).locator("input[name=value]").input_value() == "Ann Lee"
    rows.nth(1).locator("td").nth(2).locator("button").click()
    page.click("#save")
    page.wait_for_selector(".message.ok", timeout=30_000)
    stored = httpx.get(f"{base}/api/receipts/{receipt_id}").json()
    assert [(p["key"], p["value"], p["value_word_ids"]) for p in stored["document"]["key_values"]] == [("Name", "Ann Lee", [1, 2])]
    history = httpx.get(f"{base}/api/receipts/{receipt_id}/corrections").json()["corrections"]
    assert history[-1]["changes"]["key_values"]["predicted"][0]["value"] == "Ann"
    page.close()
