from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tillroll.document import Document, Page, Word
from tillroll.errors import ConfigError
from tillroll.labels import LABEL_COLOURS, UNLABELLED_COLOUR
from tillroll.render import draw_overlay, save_overlays


def _doc(pages: int = 1) -> Document:
    doc = Document(pages=[Page(index=i, width=300, height=200, image=Image.new("RGB", (300, 200), "white")) for i in range(pages)])
    doc.words = [
        Word(0, 0, "TOTAL", (20, 20, 120, 60), line=0),
        Word(1, 0, "12.30", (180, 20, 280, 60), line=0),
    ]
    doc.words[0].set_label("total", 0.9, "model")
    return doc


def _has_colour(img: Image.Image, colour: tuple[int, int, int], region: tuple[int, int, int, int]) -> bool:
    x0, y0, x1, y1 = region
    pixels = np.asarray(img)[y0:y1, x0:x1].reshape(-1, 3)
    return bool((np.abs(pixels.astype(int) - colour).sum(axis=1) < 10).any())


def test_overlay_boxes_words_in_their_label_colour_with_a_legend() -> None:
    img = draw_overlay(_doc())
    assert img.height == 200 and img.width > 300  # legend panel on the right, page untouched in size
    assert _has_colour(img, LABEL_COLOURS["total"], (18, 18, 122, 62))
    assert _has_colour(img, UNLABELLED_COLOUR, (178, 18, 282, 62))
    legend = (300, 0, img.width, img.height)
    assert _has_colour(img, LABEL_COLOURS["total"], legend) and _has_colour(img, UNLABELLED_COLOUR, legend)
    assert not _has_colour(img, LABEL_COLOURS["address"], legend)  # only labels that occur are listed


def test_overlay_draws_a_document_without_pixels_on_white() -> None:
    doc = Document.from_dict(_doc().to_dict())  # read back from JSON: no image
    img = draw_overlay(doc, legend=False)
    assert img.size == (300, 200)
    assert _has_colour(img, LABEL_COLOURS["total"], (18, 18, 122, 62))


def test_overlay_saves_one_png_per_page(tmp_path: Path) -> None:
    assert [p.name for p in save_overlays(_doc(), tmp_path, "r")] == ["r.png"]
    assert [p.name for p in save_overlays(_doc(pages=2), tmp_path, "m")] == ["m.p1.png", "m.p2.png"]
    with pytest.raises(ConfigError, match="page"):
        draw_overlay(_doc(), page_index=3)
