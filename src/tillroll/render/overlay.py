"""Draw a page with every word's box, coloured by its label, and a legend.

The overlay is how a person checks tillroll's work at a glance: which words
were read at all (OCR), and what each was taken for (label). It is drawn on the
exact image the boxes refer to (after preprocessing, or the rendered PDF page),
so boxes always sit on their words.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..document import Document
from ..errors import ConfigError
from ..labels import LABEL_COLOURS, LABELS, UNLABELLED_COLOUR

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image, ImageDraw, ImageFont

UNLABELLED = "unlabelled"
_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    for path in _FONT_FILES:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def _page_image(doc: Document, page_index: int) -> Image.Image:
    from PIL import Image

    page = doc.pages[page_index]
    if page.image is not None:
        return page.image.convert("RGB")
    # A document read back from JSON has no pixels: draw the boxes on white paper.
    return Image.new("RGB", (max(1, page.width), max(1, page.height)), "white")


def draw_overlay(doc: Document, page_index: int = 0, legend: bool = True, fill_alpha: int = 56, links: bool = True) -> Image.Image:
    """The page image with each word boxed in its label's colour and a legend of the labels shown.

    With `links`, every key->value pair of `doc.key_values` is drawn too: key
    and value boxed in `LINK_COLOUR` and joined by an arrow from key to value.

    Unlabelled words (before any model ran) are drawn in `UNLABELLED_COLOUR`.
    Boxes get a translucent fill so that a label stays visible on dense text.
    """
    from PIL import Image, ImageDraw

    if not 0 <= page_index < len(doc.pages):
        raise ConfigError(f"the document has {len(doc.pages)} page(s); there is no page {page_index + 1} to draw")
    base = _page_image(doc, page_index)
    words = [w for w in doc.words if w.page == page_index]
    line_width = max(1, round(min(base.size) / 400))

    fills = Image.new("RGBA", base.size, (0, 0, 0, 0))
    fill_draw = ImageDraw.Draw(fills)
    shown: dict[str, tuple[int, int, int]] = {}
    for w in words:
        name = w.label if w.label in LABEL_COLOURS else UNLABELLED
        colour = LABEL_COLOURS.get(name, UNLABELLED_COLOUR)
        shown[name] = colour
        box = [w.x0, w.y0, max(w.x0, w.x1), max(w.y0, w.y1)]
        fill_draw.rectangle(box, fill=(*colour, fill_alpha))
    image = Image.alpha_composite(base.convert("RGBA"), fills).convert("RGB")
    outlines = ImageDraw.Draw(image)
    for w in words:
        colour = LABEL_COLOURS.get(w.label or "", UNLABELLED_COLOUR)
        outlines.rectangle([w.x0, w.y0, max(w.x0, w.x1), max(w.y0, w.y1)], outline=colour, width=line_width)
    n_links = _draw_links(outlines, doc, page_index, line_width) if links else 0
    if not legend:
        return image
    return _with_legend(image, shown, len(words), n_links)


LINK_COLOUR = (214, 0, 140)  # key->value links: a magenta no label uses


def _draw_links(draw: ImageDraw.ImageDraw, doc: Document, page_index: int, line_width: int) -> int:
    """Box each key and value of `doc.key_values` on this page and join them with an arrow; returns how many."""
    import math

    by_id = {w.id: w for w in doc.words if w.page == page_index}

    def extent(ids: list[int]) -> tuple[float, float, float, float] | None:
        ws = [by_id[i] for i in ids if i in by_id]
        if not ws:
            return None
        return (min(w.x0 for w in ws), min(w.y0 for w in ws), max(w.x1 for w in ws), max(w.y1 for w in ws))

    drawn = 0
    pad = 2 * line_width
    for kv in doc.key_values:
        kb, vb = extent(kv.key_word_ids), extent(kv.value_word_ids)
        if kb is None or vb is None:
            continue
        for b in (kb, vb):
            draw.rectangle([b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad], outline=LINK_COLOUR, width=line_width)
        # From the key's right edge (or bottom, for a value below it) to the value's nearest side.
        below = vb[1] >= kb[3] and vb[0] < kb[2]
        start = ((kb[0] + kb[2]) / 2, kb[3] + pad) if below else (kb[2] + pad, (kb[1] + kb[3]) / 2)
        end = ((vb[0] + vb[2]) / 2, vb[1] - pad) if below else (vb[0] - pad, (vb[1] + vb[3]) / 2)
        draw.line([start, end], fill=LINK_COLOUR, width=line_width)
        angle = math.atan2(end[1] - start[1], end[0] - start[0])
        head = 4 * line_width + 4
        for side in (-0.45, 0.45):
            draw.line([end, (end[0] - head * math.cos(angle + side), end[1] - head * math.sin(angle + side))], fill=LINK_COLOUR, width=line_width)
        drawn += 1
    return drawn


def _with_legend(image: Image.Image, shown: dict[str, tuple[int, int, int]], n_words: int, n_links: int = 0) -> Image.Image:
    """Put a legend panel to the right of the page (never over the text)."""
    from PIL import Image, ImageDraw

    size = max(12, min(28, image.height // 60))
    font = _font(size)
    order = [label for label in LABELS if label in shown] + ([UNLABELLED] if UNLABELLED in shown else [])
    rows = [(f"{n_words} words", None)] + [(label, shown[label]) for label in order]
    if n_links:
        rows.append((f"key -> value ({n_links})", LINK_COLOUR))
    row_h = int(size * 1.6)
    swatch = size
    text_w = max(int(font.getlength(text)) for text, _ in rows)
    panel_w = swatch + text_w + 3 * size
    canvas = Image.new("RGB", (image.width + panel_w, max(image.height, row_h * len(rows) + size)), "white")
    canvas.paste(image, (0, 0))
    draw = ImageDraw.Draw(canvas)
    x = image.width + size
    for i, (text, colour) in enumerate(rows):
        y = size // 2 + i * row_h
        if colour is not None:
            draw.rectangle([x, y, x + swatch, y + swatch], fill=colour, outline=(0, 0, 0))
            draw.text((x + swatch + size // 2, y), text, fill=(0, 0, 0), font=font)
        else:
            draw.text((x, y), text, fill=(80, 80, 80), font=font)
    return canvas


def save_overlays(doc: Document, out_dir: str | Path, stem: str) -> list[Path]:
    """Write one PNG per page (`<stem>.png`, or `<stem>.p<N>.png` for multi-page) and return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for page in doc.pages:
        name = f"{stem}.png" if len(doc.pages) == 1 else f"{stem}.p{page.index + 1}.png"
        path = out / name
        draw_overlay(doc, page.index).save(path)
        paths.append(path)
    return paths
