"""The server's `format` option: a result as EN 16931 XML (CII, UBL) or a Factur-X PDF instead of JSON."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from ..document import Document
from ..einvoice.output import FORMATS, MEDIA_TYPE, SUFFIX, render
from ..errors import ConfigError


def check_format(fmt: str | None) -> str:
    """The requested format, "json" when none; an unknown one is a 400 before any work is done."""
    fmt = (fmt or "json").lower()
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt


def einvoice_response(result: dict[str, Any], fmt: str, original: bytes, headers: dict[str, str]) -> Response:
    """`result` (a schema-v1 dict) rendered as `fmt`; a missing mandatory business term raises
    MissingBusinessTermsError, which the app's error handler turns into a 422 listing the terms."""
    doc = Document.from_dict(result)
    body = render(doc, fmt, original)
    stem = (doc.source or "invoice").rsplit("/", 1)[-1].rsplit(".", 1)[0] or "invoice"
    disposition = {"Content-Disposition": f'attachment; filename="{stem}{SUFFIX[fmt]}"'}
    return Response(body, media_type=MEDIA_TYPE[fmt], headers={**headers, **disposition})
