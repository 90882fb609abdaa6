"""Build small receipts by hand for rule and assembly tests: text layout in, Document out.

Rows are written as they would print on a monospaced till roll; each character is
10 px wide and each row 24 px tall, so column alignment in the source is the
alignment the rules see.
"""

from __future__ import annotations

from tillroll.document import Document, Page
from tillroll.ocr.base import OcrWord
from tillroll.ocr.stage import words_to_document

CHAR_W = 10
ROW_H = 24


def layout_words(rows: list[str]) -> list[OcrWord]:
    words = []
    for r, row in enumerate(rows):
        i = 0
        while i < len(row):
            if row[i] == " ":
                i += 1
                continue
            j = i
            while j < len(row) and row[j] != " ":
                j += 1
            y0 = r * ROW_H + 4
            words.append(OcrWord(row[i:j], (i * CHAR_W, y0, j * CHAR_W, y0 + 16), 0.99))
            i = j
    return words


def build(rows: list[str]) -> Document:
    width = max(len(r) for r in rows) * CHAR_W
    doc = Document(source="hand-built", pages=[Page(0, width, len(rows) * ROW_H)])
    words_to_document(doc, 0, layout_words(rows))
    return doc


def word_with(doc: Document, text: str):
    return next(w for w in doc.words if w.text == text)
