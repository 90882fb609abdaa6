"""Key->value pair corrections through the HTTP review API: stored like label corrections, with the model's pairs beside."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402
from reviewkit import rendered_receipt  # noqa: E402

from tillroll.config import PipelineConfig  # noqa: E402
from tillroll.document import KeyValue  # noqa: E402
from tillroll.pipeline import Pipeline  # noqa: E402
from tillroll.server.app import ServerSettings, create_app  # noqa: E402
from tillroll.server.store import ReviewStore  # noqa: E402


@pytest.fixture
def form(tmp_path: Path):
    """A stored document with one predicted pair (word 0 -> word 1), served without OCR."""
    store = ReviewStore(tmp_path / "review")
    doc, _, data = rendered_receipt(["Name: Ann Lee", "Date: 12/03/1998"])
    assert len(doc.words) >= 5
    doc.key_values = [KeyValue("Name", "Ann", [0], [1], 0.8)]
    receipt_id = store.add(doc, data, original_name="form.png", media_format="png")
    config = PipelineConfig(model="rules", entity_db=tmp_path / "entities.sqlite3")
    app = create_app(ServerSettings(data_dir=tmp_path / "review", pipeline=config), pipeline=Pipeline(config, stages=[]))
    with TestClient(app, base_url="http://localhost") as client:
        yield client, receipt_id, doc


def test_pairs_are_shown_corrected_and_kept_with_the_prediction(form) -> None:
    client, receipt_id, doc = form
    shown = client.get(f"/api/receipts/{receipt_id}").json()
    assert shown["document"]["key_values"] == [{"key": "Name", "value": "Ann", "key_word_ids": [0], "value_word_ids": [1], "confidence": 0.8}]
    # The reviewer extends the value to "Ann Lee" and adds the date pair.
    body = {
        "author": "ann",
        "base_revision": 0,
        "key_values": [
            {"key": "Name", "value": "Ann Lee", "key_word_ids": [0], "value_word_ids": [1, 2]},
            {"key": "Date", "value": "12/03/1998", "key_word_ids": [3], "value_word_ids": [4]},
        ],
    }
    saved = client.put(f"/api/receipts/{receipt_id}", json=body)
    assert saved.status_code == 200, saved.text
    result = saved.json()
    assert result["revision"] == 1
    pairs = result["document"]["key_values"]
    assert [(p["key"], p["value"], p["value_word_ids"], p["confidence"]) for p in pairs] == [("Name", "Ann Lee", [1, 2], 1.0), ("Date", "12/03/1998", [4], 1.0)]
    change = result["changes"]["key_values"]
    assert change["predicted"][0]["value"] == "Ann" and change["before"][0]["value"] == "Ann" and len(change["after"]) == 2
    history = client.get(f"/api/receipts/{receipt_id}/corrections").json()["corrections"]
    assert history[-1]["changes"]["key_values"]["after"][1]["key"] == "Date"
    # Sending the same list again changes nothing; a removed pair is a change.
    again = client.put(f"/api/receipts/{receipt_id}", json={**body, "base_revision": 1}).json()
    assert again["revision"] == 1 and again["changes"]["key_values"] is None
    removed = client.put(f"/api/receipts/{receipt_id}", json={"author": "ann", "base_revision": 1, "key_values": [body["key_values"][1]]}).json()
    assert removed["revision"] == 2 and [p["key"] for p in removed["document"]["key_values"]] == ["Date"]


def test_bad_pair_edits_are_422_and_change_nothing(form) -> None:
    client, receipt_id, _ = form
    for pairs in ([{"key": "Name", "value": "x", "key_word_ids": [9999]}], ["not an object"]):
        response = client.put(f"/api/receipts/{receipt_id}", json={"author": "ann", "key_values": pairs})
        assert response.status_code == 422, pairs
    receipt = client.get(f"/api/receipts/{receipt_id}").json()
    assert receipt["revision"] == 0 and receipt["document"]["key_values"][0]["value"] == "Ann"
