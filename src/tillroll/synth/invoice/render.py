"""Draw laid-out invoice pages: as greyscale images (Pillow) and as a text-layer PDF (reportlab).

Both draw every word at the same position in points with the same TrueType
face, so the word boxes of the layout hold for the image and for the PDF
rendered at the same resolution (the PDF loader renders at 200 dpi, the
images are drawn at 200 dpi).
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import EngineUnavailableError
from .layout import PAGE_H, PAGE_W, Pages, PlacedWord

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image, ImageFont

DPI = 200.0


@lru_cache(maxsize=64)
def _font(path: Path, size_px: float) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(str(path), size_px)


def render_images(pages: Pages, count: int, dpi: float = DPI) -> list[Image.Image]:
    """One greyscale A4 image per page, words and rules drawn at `dpi`."""
    from PIL import Image, ImageDraw

    scale = dpi / 72.0
    size = (round(PAGE_W * scale), round(PAGE_H * scale))
    images = [Image.new("L", size, 255) for _ in range(count)]
    draws = [ImageDraw.Draw(img) for img in images]
    style = pages.style
    for rule in pages.rules:
        draws[rule.page].line([(rule.x0 * scale, rule.y0 * scale), (rule.x1 * scale, rule.y1 * scale)], fill=60, width=max(1, round(rule.width * scale)))
    for w in pages.words:
        font = _font(style.bold if w.bold else style.regular, round(w.size * scale * 4) / 4)
        draws[w.page].text((w.box[0] * scale, w.baseline * scale), w.text, font=font, fill=0, anchor="ls")
    return images


def reportlab_available() -> bool:
    try:
        import reportlab  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        return False
    return True


def render_pdf(pages: Pages, count: int, title: str = "invoice") -> bytes:
    """A text-layer PDF of the pages (fonts embedded), as a digital invoice arrives by e-mail."""
    try:
        # reportlab ships no type hints; its calls are typed Any here.
        from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
        from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]
        from reportlab.pdfgen import canvas  # type: ignore[import-untyped]
    except ImportError as exc:
        raise EngineUnavailableError("text-layer PDF invoices need reportlab: pip install 'tillroll[synth]' (or pip install reportlab)") from exc
    style = pages.style
    names = {}
    for bold, path in ((False, style.regular), (True, style.bold)):
        name = f"tr-{Path(path).stem}"
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(path)))
        names[bold] = name
    buffer = io.BytesIO()
    # invariant=1: no creation date or random id, so the same seed gives the same bytes.
    pdf = canvas.Canvas(buffer, pagesize=(PAGE_W, PAGE_H), invariant=1, pageCompression=1)
    pdf.setTitle(title)
    for page in range(count):
        pdf.setStrokeGray(0.25)
        for rule in (r for r in pages.rules if r.page == page):
            pdf.setLineWidth(rule.width)
            pdf.line(rule.x0, PAGE_H - rule.y0, rule.x1, PAGE_H - rule.y1)
        # One string per placed run, spaces included: the text layer then has the word
        # breaks a PDF reader expects (the words sit where the layout measured them).
        runs: dict[int, list[PlacedWord]] = {}
        for w in (w for w in pages.words if w.page == page):
            runs.setdefault(w.segment, []).append(w)
        for run in runs.values():
            first = run[0]
            pdf.setFont(names[first.bold], first.size)
            pdf.drawString(first.box[0], PAGE_H - first.baseline, " ".join(w.text for w in run))
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def tiff_bytes(images: list[Image.Image], dpi: float = DPI) -> bytes:
    """A multi-page TIFF (lossless) of the page images: the scanned form of the invoice."""
    buffer = io.BytesIO()
    images[0].save(buffer, format="TIFF", save_all=True, append_images=images[1:], compression="tiff_adobe_deflate", dpi=(dpi, dpi))
    return buffer.getvalue()
