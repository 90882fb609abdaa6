"""PDF pages for the loader: the text layer where a page has one, else the page rendered for OCR.

`tillroll.io.load.load_document` calls `_load_pdf` after sniffing the format and
checking the size limits.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..config import LoadLimits
from ..document import Page
from ..errors import (
    CorruptInputError,
    EmptyInputError,
    EncryptedPDFError,
    TooManyPagesError,
)

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

    from ..ocr.base import OcrWord

# A path, the file's bytes, or an open binary stream (standard input, a pipe).


# pdfium error codes (FPDF_GetLastError) that mean "needs a password".
_PDFIUM_ERR_PASSWORD = 4
_PDFIUM_ERR_SECURITY = 5
# A scanned page whose text layer is only a page number or a stamp must still be
# OCR'd: trust the text layer unless it is this sparse on a page that is mostly picture.
_MIN_WORDS_OVER_A_SCAN = 5


def _load_pdf(data: bytes, limits: LoadLimits, label: str) -> list[tuple[Page, list[OcrWord]]]:
    try:
        import pypdfium2 as pdfium
    except ImportError as exc:  # pragma: no cover - core dependency
        from ..errors import EngineUnavailableError

        raise EngineUnavailableError("reading PDFs needs pypdfium2: pip install pypdfium2", source=label) from exc

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        err = getattr(exc, "err_code", None)
        text = str(exc).lower()
        if err in (_PDFIUM_ERR_PASSWORD, _PDFIUM_ERR_SECURITY) or "password" in text or "security" in text:
            raise EncryptedPDFError(
                "the PDF is password-protected; remove the password (e.g. print it to a new PDF) and try again",
                source=label,
            ) from exc
        raise CorruptInputError(f"the PDF is damaged and cannot be opened ({exc}); re-export or re-download it", source=label) from exc
    try:
        n_pages = len(pdf)
        if n_pages == 0:
            raise EmptyInputError("the PDF has no pages", source=label)
        if n_pages > limits.max_pages:
            raise TooManyPagesError(
                f"the PDF has {n_pages} pages, more than the limit of {limits.max_pages}; split it into one file per receipt or raise LoadLimits.max_pages",
                source=label,
            )
        pages = []
        for index in range(n_pages):
            try:
                pages.append(_load_pdf_page(pdf[index], index, limits, label, data))
            except pdfium.PdfiumError as exc:
                raise CorruptInputError(f"page {index + 1} of the PDF cannot be rendered ({exc}); re-export or re-download it", source=label) from exc
        return pages
    finally:
        pdf.close()


class _RenderPdfPage:
    """Renders one page of a PDF held in memory, on demand (see `Page.render_on_demand`).

    A page read from its text layer is rendered only if something needs its
    pixels (OCR, an overlay, the review store): most invoices never are.
    """

    def __init__(self, data: bytes, index: int, scale: float, label: str) -> None:
        self.data, self.index, self.scale, self.label = data, index, scale, label

    def __call__(self) -> Image.Image:
        import pypdfium2 as pdfium

        try:
            pdf = pdfium.PdfDocument(self.data)
            try:
                return _render(pdf[self.index], self.scale)
            finally:
                pdf.close()
        except pdfium.PdfiumError as exc:
            raise CorruptInputError(f"page {self.index + 1} of the PDF cannot be rendered ({exc}); re-export or re-download it", source=self.label) from exc


def _render(page: Any, scale: float) -> Image.Image:
    image: Image.Image = page.render(scale=scale, may_draw_forms=True).to_pil().convert("RGB")
    return image


def _load_pdf_page(page: Any, index: int, limits: LoadLimits, label: str, data: bytes | None = None) -> tuple[Page, list[OcrWord]]:
    width_pt, height_pt = page.get_size()  # already accounts for the page's /Rotate
    dpi = float(limits.pdf_dpi)
    # A poster-sized page at OCR resolution could exceed the pixel limit; render it
    # at the highest resolution that fits instead of refusing a legitimate file.
    pixels = (width_pt * dpi / 72) * (height_pt * dpi / 72)
    if pixels > limits.max_pixels:
        dpi = dpi * (limits.max_pixels / pixels) ** 0.5 * 0.999
    scale = dpi / 72.0
    # The bitmap size pdfium renders at this scale (pypdfium2 rounds up), known without rendering.
    width_px, height_px = math.ceil(page.get_width() * scale), math.ceil(page.get_height() * scale)
    words = _text_layer_words(page, width_px, height_px)
    if words and len(words) < _MIN_WORDS_OVER_A_SCAN and _mostly_picture(page, width_pt * height_pt):
        words = []
    result = Page(
        index=index,
        width=width_px,
        height=height_px,
        coordinates="pdf",
        text_source="pdf_text_layer" if words else "ocr",
        dpi=round(dpi, 2),
    )
    if words and data is not None:
        result.render_on_demand(_RenderPdfPage(data, index, scale, label))
    else:
        # OCR needs the picture: render now, while the PDF is open.
        result.image = _render(page, scale)
        result.width, result.height = result.image.size
    return result, words


def _mostly_picture(page: Any, page_area: float) -> bool:
    import pypdfium2.raw as pdfium_c

    covered = 0.0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        left, bottom, right, top = obj.get_bounds()
        covered += max(0.0, right - left) * max(0.0, top - bottom)
    return covered >= 0.5 * page_area


# The loose character box (font ascent to descent) is about 0.9-1.2 em tall for
# common faces; it stands in for the font size where pdfium reports a size that
# a text matrix scales (size 1 drawn 12 times larger).
_BOX_PER_EM = 1.1
# A word space is 0.25-0.33 em in text faces and never below a thin space (1/6 em);
# letters of one word sit at the run's letter spacing plus kerning (well under 0.1 em).
# A gap wider than the letter spacing by this much is a word break.
WORD_GAP_EM = 0.15


def em_size(reported: float, box_height: float) -> float:
    """The font size in page units: pdfium's when it agrees with the box, else from the box height."""
    if box_height * 0.6 <= reported <= box_height * 1.5:
        return reported
    return box_height / _BOX_PER_EM


def word_break(gap: float, em: float, spacing: list[float]) -> bool:
    """Whether a horizontal `gap` between two characters on one line separates two words.

    `spacing` holds the gaps between letters of words already read on this line:
    their median is the line's letter spacing (0 for ordinary text, a tenth of an
    em or more for letter-spaced headings), and a break must exceed it by
    WORD_GAP_EM. A fixed fraction of the box height glued words a producer
    placed a narrow space apart ("Transporttowaru") and, set wider, split
    letter-spaced words.
    """
    tracking = sorted(spacing[-9:])[len(spacing[-9:]) // 2] if spacing else 0.0
    return gap > max(0.0, tracking) + WORD_GAP_EM * em


def _text_layer_words(page: Any, width_px: int, height_px: int) -> list[OcrWord]:
    """Words of the page's text layer with boxes in the rendered image's pixels.

    pdfium reports character boxes in PDF user space (points, origin bottom-left,
    before /Rotate and crop box); FPDF_PageToDevice maps them onto the bitmap
    exactly as rendering did, so the boxes line up with the picture whatever the
    page's rotation or crop box.
    """
    import ctypes

    import pypdfium2.raw as pdfium_c

    from ..ocr.base import OcrWord

    textpage = page.get_textpage()
    try:
        n_chars = textpage.count_chars()
        if n_chars <= 0:
            return []
        raw_page = page.raw
        dev_x, dev_y = ctypes.c_int(), ctypes.c_int()

        def to_pixels(x: float, y: float) -> tuple[float, float]:
            pdfium_c.FPDF_PageToDevice(raw_page, 0, 0, width_px, height_px, 0, x, y, dev_x, dev_y)
            return float(dev_x.value), float(dev_y.value)

        words: list[OcrWord] = []
        # Characters are grouped into words in PDF user space, where a line of
        # text runs along x whatever the page's /Rotate; only finished words are
        # mapped to pixels. Loose boxes (font ascent to descent) keep "12.30" one
        # word: the tight box of "." would not overlap its neighbours vertically.
        chars: list[tuple[str, tuple[float, float, float, float]]] = []

        def flush() -> None:
            text = "".join(c for c, _ in chars).strip()
            if text:
                left = min(b[0] for _, b in chars)
                bottom = min(b[1] for _, b in chars)
                right = max(b[2] for _, b in chars)
                top = max(b[3] for _, b in chars)
                corners = [to_pixels(x, y) for x in (left, right) for y in (bottom, top)]
                xs, ys = [c[0] for c in corners], [c[1] for c in corners]
                words.append(OcrWord(text, (min(xs), min(ys), max(xs), max(ys)), 1.0))
            chars.clear()

        # pdfium's raw per-character calls: the pypdfium2 wrappers decode a text range
        # and build a rectangle per character, which dominated loading a text page.
        raw_text = textpage.raw
        unicode_of, loose_box = pdfium_c.FPDFText_GetUnicode, pdfium_c.FPDFText_GetLooseCharBox
        font_size = pdfium_c.FPDFText_GetFontSize
        rect = pdfium_c.FS_RECTF()
        # Gaps between letters of the same word on the current line: the run's letter
        # spacing (tracking), against which a word break is measured.
        spacing: list[float] = []
        for i in range(n_chars):
            code = unicode_of(raw_text, i)
            # Halves of a UTF-16 surrogate pair (an emoji) end a word, as decoding them did.
            ch = chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else ""
            if not ch or ch.isspace() or ch in ("\x00", "\ufffe", "\uffff"):
                flush()
                continue
            if not loose_box(raw_text, i, rect):
                flush()
                spacing.clear()
                continue
            box = (float(rect.left), float(rect.bottom), float(rect.right), float(rect.top))
            if chars:
                # Some producers place words without a space character between
                # them: split on a jump to another line or a word gap (see word_break).
                prev = chars[-1][1]
                h = max(1.0, prev[3] - prev[1], box[3] - box[1])
                same_line = min(prev[3], box[3]) - max(prev[1], box[1]) > 0.5 * h
                gap = box[0] - prev[2]
                if not same_line or gap < -2 * h:
                    flush()
                    spacing.clear()
                elif word_break(gap, em_size(font_size(raw_text, i), h), spacing):
                    flush()
                else:
                    spacing.append(gap)
            chars.append((ch, box))
        flush()
        return words
    finally:
        textpage.close()
