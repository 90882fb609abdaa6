"""Small files built on the fly for tests: rendered text images and hand-written PDFs.

Tests must not depend on downloaded or shipped binaries, so every image or PDF a
test reads is produced here from known text; what the test expects is then the
text it rendered.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation")


def font(size: int = 48, mono: bool = True) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    names = ("DejaVuSansMono.ttf", "LiberationMono-Regular.ttf") if mono else ("DejaVuSans.ttf", "LiberationSans-Regular.ttf")
    for d in FONT_DIRS:
        for n in names:
            p = Path(d) / n
            if p.exists():
                return ImageFont.truetype(str(p), size)
    return ImageFont.load_default(size=size)


def render_lines(lines: list[str], size: int = 48, margin: int = 40, width: int | None = None) -> Image.Image:
    """Black text on white, one string per line, large and clean enough for any OCR engine."""
    f = font(size)
    line_h = int(size * 1.6)
    text_w = max(int(f.getlength(t)) for t in lines) if lines else 0
    img = Image.new("RGB", (width or text_w + 2 * margin, line_h * len(lines) + 2 * margin), "white")
    draw = ImageDraw.Draw(img)
    for i, t in enumerate(lines):
        draw.text((margin, margin + i * line_h), t, fill="black", font=f)
    return img


def image_bytes(img: Image.Image, fmt: str, **save_args: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **save_args)
    return buf.getvalue()


def _pdf(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """Assemble numbered objects into a PDF with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R ".encode() + trailer_extra + b">>\n"
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def text_pdf(pages: list[list[tuple[float, float, str]]], size: tuple[float, float] = (226.0, 400.0), font_size: float = 12, rotate: int = 0) -> bytes:
    """A PDF whose pages carry a real Helvetica text layer: (x, y_from_top, text) per run, in points."""
    w, h = size
    n = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n))
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode()]
    font_obj = 3 + 2 * n
    for runs in pages:
        stream = b"".join(f"BT /F1 {font_size} Tf {x} {h - y - font_size} Td ({t}) Tj ET\n".encode("latin-1") for x, y, t in runs)
        page_no = len(objects) + 1
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] /Rotate {rotate} "
            f"/Resources << /Font << /F1 {font_obj} 0 R >> >> /Contents {page_no + 1} 0 R >>".encode()
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"endstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    return _pdf(objects)


def image_pdf(img: Image.Image, size: tuple[float, float] = (226.0, 400.0), stamp: str | None = None) -> bytes:
    """A scanned-style PDF: one page that is a picture, with no text layer or only a `stamp` (e.g. "1/1")."""
    w, h = size
    rgb = img.convert("RGB")
    data = zlib.compress(rgb.tobytes())
    stream = f"q {w} 0 0 {h} 0 0 cm /Im0 Do Q".encode()
    if stamp:
        stream += f" BT /F1 6 Tf 4 4 Td ({stamp}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] /Resources << /XObject << /Im0 5 0 R >> /Font << /F1 6 0 R >> >> /Contents 4 0 R >>".encode(),
        f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream",
        f"<< /Type /XObject /Subtype /Image /Width {rgb.width} /Height {rgb.height} /ColorSpace /DeviceRGB "
        f"/BitsPerComponent 8 /Filter /FlateDecode /Length {len(data)} >>\nstream\n".encode()
        + data
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    return _pdf(objects)


def encrypted_pdf() -> bytes:
    """A PDF locked with a user password (standard security handler, RC4 40-bit).

    The /O and /U entries are not derived from any password we know, so no
    empty or guessed password opens it: exactly what a user's locked bank
    statement looks like to a reader without the password.
    """
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> >>",
    ]
    return _pdf(objects, trailer_extra=b"/Encrypt 4 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] ")
