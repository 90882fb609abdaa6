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
import os
import re
import stat
import warnings
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..config import LoadLimits
from ..document import Document, Page
from ..errors import (
    CorruptInputError,
    EmptyInputError,
    FileTooLargeError,
    ImageTooLargeError,
    InputError,
    InputNotFoundError,
    TooManyPagesError,
    UnsupportedFormatError,
)
from .pdf import _load_pdf  # PDF pages: text layer or rendering, in their own module

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
