"""Pipeline stage that fills `doc.words` from page images with the configured engine."""

from __future__ import annotations

from ..config import PipelineConfig
from ..document import Document, Word
from .base import OcrEngine, OcrWord, get_engine
from .lines import assign_lines


def words_to_document(doc: Document, page_index: int, ocr_words: list[OcrWord]) -> None:
    """Append one page's words to `doc` with line ids and reading order; ids stay positions."""
    next_line = 1 + max((w.line for w in doc.words if w.line is not None), default=-1)
    words = [
        Word(id=-1, page=page_index, text=w.text, box=tuple(float(v) for v in w.box), ocr_confidence=round(float(w.confidence), 4))  # type: ignore[arg-type]
        for w in ocr_words
        if w.text.strip()
    ]
    doc.words.extend(assign_lines(words, first_line_id=next_line))
    doc.renumber_words()


class OcrStage:
    name = "ocr"

    def __init__(self, config: PipelineConfig, engine: OcrEngine | None = None) -> None:
        self.config = config
        self.engine = engine or get_engine(config.ocr)

    def __call__(self, doc: Document) -> Document:
        for page in doc.pages:
            if page.text_source != "ocr":
                continue  # words came from a PDF text layer or an annotation
            if page.image is None:
                continue
            words_to_document(doc, page.index, self.engine.read(page.image))
        return doc
