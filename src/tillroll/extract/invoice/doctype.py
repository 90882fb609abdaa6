"""Receipt, invoice or credit note: decided from the document's words and layout.

Cues: a document title from the language tables ("Rechnung", "Facture", "Avoir",
"Credit note"), the UN/CEFACT type codes 380 (invoice) and 381 (credit note)
printed beside it, an IBAN, invoice-only labels (invoice number, due date,
buyer), an A4 or US-letter page and more than one page. A till receipt that
prints "TAX INVOICE" has the title but not the page shape or the bank details,
so a title alone never makes an invoice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ...document import Page
from .layout import Line
from .lexicon import DOCTYPE, FIELD, load_lexicon

_TYPE_CODE = re.compile(r"\b(380|381|383|384|386|389|261|262|396)\b")
_CREDIT_CODES = frozenset({"381", "261", "262", "396"})
_INVOICE_ONLY = frozenset({"invoice_number", "due_date", "buyer", "iban", "bic", "purchase_order", "payment_terms", "buyer_vat_id"})


def _page_is_paper(page: Page) -> bool:
    """A4 (1:1.414) or US letter (1:1.294) in either orientation."""
    if not page.width or not page.height:
        return False
    r = max(page.width, page.height) / min(page.width, page.height)
    return abs(r - 1.414) < 0.03 or abs(r - 1.294) < 0.03


def _valid_iban(lines: Sequence[Line]) -> bool:
    from .locale import iban_ok

    for line in lines:
        compact = re.sub(r"[^A-Z0-9]", "", line.text.upper())
        for m in re.finditer(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", compact):
            for end in range(len(m.group(0)), 14, -1):
                if iban_ok(m.group(0)[:end]):
                    return True
    return False


# A page set in small print across its width is a business document; a till receipt, even
# scanned on an A4 sheet, is a narrow column (measured on 110 SROIE and WildReceipt training
# receipts: none has both; A4 invoices at 10 pt: 0.017 of the width, text over 0.83 of it).
SMALL_PRINT_OF_WIDTH, WIDE_TEXT_OF_WIDTH = 0.025, 0.6


def _page_wide_print(lines: Sequence[Line], page: Page) -> bool:
    """Whether page `page` is set in small print (median word height under SMALL_PRINT_OF_WIDTH of the
    page's width) whose words span more than WIDE_TEXT_OF_WIDTH of it (2nd to 98th percentile)."""
    words = [p.word for line in lines if line.page == page.index for p in line.pieces]
    if len(words) < 20 or not page.width:
        return False
    heights = sorted(w.y1 - w.y0 for w in words)
    lefts = sorted(w.x0 for w in words)
    rights = sorted(w.x1 for w in words)
    n = len(words)
    span = rights[int(0.98 * n) - 1] - lefts[int(0.02 * n)]
    return heights[n // 2] < SMALL_PRINT_OF_WIDTH * page.width and span > WIDE_TEXT_OF_WIDTH * page.width


def detect_document_type(lines: Sequence[Line], pages: Sequence[Page]) -> tuple[str, float, list[str]]:
    """(document type, confidence, evidence) for the document whose lines carry lexicon hits."""
    evidence: list[str] = []
    titles: list[tuple[float, str, str]] = []  # (prominence, type, text)
    labels: set[str] = set()
    for line in lines:
        for hit in line.hits:
            labels.update(n for n in hit.names(FIELD) if n in _INVOICE_ONLY)
            names = hit.names(DOCTYPE)
            if not names and "invoice_number" in hit.names(FIELD):
                # "Rechnung Nr. 42": the number's label opens with the title word.
                first = line.pieces[hit.start].key
                names = [m.name for m in load_lexicon().lookup(first) if m.kind == DOCTYPE][:1]
            for name in names:
                words = line.pieces[hit.start : hit.end]
                size = max(p.word.height for p in words)
                prominence = size * (2.0 if hit.start == 0 else 1.0) * (1.5 if line.page == 0 else 1.0)
                code = _TYPE_CODE.search(line.text)
                if code:
                    name = "credit_note" if code.group(1) in _CREDIT_CODES else name
                titles.append((prominence, name, " ".join(p.text for p in words)))
    score = 0.0
    kind = "invoice"
    if titles:
        prominence, kind, text = max(titles)
        evidence.append(f"title {text!r}")
        score += 2
    paper = bool(pages) and _page_is_paper(pages[0])
    if paper:
        evidence.append("A4/letter page")
        score += 1
    if len(pages) > 1:
        evidence.append(f"{len(pages)} pages")
        score += 1
    if pages and _page_wide_print(lines, pages[0]):
        evidence.append("small print across the page")
        score += 2
    if "iban" in labels and _valid_iban(lines):
        score += 1
    else:
        labels.discard("iban")
    score += min(3, len(labels))
    if labels:
        evidence.append("labels " + ", ".join(sorted(labels)))
    from_pdf = bool(pages) and any(p.coordinates == "pdf" or p.text_source == "pdf_text_layer" for p in pages)
    # The page shape, the bank details or the page count must speak for an invoice too.
    # A photo or scan (no PDF) needs more: Malaysian till receipts print "TAX INVOICE",
    # "Invoice No" and a customer line on A4-shaped scans.
    layout = paper or len(pages) > 1 or from_pdf
    needed = 4 if (from_pdf or len(pages) > 1) else (6 if layout else 99)
    if titles and score >= needed or (not titles and layout and score >= 5):
        return kind, min(1.0, score / 7), evidence
    return "receipt", 1.0 - min(0.9, score / 10), evidence
