"""A PDF page read from its text layer is rendered only when its pixels are asked for (issue 16, speed)."""

from __future__ import annotations

import pickle

from samplekit import text_pdf
from tillroll.config import LoadLimits
from tillroll.document import Page
from tillroll.io.load import load_document


def test_text_layer_page_renders_on_first_use_at_the_announced_size() -> None:
    pdf = text_pdf([[(20, 30, "RECHNUNG"), (20, 60, "Gesamtbetrag 12,30")]])
    doc = load_document(pdf, name="invoice.pdf", limits=LoadLimits(pdf_dpi=144))
    page = doc.pages[0]
    assert page.text_source == "pdf_text_layer" and page.has_image
    assert "_render" in page.__dict__  # nothing rendered while loading
    image = page.image
    assert image is not None and image.size == (page.width, page.height) == (452, 800)
    assert page.image is image  # rendered once
    # A page whose image is replaced (preprocessing, rotation) forgets its renderer.
    page.image = None
    assert page.image is None and not page.has_image


def test_lazy_page_pickles_and_renders_in_another_process_image() -> None:
    doc = load_document(text_pdf([[(20, 30, "INVOICE 42")]]), name="a.pdf")
    copy = pickle.loads(pickle.dumps(doc.pages[0]))
    assert isinstance(copy, Page) and copy.image is not None and copy.image.size == (copy.width, copy.height)
