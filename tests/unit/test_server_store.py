"""The review store without HTTP: edits, revisions, statuses, export."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from reviewkit import rendered_receipt  # noqa: E402

from tillroll.document import Document  # noqa: E402
from tillroll.errors import ConflictError, DataError, ReceiptNotFoundError  # noqa: E402
from tillroll.labels import LABELS  # noqa: E402
from tillroll.server.export import export_approved  # noqa: E402
from tillroll.server.store import ReviewStore, apply_edits, check_receipt_id, clean_display_name  # noqa: E402


@pytest.fixture
def store_and_id(tmp_path: Path) -> tuple[ReviewStore, str, Document]:
    store = ReviewStore(tmp_path / "review")
    doc, _, data = rendered_receipt()
    doc.words[0].set_label("shop_name", 0.7, "model")
    return store, store.add(doc, data, original_name="a.png", media_format="png"), doc


def test_server_store_noop_save_writes_nothing(store_and_id) -> None:
    store, rid, _ = store_and_id
    receipt, changes = store.correct(rid, author="ann", labels={})
    assert receipt.summary.revision == 0 and store.corrections(rid) == []


def test_server_store_confirming_a_model_label_is_recorded(store_and_id) -> None:
    store, rid, _ = store_and_id
    receipt, changes = store.correct(rid, author="ann", labels={0: "shop_name"})
    assert changes["labels"] == [{"word_id": 0, "text": "CAFE", "predicted": "shop_name", "before": "shop_name", "after": "shop_name"}]
    assert receipt.document["words"][0]["label_source"] == "human" and receipt.summary.revision == 1
    _, again = store.correct(rid, author="ann", labels={0: "shop_name"})
    assert again["labels"] == []  # already confirmed by a person


def test_server_store_stale_revision_conflicts_and_writes_nothing(store_and_id) -> None:
    store, rid, _ = store_and_id
    store.correct(rid, author="ann", base_revision=0, labels={1: "shop_name"})
    with pytest.raises(ConflictError):
        store.correct(rid, author="bob", base_revision=0, labels={1: "misc"})
    assert store.get(rid).document["words"][1]["label"] == "shop_name"
    assert [c["author"] for c in store.corrections(rid)] == ["ann"]


def test_server_store_editing_an_approved_receipt_reopens_it(store_and_id) -> None:
    store, rid, _ = store_and_id
    approved, _ = store.correct(rid, author="ann", approve=True)
    assert (approved.summary.status, approved.summary.reviewed_by) == ("reviewed", "ann")
    edited, _ = store.correct(rid, author="bob", labels={2: "address"})
    assert edited.summary.status == "new"
    assert store.counts() == {"new": 1, "reviewed": 0}


def test_server_store_delete_removes_row_and_files(store_and_id) -> None:
    store, rid, _ = store_and_id
    folder = store.receipt_dir(rid)
    assert folder.is_dir()
    store.delete(rid)
    assert not folder.exists()
    with pytest.raises(ReceiptNotFoundError):
        store.get(rid)


@pytest.mark.parametrize("bad", ["../etc/passwd", "", "A" * 32, "0" * 31, "0" * 32 + "/x", "..", "%2e%2e"])
def test_server_store_receipt_ids_are_only_hex(bad: str) -> None:
    with pytest.raises(ReceiptNotFoundError):
        check_receipt_id(bad)


@given(st.text(max_size=300))
@settings(max_examples=100, deadline=None)
def test_server_store_display_names_are_never_paths(name: str) -> None:
    shown = clean_display_name(name)
    assert shown and "/" not in shown and "\\" not in shown and len(shown) <= 200
    assert all(ch.isprintable() for ch in shown)


@given(st.dictionaries(st.integers(min_value=-3, max_value=20), st.sampled_from([*LABELS, "bogus"]), max_size=6))
@settings(max_examples=100, deadline=None)
def test_server_store_apply_edits_validates_or_applies_every_label(labels: dict[int, str]) -> None:
    doc, _, _ = rendered_receipt()
    before = doc.to_dict()
    valid = all(0 <= i < len(doc.words) and lab in LABELS for i, lab in labels.items())
    if not valid:
        with pytest.raises(DataError):
            apply_edits(before, before, labels=labels)
        return
    after, changes = apply_edits(before, before, labels=labels)
    for i, lab in labels.items():
        assert after["words"][i]["label"] == lab and after["words"][i]["label_source"] == "human"
    assert {c["word_id"] for c in changes["labels"]} == set(labels)
    assert before == doc.to_dict()  # inputs are never modified


def test_server_store_export_splits_multipage_receipts(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "review")
    doc, img, data = rendered_receipt()
    second, img2, _ = rendered_receipt(["PAGE TWO", "TOTAL 9.99"])
    from tillroll.document import Page

    doc.pages.append(Page(index=1, width=img2.width, height=img2.height, image=img2))
    offset = len(doc.words)
    for w in second.words:
        w.id, w.page = w.id + offset, 1
        doc.words.append(w)
    rid = store.add(doc, data, original_name="two.tif", media_format="tiff")
    store.correct(rid, author="ann", approve=True, fields={"total": {"value": "9.99", "word_ids": [offset + 2, offset + 3]}})
    written = export_approved(store, tmp_path / "out")
    assert sorted(p.name for p in written) == [f"{rid}-p0.json", f"{rid}-p1.json"]
    page1 = json.loads((tmp_path / "out" / f"{rid}-p1.json").read_text())
    assert [w["text"] for w in page1["words"]] == ["PAGE", "TWO", "TOTAL", "9.99"]
    assert [w["id"] for w in page1["words"]] == [0, 1, 2, 3]
    assert page1["fields"]["total"]["word_ids"] == [2, 3]
    assert all(w["label"] and w["label_source"] == "human" for w in page1["words"])
    assert Image.open(tmp_path / "out" / f"{rid}-p1.png").size == (img2.width, img2.height)
    Document.from_dict(page1)
