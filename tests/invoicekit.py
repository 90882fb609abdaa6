"""Invoices built by hand as words with boxes, the way a PDF text layer (or OCR) hands them to the reader.

`row(y, (x, "text"), ...)` is one printed line: each cell's words placed one
after another from x, `space` pixels apart; `make_doc(pages)` turns pages of
rows into a `Document`. Every character is CHAR_W wide and every line LINE_H
high, so a test can say where a word ends.

The word space matters to the PDF word-gap rule (letter spacing plus 0.15 em
joins, more splits): the default of one character width is what the tests of
tables and parties were written with; `WORD_SPACE` (8 px, about a quarter of
the line height, as text faces set it) is the real one.
"""

from __future__ import annotations

from tillroll.document import Document, Page, Word

A4 = (1654, 2339)
CHAR_W, LINE_H = 17.0, 30.0
WORD_SPACE = 8.0

Row = tuple[float, list[tuple[float, str]]]


def row(y: float, *cells: tuple[float, str], space: float = CHAR_W) -> Row:
    """A printed line at height y: each (x, text) cell's words one after another, `space` pixels apart."""
    words: list[tuple[float, str]] = []
    for x, text in cells:
        for w in text.split():
            words.append((x, w))
            x += CHAR_W * len(w) + space
    return (y, words)


def make_doc(pages: list[list[Row]], size: tuple[int, int] = A4, text_layer: bool = True) -> Document:
    """A document whose pages hold the rows' words; each row is one line (ids count on across pages)."""
    doc = Document(source="test.pdf")
    line_id = 0
    for index, lines in enumerate(pages):
        doc.pages.append(Page(index=index, width=size[0], height=size[1], coordinates="pdf", text_source="pdf_text_layer" if text_layer else "ocr", dpi=200))
        for y, words in lines:
            for x, text in words:
                doc.words.append(Word(len(doc.words), index, text, (x, y, x + CHAR_W * len(text), y + LINE_H), line=line_id))
            line_id += 1
    return doc


def read_rows(rows: list[Row], text_layer: bool = True) -> Document:
    """One page of `rows` read as an invoice, as the pipeline's invoice stage reads it (it must be taken for one)."""
    from tillroll.extract.invoice import classify, prepare, read_invoice

    doc = make_doc([rows], text_layer=text_layer)
    lines = prepare(doc)
    kind, _, evidence = classify(doc, lines)
    assert kind == "invoice", evidence
    return read_invoice(doc, kind, lines)
