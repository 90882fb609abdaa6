"""Where e-invoices enter the pipeline: before the page loader, by content.

`intercept` looks at the first bytes of an input. A bare XML file is read as CII or
UBL and is the whole result. A PDF that carries an XML invoice (and
`PipelineConfig.read_embedded_xml` is on) is read from its XML, and its page is still
extracted as usual so that `crosscheck` can compare the two. Everything else goes
on to the page loader untouched.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..document import Check, Document
from .base import EInvoiceError
from .crosscheck import crosscheck, crosscheck_tax_rows
from .read import ReadResult, looks_like_xml, read_einvoice, read_embedded

if TYPE_CHECKING:  # pragma: no cover
    from ..config import PipelineConfig
    from ..pipeline import Pipeline

# How much of a file is enough to tell XML and PDF from the rest.
_PEEK = 1024


def _peek(source: Any) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source[:_PEEK])
    try:
        with open(source, "rb") as fh:
            return fh.read(_PEEK)
    except (OSError, TypeError):
        return b""  # the page loader reports missing or unreadable files with its own messages


@dataclass
class Loaded:
    """An e-invoice input after loading: a finished document (bare XML), or a page to extract and then complete."""

    doc: Document
    finished: bool  # a bare XML invoice: no stages to run
    found: ReadResult | None = None  # the XML a PDF carries, when it could be read
    problems: list[Check] = field(default_factory=list)  # attachments that could not be read
    read_ms: float = 0.0

    def complete(self, page_doc: Document) -> Document:
        """The result once the stages have read the page: the XML's values plus the cross-check."""
        if self.finished:
            return self.doc
        if self.found is None:
            page_doc.checks.extend(self.problems)
            page_doc.timings_ms["einvoice"] = self.read_ms
            return page_doc
        return merge(self.found.document, page_doc, self.problems, self.read_ms)


def load(source: Any, name: str | None, config: PipelineConfig) -> tuple[Loaded | None, Any, str | None]:
    """(loaded, source, name): `loaded` is None for inputs that are no e-invoice (load them as usual
    from the returned source and name, which are the bytes when the file had to be read whole)."""
    if not isinstance(source, (bytes, bytearray, memoryview, str)) and hasattr(source, "read"):
        # A stream (standard input) cannot be peeked at: read it once, hand the bytes on.
        from ..io.load import _read_source

        source, name = _read_source(source, config.limits, name)
    head = _peek(source)
    is_xml = looks_like_xml(head)
    is_pdf = b"%PDF-" in head
    if not is_xml and not (is_pdf and config.read_embedded_xml):
        return None, source, name
    from ..io.load import _read_source, load_document

    t0 = time.perf_counter()
    label = name if name is not None else (None if isinstance(source, (bytes, bytearray, memoryview)) else str(source))
    data, _ = _read_source(source, config.limits, name)
    if is_xml:
        try:
            doc = read_einvoice(data, source="xml").document
        except EInvoiceError as exc:
            raise EInvoiceError(exc.message, source=label or "<bytes>") from exc
        doc.source = label
        doc.meta["input_format"] = "xml"
        doc.meta["version"] = _version()
        doc.timings_ms["einvoice"] = round((time.perf_counter() - t0) * 1000, 2)
        return Loaded(doc, finished=True), data, label

    found, problems = read_embedded(data)
    if found is None and not problems:
        return None, data, label  # a plain PDF
    read_ms = round((time.perf_counter() - t0) * 1000, 2)
    t1 = time.perf_counter()
    page_doc = load_document(data, limits=config.limits, name=label)
    page_doc.source = label
    page_doc.timings_ms["load"] = round((time.perf_counter() - t1) * 1000, 2)
    return Loaded(page_doc, finished=False, found=found, problems=problems, read_ms=read_ms), data, label


def intercept(pipeline: Pipeline, source: Any, name: str | None) -> tuple[Document | None, Any, str | None]:
    """(document, source, name): a finished document for e-invoice inputs, else (None, what to load, its name)."""
    loaded, source, name = load(source, name, pipeline.config)
    if loaded is None:
        return None, source, name
    if loaded.finished:
        return loaded.doc, source, name
    return loaded.complete(pipeline.run(loaded.doc)), source, name


def merge(xml_doc: Document, page_doc: Document, problems: list[Any], read_ms: float) -> Document:
    """The XML's values with the page's pictures, words and labels, and the cross-check."""
    xml_doc.source = page_doc.source
    xml_doc.pages = page_doc.pages
    xml_doc.words = page_doc.words
    xml_doc.key_values = page_doc.key_values
    xml_doc.checks = xml_doc.checks + problems + crosscheck(xml_doc, page_doc) + crosscheck_tax_rows(xml_doc, page_doc)
    xml_doc.timings_ms = {**page_doc.timings_ms, "einvoice": read_ms}
    einvoice = xml_doc.meta.get("einvoice", {})
    xml_doc.meta = {**page_doc.meta, "einvoice": einvoice}
    # What the page alone said, so a reviewer can see both sides of a disagreement.
    einvoice["page_fields"] = {n: f.value for n, f in page_doc.fields.items()}
    return xml_doc


def _version() -> str:
    from .. import __version__

    return __version__
