from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from samplekit import image_pdf, render_lines, text_pdf
from tillroll.config import PipelineConfig
from tillroll.errors import ConfigError, EngineUnavailableError
from tillroll.ocr.base import OcrWord, engine_names, get_engine
from tillroll.ocr.stage import OcrStage
from tillroll.pipeline import Pipeline

KNOWN_LINES = ["CAFE VALLETTA", "TOTAL 12.30", "VAT MT12345678"]


@pytest.fixture(scope="module")
def known_text_image() -> Image.Image:
    return render_lines(KNOWN_LINES, size=44)


@pytest.mark.parametrize("engine_name", ["rapidocr", "tesseract"])
def test_ocr_engine_reads_rendered_text(engine_name: str, known_text_image: Image.Image) -> None:
    engine = get_engine(engine_name)
    words = engine.read(known_text_image)
    assert [w.text for w in sorted(words, key=lambda w: (round(w.box[1] / 40), w.box[0]))] == " ".join(KNOWN_LINES).split()
    for w in words:
        assert 0.0 <= w.confidence <= 1.0
        x0, y0, x1, y1 = w.box
        assert 0 <= x0 < x1 <= known_text_image.width and 0 <= y0 < y1 <= known_text_image.height
    # boxes are where the words were drawn: "TOTAL" sits on the second line, left
    total = next(w for w in words if w.text == "TOTAL")
    line_h = int(44 * 1.6)
    assert 40 + line_h - 10 <= (total.box[1] + total.box[3]) / 2 <= 40 + 2 * line_h
    assert total.box[0] < 80


@pytest.mark.parametrize("engine_name", ["rapidocr", "tesseract"])
def test_ocr_engine_finds_nothing_on_blank_or_tiny_pages(engine_name: str) -> None:
    engine = get_engine(engine_name)
    assert engine.read(Image.new("RGB", (1, 1), "white")) == []
    assert engine.read(Image.new("RGB", (300, 400), "white")) == []


@pytest.mark.parametrize("engine_name", ["rapidocr", "tesseract"])
def test_ocr_pipeline_groups_engine_words_into_lines(engine_name: str, known_text_image: Image.Image) -> None:
    doc = Pipeline(PipelineConfig(ocr=engine_name)).run(_doc_of(known_text_image))
    assert [[w.text for w in line] for line in doc.lines()] == [line.split() for line in KNOWN_LINES]
    assert [w.id for w in doc.words] == list(range(len(doc.words)))


def test_ocr_registry_names_engines_and_refuses_unknown_ones() -> None:
    assert {"rapidocr", "tesseract", "static"} <= set(engine_names())
    with pytest.raises(ConfigError, match="rapidocr"):
        get_engine("abbyy")


def test_ocr_tesseract_says_what_to_install_when_missing(tmp_path: Path) -> None:
    from tillroll.ocr.tesseract import TesseractEngine

    with pytest.raises(EngineUnavailableError, match="apt-get install tesseract-ocr tesseract-ocr-eng"):
        TesseractEngine(binary=str(tmp_path / "no-tesseract-here"))
    with pytest.raises(EngineUnavailableError, match="tesseract-ocr-klingon"):
        TesseractEngine(lang="klingon")


class _CountingEngine:
    """A real engine that also counts calls, to prove which pages were OCR'd."""

    name = "counting"

    def __init__(self) -> None:
        self.inner = get_engine("tesseract")
        self.calls = 0

    def read(self, image: Image.Image) -> list[OcrWord]:
        self.calls += 1
        return self.inner.read(image)


def test_ocr_skips_pdf_pages_with_a_text_layer() -> None:
    engine = _CountingEngine()
    config = PipelineConfig()
    pipeline = Pipeline(config, stages=[OcrStage(config, engine=engine)])
    doc = pipeline.process(text_pdf([[(20, 30, "TOTAL 12.30")]]), name="digital.pdf")
    assert engine.calls == 0
    assert [w.text for w in doc.words] == ["TOTAL", "12.30"]
    assert doc.pages[0].text_source == "pdf_text_layer"
    # a scanned PDF (picture only) is OCR'd
    scanned = pipeline.process(image_pdf(render_lines(["TOTAL 12.30"], size=40), size=(300, 100)), name="scan.pdf")
    assert engine.calls == 1
    assert [w.text for w in scanned.words] == ["TOTAL", "12.30"]


def _doc_of(image: Image.Image):  # noqa: ANN202 - small local helper
    from tillroll.document import Document, Page

    return Document(source="rendered", pages=[Page(index=0, width=image.width, height=image.height, image=image)])


def test_every_user_facing_engine_is_registered_and_offered_by_the_cli() -> None:
    from tillroll.cli.extract import OcrChoice
    from tillroll.config import DEFAULT_ENGINE, OCR_ENGINES
    from tillroll.evaluate.common import OCR_CHOICES

    assert set(OCR_ENGINES) <= set(engine_names())
    assert [choice.value for choice in OcrChoice] == list(OCR_ENGINES)
    assert DEFAULT_ENGINE in OCR_ENGINES and OCR_CHOICES == (*OCR_ENGINES, "gold")
