"""The synthetic receipt generator end to end: files, determinism, boxes, labels, fields."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tillroll.document import Document
from tillroll.errors import ConfigError, EngineUnavailableError
from tillroll.labels import (
    AMOUNT,
    DATE_TIME,
    LABELS,
    LINE_ITEM,
    MISC,
    QUANTITY,
    SHOP_NAME,
    TELEPHONE,
    TOTAL,
    UNIT_PRICE,
    VAT_INCLUDED,
    VAT_INFO,
)
from tillroll.ocr.base import OcrWord
from tillroll.ocr.stage import words_to_document
from tillroll.ocr.static import StaticEngine
from tillroll.synth.generate import generate, make_one
from tillroll.synth.localedata import available_locales
from tillroll.synth.templates import available_templates


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _docs(folder: Path) -> list[tuple[Document, Image.Image]]:
    out = []
    for path in sorted(folder.glob("*.json")):
        doc = Document.from_dict(json.loads(path.read_text(encoding="utf-8")))
        out.append((doc, Image.open(folder / doc.source)))
    return out


@pytest.fixture(scope="module")
def clean_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth_clean")
    generate(16, "all", 11, out, progress=False)
    return out


@pytest.fixture(scope="module")
def degraded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth_degraded")
    generate(6, "mt,de,my", 11, out, degrade=0.7, progress=False)
    return out


def test_synth_generate_same_seed_is_byte_identical_with_any_worker_count(tmp_path: Path) -> None:
    generate(4, "mt,uk,my", 3, tmp_path / "a", degrade=0.5, progress=False)
    generate(4, "mt,uk,my", 3, tmp_path / "b", degrade=0.5, workers=2, progress=False)
    generate(3, "mt,uk,my", 3, tmp_path / "c", degrade=0.5, progress=False)
    generate(1, "mt,uk,my", 3, tmp_path / "c", degrade=0.5, start=3, progress=False)  # a run extended later
    a = _files(tmp_path / "a")
    assert len(a) == 8
    assert a == _files(tmp_path / "b") == _files(tmp_path / "c")


def test_synth_generate_other_seed_gives_other_receipts(tmp_path: Path) -> None:
    generate(2, "mt", 1, tmp_path / "a", progress=False)
    generate(2, "mt", 2, tmp_path / "b", progress=False)
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert not set(a.values()) & set(b.values())


def test_synth_generate_writes_schema_v1_documents_with_human_labels(clean_dir: Path) -> None:
    docs = _docs(clean_dir)
    assert len(docs) == 16 and len(list(clean_dir.glob("*.png"))) == 16
    for doc, image in docs:
        assert (doc.pages[0].width, doc.pages[0].height) == image.size
        assert doc.meta["locale"] in available_locales() and doc.meta["template"] in available_templates()
        assert [w.id for w in doc.words] == list(range(len(doc.words)))
        for w in doc.words:
            assert w.label in LABELS and w.label_source == "human" and w.label_confidence == 1.0
            assert w.text.strip() == w.text and w.text
            x0, y0, x1, y1 = w.box
            assert 0 <= x0 < x1 <= image.width and 0 <= y0 < y1 <= image.height


@pytest.mark.parametrize("folder", ["clean_dir", "degraded_dir"])
def test_synth_generate_is_read_by_the_synth_dataset_reader(folder: str, request: pytest.FixtureRequest) -> None:
    from tillroll.io.datasets import read_dataset

    path = request.getfixturevalue(folder)
    examples = read_dataset(f"synth:{path}")
    assert len(examples) == len(list(path.glob("*.json")))
    assert all(e.image_path.is_file() and e.reference.words for e in examples)


def test_synth_generate_every_ink_pixel_lies_in_a_word_box_and_every_box_has_ink() -> None:
    for index in range(16):
        receipt = make_one(11, index, available_locales())
        image = Image.open(io.BytesIO(receipt.image_bytes))
        ink = np.asarray(image.convert("L")) < 160
        covered = np.zeros_like(ink)
        for w in receipt.document.words:
            x0, y0, x1, y1 = (int(v) for v in w.box)
            assert ink[y0:y1, x0:x1].any(), f"{receipt.id}: box of {w.text!r} is blank"
            covered[y0:y1, x0:x1] = True
        for x0, y0, x1, y1 in receipt.decoration_boxes:  # rules and dot leaders: drawn, not words
            covered[int(y0) : int(y1), int(x0) : int(x1)] = True
        stray = ink & ~covered
        assert not stray.any(), f"{receipt.id}: {int(stray.sum())} ink pixels outside every word box"


def test_synth_generate_word_boxes_follow_the_degradation_warp() -> None:
    """The homography moves boxes exactly with the ink (checked on a warped ink mask)."""
    import cv2

    from tillroll.synth.degrade import random_homography, transform_boxes

    receipt = make_one(5, 0, ["uk"])
    image = Image.open(io.BytesIO(receipt.image_bytes))
    ink = (np.asarray(image) < 160).astype(np.uint8)
    for strength in (0.3, 1.0):
        matrix, canvas = random_homography(image.size, strength, np.random.default_rng(1), border=0.1)
        warped = cv2.warpPerspective(ink, matrix, canvas, flags=cv2.INTER_NEAREST) > 0
        boxes = transform_boxes([w.box for w in receipt.document.words] + receipt.decoration_boxes, matrix, canvas)
        covered = np.zeros_like(warped)
        for x0, y0, x1, y1 in boxes:
            covered[int(y0) : int(y1) + 1, int(x0) : int(x1) + 1] = True
        assert warped.any() and not (warped & ~covered).any()


def test_synth_generate_degraded_boxes_hold_darker_text_than_their_surroundings(degraded_dir: Path) -> None:
    for doc, image in _docs(degraded_dir):
        assert image.format == "JPEG" and doc.meta["degrade"] == 0.7
        gray = np.asarray(image.convert("L"), dtype=np.float32)
        for w in doc.words:
            x0, y0, x1, y1 = (int(v) for v in w.box)
            region = gray[y0:y1, x0:x1]
            if region.size >= 30 and len(w.text) > 1:
                # ink: the darkest pixels in a word box are clearly darker than its median (the paper)
                assert np.percentile(region, 2) < np.median(region) - 25, (doc.source, w.text)


def test_synth_generate_static_engine_replays_words_into_the_same_lines(clean_dir: Path) -> None:
    for path in sorted(clean_dir.glob("*.json"))[:8]:
        gold = Document.from_dict(json.loads(path.read_text(encoding="utf-8")))
        words = StaticEngine(path=path).read()
        assert [(w.text, w.box) for w in words] == [(w.text, w.box) for w in gold.words]
        rebuilt = Document()
        words_to_document(rebuilt, 0, [OcrWord(w.text, w.box, 1.0) for w in words])
        assert rebuilt.text() == gold.text()


def test_synth_generate_labels_follow_the_paper_semantics(clean_dir: Path) -> None:
    expected = {"shop_name": {SHOP_NAME}, "telephone": {TELEPHONE}, "vat_info": {VAT_INFO}, "date": {DATE_TIME}, "time": {DATE_TIME},
                "subtotal": {MISC}, "vat_included": {VAT_INCLUDED}, "total": {TOTAL}}  # fmt: skip
    for doc, _ in _docs(clean_dir):
        for name, labels in expected.items():
            if name in doc.fields:
                assert {doc.word(i).label for i in doc.fields[name].word_ids} == labels, (doc.source, name)
        # the keyword on the total's line is labelled total too (paper: "TOTAL 12.30" is all total)
        total_line = doc.word(doc.fields["total"].word_ids[0]).line
        line_labels = {w.label for w in doc.words if w.line == total_line}
        assert line_labels == {TOTAL}
        for item in doc.line_items:
            labels = {doc.word(i).label for i in item.word_ids}
            assert LINE_ITEM in labels and AMOUNT in labels and labels <= {LINE_ITEM, QUANTITY, UNIT_PRICE, AMOUNT}


def test_synth_generate_fields_quote_their_words_and_add_up(clean_dir: Path) -> None:
    for doc, _ in _docs(clean_dir):
        assert {"shop_name", "address", "date", "total"} <= set(doc.fields)
        for f in doc.fields.values():
            assert f.text == " ".join(doc.word(i).text for i in f.word_ids)
            assert f.source == "human"
        assert doc.fields["total"].currency and doc.fields["date"].value.count("-") == 2
        amounts = sum(Decimal(li.amount) for li in doc.line_items)
        total = Decimal(doc.fields["total"].value)
        if "subtotal" in doc.fields:
            assert Decimal(doc.fields["subtotal"].value) == amounts
        if doc.meta["tax_mode"] == "included":
            assert total == amounts
        elif "vat_included" in doc.fields:
            assert total == amounts + Decimal(doc.fields["vat_included"].value)
        for li in doc.line_items:
            if li.quantity and li.unit_price:
                assert (Decimal(li.quantity) * Decimal(li.unit_price)).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP") == Decimal(li.amount)


@pytest.mark.parametrize("template", available_templates())
def test_synth_generate_every_template_renders_every_locale(template: str) -> None:
    for k, locale in enumerate(available_locales()):
        doc = make_one(k, 0, [locale], templates=[template]).document
        assert doc.meta["template"] == template and doc.meta["locale"] == locale
        assert doc.fields["total"].value and doc.line_items


def test_synth_generate_rejects_bad_arguments_with_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="between 0 and 1"):
        generate(1, "mt", 0, tmp_path, degrade=1.5, progress=False)
    with pytest.raises(ConfigError, match="unknown synthetic locale"):
        generate(1, "mt,xx", 0, tmp_path, progress=False)
    with pytest.raises(ConfigError, match="unknown synthetic template"):
        generate(1, "mt", 0, tmp_path, templates="nope", progress=False)
    with pytest.raises(ConfigError, match="whole number"):
        generate(-1, "mt", 0, tmp_path, progress=False)


def test_synth_render_missing_fonts_name_the_debian_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tillroll.synth.render import available_faces

    monkeypatch.setenv("TILLROLL_FONT_DIRS", str(tmp_path))
    with pytest.raises(EngineUnavailableError, match="fonts-dejavu-core"):
        available_faces("mono")


def test_synth_cli_writes_receipts_and_lists_options(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import tillroll.cli.synth  # noqa: F401 - registers the command
    from tillroll.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["synth", "--n", "2", "--locales", "de,pl", "--seed", "4", "--out", str(tmp_path), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert len(list(tmp_path.glob("*.json"))) == 2 and len(list(tmp_path.glob("*.png"))) == 2
    result = runner.invoke(app, ["synth", "--n", "1", "--locales", "zz", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "unknown synthetic locale" in result.output
    result = runner.invoke(app, ["synth", "--list"])
    assert result.exit_code == 0 and "thermal80_table" in result.output
