"""Turn a file (path or bytes) into a `Document` whose pages hold RGB images.

Supported: JPEG, PNG, TIFF (every page), WebP, BMP and PDF. The format is
sniffed from the first bytes, never trusted from the file name, because users
rename files and uploads arrive without names.

Two rules matter to the rest of tillroll:

- Raster pages are decoded as `ImageOps.exif_transpose(img).convert("RGB")` and
  never resized. The OCR cache keys on pixels, and word boxes are reported in
  the pixels of the page as loaded, so any silent rescale here would break both.
- A PDF page that carries a text layer (a digital invoice) gets its words and
  boxes straight from the PDF, in the pixel coordinates of the rendered page,
  and is marked `text_source="pdf_text_layer"` so the OCR stage skips it.

Every way a file can be bad ends in a typed `InputError` naming the file and
what to do about it; a tiny or blank image is not bad, it simply has no words.
"""

from __future__ import annotations

import io
import math
import os
import re
import stat
import warnings
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..config import LoadLimits
from ..document import Document, Page
from ..errors import (
    CorruptInputError,
    EmptyInputError,
    EncryptedPDFError,
    FileTooLargeError,
    ImageTooLargeError,
    InputError,
    InputNotFoundError,
    TooManyPagesError,
    UnsupportedFormatError,
)

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

    from ..ocr.base import OcrWord

# A path, the file's bytes, or an open binary stream (standard input, a pipe).
Source = str | Path | bytes | IO[bytes]

# Files are read in pieces of this size, so that a stream with no end (/dev/zero,
# a pipe fed forever) costs at most the size limit plus one piece of memory.
READ_CHUNK_BYTES = 1 << 20

SUPPORTED_FORMATS = ("jpeg", "png", "tiff", "webp", "bmp", "pdf")
_SUPPORTED_TEXT = "JPEG, PNG, TIFF, WebP, BMP or PDF"

# Formats users commonly try that we recognise, so the message can say what they are.
_KNOWN_UNSUPPORTED: tuple[tuple[bytes, int, str], ...] = (
    (b"GIF8", 0, "GIF"),
    (b"PK\x03\x04", 0, "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", 0, "a gzip archive"),
    (b"ftypheic", 4, "HEIC (iPhone photo)"),
    (b"ftypheix", 4, "HEIC (iPhone photo)"),
    (b"ftypmif1", 4, "HEIF"),
    (b"ftypavif", 4, "AVIF"),
    (b"<svg", 0, "SVG"),
    (b"<?xml", 0, "XML/SVG"),
)


# ---------------------------------------------------------------------------
# format sniffing


def sniff_format(data: bytes) -> str | None:
    """Return one of SUPPORTED_FORMATS from the magic bytes, or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:2] == b"BM" and len(data) >= 26:
        return "bmp"
    # The PDF spec lets "%PDF-" sit anywhere in the first 1024 bytes (some
    # producers prepend junk); pdfium accepts such files, so do we.
    if b"%PDF-" in data[:1024]:
        return "pdf"
    return None


def _describe_unknown(data: bytes) -> str:
    for magic, offset, what in _KNOWN_UNSUPPORTED:
        if data[offset : offset + len(magic)] == magic:
            return what
    head = data[:512]
    try:
        head.decode("utf-8")
        return "text, not an image"
    except UnicodeDecodeError:
        return "an unknown binary format"


# ---------------------------------------------------------------------------
# public entry point


def load_document(source: Source, limits: LoadLimits | None = None, name: str | None = None) -> Document:
    """Load `source` (a path, the file's bytes or a binary stream) into a Document with one Page per page.

    `name` is what errors and `Document.source` call the input (defaults to the
    path; bytes without a name are called "<bytes>" in messages).
    Raises an `InputError` subclass for every kind of bad input.
    """
    limits = limits or LoadLimits()
    data, label = _read_source(source, limits, name)
    fmt = sniff_format(data)
    if fmt is None:
        raise UnsupportedFormatError(
            f"this is {_describe_unknown(data)}; tillroll reads {_SUPPORTED_TEXT} files, so convert it to one of those",
            source=label,
        )
    if fmt == "pdf":
        pages = _load_pdf(data, limits, label)
    else:
        pages = _load_raster(data, fmt, limits, label)
    doc = Document(source=name if name is not None else (str(source) if isinstance(source, (str, Path)) else None))
    doc.meta["input_format"] = fmt
    for page, words in pages:
        doc.pages.append(page)
        if words:
            from ..ocr.stage import words_to_document

            words_to_document(doc, page.index, words)
    return doc


def read_limited(stream: IO[bytes], limit: int, label: str) -> bytes:
    """Read `stream` to its end, but never more than `limit` + 1 bytes.

    One byte over the limit is enough to know the input is too large, so a
    device or pipe that never ends (/dev/zero, `yes |`) is refused after reading
    `limit` + 1 bytes instead of filling the memory. Raises FileTooLargeError.
    """
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(min(READ_CHUNK_BYTES, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        chunks.clear()
        raise FileTooLargeError(
            f"the input is larger than the limit of {limit / 1e6:.1f} MB (reading stopped there); "
            "send a smaller scan (receipts read well at 200-300 dpi) or raise LoadLimits.max_bytes",
            source=label,
        )
    return b"".join(chunks)


def _read_path(path: Path, limits: LoadLimits, label: str) -> bytes:
    if path.is_symlink() and not path.exists():
        # exists() follows the link: a dangling link or a loop of links leads nowhere.
        raise InputNotFoundError(
            "this is a symbolic link that leads nowhere (its target is missing, or links point at each other in a loop); fix or remove the link",
            source=label,
        )
    if not path.exists():
        raise InputNotFoundError("no such file; check the path (and quote names with spaces)", source=label)
    if path.is_dir():
        raise InputError("this is a folder, not a file; pass the image or PDF files inside it", source=label)
    try:
        with open(path, "rb", buffering=0) as f:
            st = os.fstat(f.fileno())
            # A regular file says its size up front; devices and pipes do not and are read with the cap.
            if stat.S_ISREG(st.st_mode) and st.st_size > limits.max_bytes:
                raise FileTooLargeError(_too_many_bytes(st.st_size, limits), source=label)
            return read_limited(f, limits.max_bytes, label)
    except PermissionError as exc:
        raise InputError("permission denied; make the file readable for this user", source=label) from exc
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc}); check the path and the disk", source=label) from exc


def _read_source(source: Source, limits: LoadLimits, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        label = name or "<bytes>"
    elif isinstance(source, (str, Path)):
        path = Path(source)
        label = name or str(path)
        data = _read_path(path, limits, label)
    elif hasattr(source, "read"):
        label = name or "<stream>"
        try:
            data = read_limited(source, limits.max_bytes, label)
        except OSError as exc:
            raise InputError(f"cannot read the input ({exc.strerror or exc})", source=label) from exc
    else:
        raise InputError(f"expected a file path, bytes or a binary stream, got {type(source).__name__}", source=name)
    if not data:
        raise EmptyInputError("the file is empty (0 bytes); it was probably cut off while copying or uploading, send it again", source=label)
    if len(data) > limits.max_bytes:
        raise FileTooLargeError(_too_many_bytes(len(data), limits), source=label)
    return data, label


def _too_many_bytes(size: int, limits: LoadLimits) -> str:
    return (
        f"the file is {size / 1e6:.1f} MB, more than the limit of {limits.max_bytes / 1e6:.1f} MB; "
        "send a smaller scan (receipts read well at 200-300 dpi) or raise LoadLimits.max_bytes"
    )


def _too_many_pixels(width: int, height: int, limits: LoadLimits) -> str:
    return (
        f"the image is {width}x{height} = {width * height / 1e6:.1f} megapixels, more than the limit of "
        f"{limits.max_pixels / 1e6:.1f} megapixels (a guard against decompression bombs); "
        "scale it down or raise LoadLimits.max_pixels"
    )


def _bomb_message(exc: Exception, limits: LoadLimits) -> str:
    """Our pixel-limit message for Pillow's DecompressionBombError.

    Pillow refuses, at open time, images over twice its own threshold (about
    179 megapixels by default) before we can read the size, and its message
    ("could be decompression bomb DOS attack") names its threshold, not ours.
    The user should hear the same limit as for any other image that is too big.
    """
    found = re.search(r"\((\d+) pixels\)", str(exc))
    size = f"{int(found.group(1)) / 1e6:.1f} megapixels, " if found else ""
    return (
        f"the image is {size}more than the limit of {limits.max_pixels / 1e6:.1f} megapixels "
        "(a guard against decompression bombs); scale it down or raise LoadLimits.max_pixels"
    )


# ---------------------------------------------------------------------------
# raster images


# What Pillow raises on damaged image data. Besides I/O and format errors, a TIFF
# with a broken tag directory can raise KeyError or TypeError ("Missing dimensions").
_DAMAGED_IMAGE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, KeyError, TypeError)


def _allow_pixels(max_pixels: int) -> None:
    """Make sure Pillow's own decompression-bomb guard never fires before ours.

    Pillow refuses images over 2 x `Image.MAX_IMAGE_PIXELS` at open time, before
    we can read the size; our limit (`LoadLimits.max_pixels`) is checked right
    after open on the header's size. Pillow's threshold is only ever raised, never
    lowered, so concurrent loads with different limits stay safe.
    """
    from PIL import Image

    current = Image.MAX_IMAGE_PIXELS
    if current is not None and 2 * current < max_pixels:
        Image.MAX_IMAGE_PIXELS = max_pixels


def to_rgb(img: Image.Image) -> Image.Image:
    """EXIF-upright RGB pixels, exactly as the dataset readers and the OCR cache expect.

    Transparent images are flattened onto white, since receipts are dark ink on
    light paper and a plain convert would turn transparent paper black. 16-bit and
    float greyscale (scanner TIFFs) are scaled to 8 bits rather than clipped.
    """
    from PIL import Image, ImageOps

    img = ImageOps.exif_transpose(img)
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        import numpy as np

        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        img = Image.fromarray(np.clip(arr * (255.0 / top), 0, 255).astype(np.uint8), "L")
    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    if has_alpha:
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img.convert("RGB")


def _load_raster(data: bytes, fmt: str, limits: LoadLimits, label: str) -> list[tuple[Page, list[OcrWord]]]:
    from PIL import Image, UnidentifiedImageError

    _allow_pixels(limits.max_pixels)
    with warnings.catch_warnings():
        # Our own limit applies below; Pillow's warning at its lower default threshold is noise.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        # Pillow warns about damaged metadata (e.g. "Corrupt EXIF data") it then
        # skips; the pixels still decode, and stray warnings would clutter CLI output.
        warnings.filterwarnings("ignore", category=UserWarning, module="PIL")
        try:
            img = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as exc:
            raise ImageTooLargeError(_bomb_message(exc, limits), source=label) from exc
        except UnidentifiedImageError as exc:
            raise CorruptInputError(
                f"it starts like a {fmt.upper()} file but cannot be decoded; it is damaged, re-export or re-scan it",
                source=label,
            ) from exc
        except (OSError, ValueError, SyntaxError) as exc:
            raise CorruptInputError(f"the {fmt.upper()} data is damaged ({exc}); re-export or re-scan it", source=label) from exc

        try:
            n_frames = getattr(img, "n_frames", 1) if fmt == "tiff" else 1
        except _DAMAGED_IMAGE_ERRORS as exc:  # counting pages walks every TIFF directory
            raise CorruptInputError(f"the {fmt.upper()} data is damaged ({exc}); re-export or re-scan it", source=label) from exc
        if n_frames > limits.max_pages:
            raise TooManyPagesError(
                f"the TIFF has {n_frames} pages, more than the limit of {limits.max_pages}; split it into one file per receipt or raise LoadLimits.max_pages",
                source=label,
            )
        pages: list[tuple[Page, list[OcrWord]]] = []
        for index in range(n_frames):
            try:
                if n_frames > 1:
                    img.seek(index)
                width, height = img.size
                if width * height > limits.max_pixels:
                    raise ImageTooLargeError(_too_many_pixels(width, height, limits), source=label)
                img.load()
                rgb = to_rgb(img)
            except InputError:
                raise
            except Image.DecompressionBombError as exc:
                raise ImageTooLargeError(_bomb_message(exc, limits), source=label) from exc
            except _DAMAGED_IMAGE_ERRORS as exc:
                where = f"page {index + 1} of the " if n_frames > 1 else "the "
                raise CorruptInputError(
                    f"{where}{fmt.upper()} image is truncated or damaged ({exc}); the file was probably cut off, copy or upload it again",
                    source=label,
                ) from exc
            pages.append((Page(index=index, width=rgb.width, height=rgb.height, image=rgb), []))
        return pages


# ---------------------------------------------------------------------------
# PDF

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
        rect = pdfium_c.FS_RECTF()
        for i in range(n_chars):
            code = unicode_of(raw_text, i)
            # Halves of a UTF-16 surrogate pair (an emoji) end a word, as decoding them did.
            ch = chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else ""
            if not ch or ch.isspace() or ch in ("\x00", "\ufffe", "\uffff"):
                flush()
                continue
            if not loose_box(raw_text, i, rect):
                flush()
                continue
            box = (float(rect.left), float(rect.bottom), float(rect.right), float(rect.top))
            if chars:
                # Some producers place words without a space character between
                # them: split on a jump to another line or a wide horizontal gap.
                prev = chars[-1][1]
                h = max(1.0, prev[3] - prev[1], box[3] - box[1])
                same_line = min(prev[3], box[3]) - max(prev[1], box[1]) > 0.5 * h
                gap = box[0] - prev[2]
                if not same_line or gap > 0.5 * h or gap < -2 * h:
                    flush()
            chars.append((ch, box))
        flush()
        return words
    finally:
        textpage.close()
