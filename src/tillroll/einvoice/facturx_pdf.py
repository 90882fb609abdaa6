"""Attach CII XML to the original PDF (or a scan turned into one) as a Factur-X file.

factur-x's `generate_from_binary` does the PDF work: it embeds the XML as
factur-x.xml with AFRelationship "Data", and writes the XMP metadata that names the
Factur-X profile and the PDF/A-3 conformance level. It does not convert the page
content to PDF/A (fonts, colour profiles): a source PDF that is not PDF/A already
gives a Factur-X file a strict PDF/A validator may still reject (docs/einvoices.md).
"""

from __future__ import annotations

import io

from ..errors import InputError


def image_to_pdf(data: bytes) -> bytes:
    """A one-page-per-frame PDF of a raster scan, so that a photo can carry the XML too."""
    from PIL import Image, ImageSequence

    from ..io.load import to_rgb

    try:
        img = Image.open(io.BytesIO(data))
        frames = [to_rgb(frame.copy()) for frame in ImageSequence.Iterator(img)]
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot turn the scan into a PDF ({exc})") from exc
    out = io.BytesIO()
    frames[0].save(out, format="PDF", save_all=True, append_images=frames[1:], resolution=200.0)
    return out.getvalue()


def facturx_pdf(original: bytes, cii_xml: bytes) -> bytes:
    """The original file (PDF or image) with `cii_xml` attached as a Factur-X EN 16931 invoice."""
    import logging

    from facturx import generate_from_binary

    pdf = original if b"%PDF-" in original[:1024] else image_to_pdf(original)
    # factur-x logs every step at INFO/WARNING on its own logger; the CLI reports outcomes itself.
    logging.getLogger("factur-x").setLevel(logging.ERROR)
    # The XML was validated against the XSD when it was written; factur-x need not compile it again.
    return bytes(generate_from_binary(pdf, cii_xml, flavor="factur-x", level="en16931", check_xsd=False))
