"""One function for every front end (CLI extract and batch, server): a result in the format asked for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

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


class FolderExporter:
    """Writes one file per successful batch record into `folder` (`tillroll batch --export`).

    A record that lacks a mandatory business term is not written; its message is kept in
    `refused` so the batch summary can name them. Error records are skipped: they have no document.
    """

    def __init__(self, folder: Path, fmt: str) -> None:
        if fmt not in FORMATS or fmt == "json":
            raise ValueError(f"export format must be one of {', '.join(f for f in FORMATS if f != 'json')}")
        self.folder, self.fmt = folder, fmt
        self.folder.mkdir(parents=True, exist_ok=True)
        self.written = 0
        self.refused: list[str] = []
        self._used: set[str] = set()

    def __call__(self, record: dict[str, Any]) -> None:
        from ..errors import TillrollError

        if "error" in record:
            return
        source = str(record.get("source") or "document")
        try:
            doc = Document.from_dict(record)
            original = Path(source).read_bytes() if self.fmt == "facturx" else None
            data = render(doc, self.fmt, original)
        except TillrollError as exc:
            self.refused.append(f"{source}: {exc.message}")
            return
        except OSError as exc:
            self.refused.append(f"{source}: cannot read the original again ({exc.strerror or exc})")
            return
        stem = Path(source).stem or "document"
        candidate, n = stem, 1
        while candidate in self._used:  # a.pdf and b/a.pdf become a and a-2
            n += 1
            candidate = f"{stem}-{n}"
        self._used.add(candidate)
        (self.folder / f"{candidate}{SUFFIX[self.fmt]}").write_bytes(data)
        self.written += 1
