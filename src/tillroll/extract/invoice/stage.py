"""`invoice` stage: decides the document type and, for invoices and credit notes, reads them.

Runs after the receipt assembler. A document decided to be a receipt passes
through unchanged, so receipt scores cannot move because of this stage. The
visual reading runs whether or not a PDF also carries machine-readable XML:
the e-invoice reader (issue 17) cross-checks against it.
"""

from __future__ import annotations

from ...config import PipelineConfig
from ...document import Document
from .reader import classify, prepare, read_invoice


class InvoiceStage:
    name = "invoice"

    def __init__(self, config: PipelineConfig | None = None) -> None:
        self.config = config or PipelineConfig()

    def __call__(self, doc: Document) -> Document:
        if not doc.words:
            return doc
        forced = getattr(self.config, "document_type", "auto")
        lines = prepare(doc)
        if forced == "auto":
            kind, confidence, evidence = classify(doc, lines)
            if kind == "receipt":
                return doc
            doc.meta["document_type"] = {"decided_by": "document", "confidence": round(confidence, 3), "evidence": evidence}
        else:
            kind = forced
            doc.document_type = kind
            doc.meta["document_type"] = {"decided_by": "option"}
            if kind == "receipt":
                return doc
        return read_invoice(doc, kind, lines, self.config.country_hint)
