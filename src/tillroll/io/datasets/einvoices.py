"""Factur-X / ZUGFeRD e-invoice PDFs with ground truth from their XML, in three forms.

The folder holds `pdf/<id>.pdf` and `gt.jsonl` (one object per PDF: `fields`,
`tax_breakdown`, `line_items`, values as the invoice's embedded XML states them,
kept only where they are printed on the page). Each PDF is scored in one of
three forms, named by the dataset kind:

    einvoices:DIR           the PDF as shipped (text layer and the XML attachment;
                            the evaluator must not read the XML: that would score
                            the e-invoice parser, not the reading of the page)
    einvoices-text:DIR      the pages only: a new PDF with the same pages and no
                            attachments, so only the text layer is there to read
    einvoices-scanned:DIR   every page rendered at 200 dpi into an image and put
                            into an image-only PDF: no text layer, OCR reads it

The derived forms are built on first use into the cache folder
(TILLROLL_CACHE_DIR/einvoice-forms/...), keyed by the source file's hash, and
never written into the dataset or the repository.

Only the fields a record names are scored for that PDF: the ground truth drops
values it could not find printed (a date printed in another form, a seller the
XML spells differently), so a prediction for a field the record lacks says
nothing about right or wrong.

Gold version 2 (GOLD_VERSION): a line amount means the invoice line net amount
(EN 16931 BT-131), as tillroll's schema and the page do. Where a PDF's XML
states a line's gross amount in the BT-131 element (the ZUGFeRD 1.0 samples of
2014-2015: `LineTotalAmount` 376.04 for 400 x 0.79 at 19 %, while the same
XML's net price, quantity and sum of line net amounts say 316.00), the record's
amount is replaced by the net the XML's own terms give. This reader yields
version 1 (gt.jsonl's amounts as given); `tillroll.einvoice.gold.apply_gold_version`,
run by the evaluator, applies version 2 and lists the changed items in
`reference.meta["line_amounts_net_from_xml"]`.

Line items and tax rows were not filtered that way: some records give a row's
gross amount where the page prints the net, or (the "fail" samples) an amount
that differs from the page. `reference.meta["amounts_not_printed"]` (set by
`apply_gold_version`, from `amounts_not_printed`) lists, per
record, the line items and tax rows whose amount appears nowhere in the PDF's
text layer; the evaluator scores them twice, as given and with those amounts
unchecked (`line_items_printed`, `tax_rows_printed` in the report).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from ...document import Document, Field, LineItem, Page, TaxRow
from ...errors import DataError
from ...labels import MISC
from ...normalize import parse_amount
from .base import Example

# gt.jsonl field name -> schema-v1 field name (invoice meaning of the receipt slots).
GT_FIELD_MAP: dict[str, str] = {
    "invoice_number": "invoice_number",
    "invoice_date": "date",
    "due_date": "due_date",
    "seller_name": "shop_name",
    "seller_vat_id": "vat_info",
    "buyer_name": "buyer_name",
    "iban": "iban",
    "currency": "currency",
    "net_total": "subtotal",
    "tax_total": "vat_included",
    "grand_total": "total",
    "amount_due": "amount_due",
}

# What the gold means; bumped whenever the reading of gt.jsonl changes (docs/datasets.md says what changed).
# 1: gt.jsonl as given. 2: line amounts a PDF's XML stated gross are the net (BT-131) its own terms give.
GOLD_VERSION = 2

FORMS: tuple[str, ...] = ("shipped", "text", "scanned")
# Dataset kind -> form of the PDF it scores.
KIND_FORMS: dict[str, str] = {"einvoices": "shipped", "einvoices-text": "text", "einvoices-scanned": "scanned"}
SCAN_DPI = 200.0


# Invoice fields parsed like the receipt field of the same kind.
_PARSE_AS = {"due_date": "date", "amount_due": "total", "buyer_vat_info": "vat_info"}


def _gold_field(name: str, raw: Any) -> Field | None:
    from ..gold.values import normalise_value

    text = str(raw).strip()
    if not text:
        return None
    value, currency = normalise_value(_PARSE_AS.get(name, name), text)
    if name in ("iban", "currency"):
        value = "".join(text.split()).upper()
    return Field(text=text, value=value, confidence=1.0, word_ids=[], source="human", currency=currency)


def _amount(raw: Any) -> str | None:
    from ..gold.values import normalise_value

    if raw is None or str(raw).strip() == "":
        return None
    return normalise_value("amount", str(raw))[0]


def reference_document(record: dict[str, Any], source: str) -> Document:
    """The gold `Document` of one gt.jsonl record: fields, line items and tax rows, no words."""
    doc = Document(source=source, pages=[Page(index=i, width=0, height=0, text_source="annotation") for i in range(int(record.get("pages") or 1))])
    for gt_name, value in (record.get("fields") or {}).items():
        name = GT_FIELD_MAP.get(gt_name)
        if name is None or value is None:
            continue
        built = _gold_field(name, value)
        if built is not None:
            doc.fields[name] = built
    doc.line_items = [
        LineItem(
            description=(item.get("description") or None),
            quantity=item.get("quantity"),
            unit_price=_amount(item.get("unit_price")),
            amount=_amount(item.get("amount")),
            source="human",
        )
        for item in record.get("line_items") or []
    ]
    doc.tax_breakdown = [
        TaxRow(rate=_amount(row.get("rate")), base=_amount(row.get("basis")), tax=_amount(row.get("tax")), source="human")
        for row in record.get("tax_breakdown") or []
    ]
    total = doc.fields.get("total")
    if total is not None and total.value.startswith("-"):
        doc.document_type = "credit_note"
    else:
        doc.document_type = "invoice"
    doc.meta.update({"dataset": "einvoices", "id": record.get("id"), "ocr": "none"})
    return doc


_NUMBER = re.compile(r"-?\d[\d.,' \u00a0\u202f]*\d|\d")


def printed_amounts(pdf: Path) -> set[Decimal]:
    """Absolute values of every number the PDF's text layer prints, read with either decimal mark."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        text = " ".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()
    found: set[Decimal] = set()
    for match in _NUMBER.finditer(text):
        for country in ("DE", "GB"):  # decimal comma, decimal point
            amount = parse_amount(match.group(0), country=country)
            if amount:
                found.add(abs(amount.value))
    return found


def amounts_not_printed(reference: Document, pdf: Path) -> dict[str, list[int]]:
    """Indices of the gold line items and tax rows whose amount the PDF's text layer prints nowhere."""
    amounts = printed_amounts(pdf)

    def missing(value: str | None) -> bool:
        return value is not None and abs(Decimal(value)) not in amounts

    return {
        "line_items": [i for i, li in enumerate(reference.line_items) if missing(li.amount)],
        "tax_rows": [i for i, row in enumerate(reference.tax_breakdown) if missing(row.tax)],
    }


# --------------------------------------------------------------------------- forms


def forms_dir() -> Path:
    from ...ocr.cache import default_cache_dir

    return default_cache_dir() / "einvoice-forms"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def text_only_pdf(source: Path, target: Path) -> Path:
    """A copy of `source` holding its pages only: no attachments (the Factur-X XML), no document-level extras.

    The pages are imported into a new, empty PDF, which carries over what is
    drawn and the text layer but not the catalogue's embedded files.
    """
    import pypdfium2 as pdfium

    src = pdfium.PdfDocument(str(source))
    try:
        new = pdfium.PdfDocument.new()
        try:
            new.import_pages(src)
            while new.count_attachments():  # import_pages never copies them; keep the promise explicit
                new.del_attachment(0)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".part")
            new.save(str(tmp))
            tmp.replace(target)
        finally:
            new.close()
    finally:
        src.close()
    return target


def scanned_pdf(source: Path, target: Path, dpi: float = SCAN_DPI) -> Path:
    """An image-only PDF: every page of `source` rendered at `dpi` into a greyscale picture, no text layer.

    Greyscale at 200 dpi is what an office scanner delivers for a letter; the
    picture is stored losslessly so the OCR sees exactly the rendered pixels.
    """
    import pypdfium2 as pdfium

    src = pdfium.PdfDocument(str(source))
    try:
        images = [src[i].render(scale=dpi / 72.0).to_pil().convert("L") for i in range(len(src))]
    finally:
        src.close()
    if not images:
        raise DataError(f"{source}: the PDF has no pages")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    # Pillow writes one image per page; without a text layer the loader sends every page to OCR.
    images[0].save(tmp, format="PDF", resolution=dpi, save_all=True, append_images=images[1:])
    tmp.replace(target)
    return target


def form_path(source: Path, form: str, cache: Path | None = None) -> Path:
    """The PDF to read for `form` of `source`, building it on first use."""
    if form == "shipped":
        return source
    if form not in FORMS:
        raise DataError(f"unknown e-invoice form {form!r}; use one of {', '.join(FORMS)}")
    folder = (cache or forms_dir()) / form
    target = folder / f"{source.stem}.{_digest(source)}.pdf"
    if not target.is_file():
        (text_only_pdf if form == "text" else scanned_pdf)(source, target)
    return target


# --------------------------------------------------------------------------- reader


def iter_einvoices(path: str | Path, keep: Callable[[str], bool] = lambda doc_id: True, form: str = "shipped", cache: Path | None = None) -> Iterator[Example]:
    """Examples of the e-invoice folder `path` in `form` (see the module docstring), sorted by id."""
    root = Path(path)
    gt_path = root / "gt.jsonl"
    if not gt_path.is_file():
        raise DataError(f"{root} has no gt.jsonl; pass the e-invoice folder holding gt.jsonl and pdf/")
    records = []
    for number, line in enumerate(gt_path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise DataError(f"{gt_path}:{number}: not JSON ({exc})") from exc
        if not isinstance(record, dict) or not record.get("id"):
            raise DataError(f"{gt_path}:{number}: a record needs an 'id'")
        records.append(record)
    for record in sorted(records, key=lambda r: str(r["id"])):
        doc_id = str(record["id"])
        if not keep(doc_id):
            continue
        pdf = root / "pdf" / f"{doc_id}.pdf"
        if not pdf.is_file():
            raise DataError(f"{pdf}: missing (gt.jsonl names it); keep each PDF as pdf/<id>.pdf")
        reference = reference_document(record, str(pdf))
        # Gold version 1 as gt.jsonl gives it; `tillroll.einvoice.gold.apply_gold_version`
        # (which the evaluator runs) makes it version 2: reading the embedded XML is the
        # e-invoice package's job, a layer above this one.
        reference.meta["gold_version"] = 1
        yield Example(
            id=doc_id,
            dataset="einvoices" if form == "shipped" else f"einvoices-{form}",
            image_path=form_path(pdf, form, cache),
            reference=reference,
            annotated_labels=frozenset({MISC}),  # no word labels: word scores are skipped
            annotated_fields=frozenset(reference.fields),
        )
