"""One function for every front end (CLI extract and batch, server): a result in the format asked for."""

from __future__ import annotations

import json
from typing import Final

from ..document import Document

# Output formats of `tillroll extract --format` and the server's `format` parameter.
FORMATS: Final[tuple[str, ...]] = ("json", "cii", "ubl", "facturx")
SUFFIX: Final[dict[str, str]] = {"json": ".json", "cii": ".cii.xml", "ubl": ".ubl.xml", "facturx": ".pdf"}
MEDIA_TYPE: Final[dict[str, str]] = {
    "json": "application/json",
    "cii": "application/xml",
    "ubl": "application/xml",
    "facturx": "application/pdf",
}


def render(doc: Document, fmt: str, original: bytes | None = None) -> bytes:
    """`doc` as bytes in `fmt`. XML formats raise MissingBusinessTermsError when a mandatory term is missing;
    "facturx" needs the `original` file the document was read from."""
    if fmt == "json":
        return (json.dumps(doc.to_dict(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if fmt == "cii":
        from .export_cii import export_cii

        return export_cii(doc)
    if fmt == "ubl":
        from .export_ubl import export_ubl

        return export_ubl(doc)
    if fmt == "facturx":
        from ..errors import InputError
        from .export_cii import export_cii
        from .facturx_pdf import facturx_pdf
        from .read import looks_like_xml

        if original is None or looks_like_xml(original):
            raise InputError(
                "format facturx needs the original file (a PDF or a scan) to attach the XML to; a bare XML invoice has no page",
                source=doc.source,
            )
        return facturx_pdf(original, export_cii(doc))
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
