from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from samplekit import render_lines, text_pdf
from tillroll.config import PipelineConfig
from tillroll.document import Document, Page
from tillroll.io.load import load_document
from tillroll.io.preprocess import PreprocessStage, estimate_noise, estimate_skew, preprocess_image
from tillroll.ocr.base import get_engine
from tillroll.pipeline import Pipeline

LINES = ["CAFE VALLETTA", "12 TRIQ IL-MERKANTI", "TOTAL 12.30", "VAT MT12345678", "THANK YOU"]


@pytest.fixture(scope="module")
def receipt() -> Image.Image:
    return render_lines(LINES, size=28)


def photo_of(receipt: Image.Image, degrees: float, background: tuple[int, int, int] = (60, 50, 45)) -> Image.Image:
    """The receipt lying on a dark table, turned by `degrees`."""
    turned = receipt.convert("RGBA").rotate(degrees, expand=True, resample=Image.BICUBIC)
    photo = Image.new("RGB", (turned.width + 300, turned.height + 260), background)
    photo.paste(turned, (150, 130), turned)
    return photo


def _doc(image: Image.Image) -> Document:
    return Document(pages=[Page(index=0, width=image.width, height=image.height, image=image)])


def test_preprocess_crops_a_rotated_receipt_out_of_a_photo(receipt: Image.Image) -> None:
    result = preprocess_image(photo_of(receipt, 5))
    assert result.steps == ["crop"]
    # the crop is the paper: its size, upright, with no table left around it
    assert result.image.width == pytest.approx(receipt.width, abs=8)
    assert result.image.height == pytest.approx(receipt.height, abs=8)
    pixels = np.asarray(result.image.convert("L"))
    assert np.median(pixels[:, :4]) > 200 and np.median(pixels[:, -4:]) > 200
    assert abs(estimate_skew(np.asarray(result.image))) <= 0.5


def test_preprocess_stage_reports_the_coordinates_it_ocrs_in(receipt: Image.Image) -> None:
    config = PipelineConfig(preprocess="auto", ocr="tesseract")
    doc = Pipeline(config).run(_doc(photo_of(receipt, 5)))
    page = doc.pages[0]
    assert page.coordinates == "preprocessed" and page.preprocess == ["crop"]
    assert (page.width, page.height) == page.image.size
    assert page.to_dict()["preprocess"] == ["crop"]
    assert [" ".join(w.text for w in line) for line in doc.lines()] == LINES
    for w in doc.words:
        assert 0 <= w.x0 < w.x1 <= page.width and 0 <= w.y0 < w.y1 <= page.height


def test_preprocess_straightens_a_slightly_rotated_scan(receipt: Image.Image) -> None:
    scan = receipt.rotate(4, expand=True, fillcolor="white", resample=Image.BICUBIC)
    assert estimate_skew(np.asarray(scan)) == pytest.approx(-4, abs=0.3)
    result = preprocess_image(scan)
    assert result.steps == ["deskew"]
    assert result.details["deskew_degrees"] == pytest.approx(-4, abs=0.3)
    assert abs(estimate_skew(np.asarray(result.image))) <= 0.3


def test_preprocess_leaves_a_clean_upright_scan_alone(receipt: Image.Image) -> None:
    result = preprocess_image(receipt)
    assert result.steps == []
    assert result.image is receipt


def test_preprocess_denoises_only_noisy_images(receipt: Image.Image) -> None:
    rng = np.random.default_rng(0)
    noisy_pixels = np.asarray(receipt, dtype=np.float64) + rng.normal(0, 20, size=(receipt.height, receipt.width, 3))
    noisy = Image.fromarray(np.clip(noisy_pixels, 0, 255).astype(np.uint8))
    assert estimate_noise(np.asarray(noisy)) > estimate_noise(np.asarray(receipt)) + 5
    result = preprocess_image(noisy, steps=("denoise",))
    assert result.steps == ["denoise"]
    assert estimate_noise(np.asarray(result.image)) < estimate_noise(np.asarray(noisy)) / 2


def test_preprocess_none_changes_nothing(receipt: Image.Image) -> None:
    photo = photo_of(receipt, 5)
    doc = PreprocessStage(PipelineConfig(preprocess="none"))(_doc(photo))
    assert doc.pages[0].image is photo and doc.pages[0].coordinates == "original" and doc.pages[0].preprocess == []


def test_preprocess_skips_blank_tiny_and_pdf_text_pages() -> None:
    stage = PreprocessStage(PipelineConfig(preprocess="auto"))
    for img in (Image.new("RGB", (1, 1), "white"), Image.new("RGB", (400, 600), "white"), Image.new("RGB", (400, 600), "black")):
        doc = stage(_doc(img))
        assert doc.pages[0].coordinates == "original"
    digital = load_document(text_pdf([[(20, 30, "TOTAL 12.30")]]))
    before = digital.pages[0].image
    stage(digital)
    assert digital.pages[0].image is before and digital.pages[0].coordinates == "pdf"


def test_preprocess_does_not_crop_a_receipt_that_runs_off_the_photo(receipt: Image.Image) -> None:
    # paper filling the frame top to bottom: its "corners" are the frame's, not the paper's
    photo = Image.new("RGB", (receipt.width + 200, receipt.height), (60, 50, 45))
    photo.paste(receipt, (100, 0))
    assert "crop" not in preprocess_image(photo).steps


def test_preprocess_auto_helps_tesseract_read_a_photo(receipt: Image.Image) -> None:
    engine = get_engine("tesseract")
    photo = photo_of(receipt, 5)
    cleaned = preprocess_image(photo).image
    wanted = set(" ".join(LINES).split())
    read_raw = {w.text for w in engine.read(photo)} & wanted
    read_clean = {w.text for w in engine.read(cleaned)} & wanted
    assert read_clean == wanted
    assert len(read_clean) >= len(read_raw)
