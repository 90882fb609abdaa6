from __future__ import annotations

import json

import pytest

from tillroll.document import Check, Document, Field, KeyValue, LineItem, Page, Word
from tillroll.errors import DataError
from tillroll.labels import FIELD_NAMES, LABELS


def _doc() -> Document:
    return Document(
        source="receipts/a.jpg",
        pages=[Page(index=0, width=812, height=1683, coordinates="preprocessed", preprocess=["deskew"])],
        words=[
            Word(0, 0, "TOTAL", (10.0, 20.0, 80.0, 40.0), line=3, ocr_confidence=0.99, label="total", label_confidence=0.97, label_source="model"),
            Word(1, 0, "12.30", (300.0, 20.0, 360.0, 40.0), line=3, ocr_confidence=0.95),
        ],
        fields={"total": Field("12.30", "12.30", 0.9, [1], "rule", currency="EUR")},
        line_items=[LineItem(description="Tea", quantity="1", unit_price="2.00", amount="2.00", word_ids=[0], confidence=0.8)],
        key_values=[KeyValue("Cashier", "Ann", [0], [1], 0.7)],
        checks=[Check("total_present", True, "12.30")],
        timings_ms={"ocr": 420.5},
        meta={"ocr": "static"},
    )


def test_document_round_trips_exactly_through_json() -> None:
    doc = _doc()
    d = doc.to_dict()
    again = Document.from_dict(json.loads(json.dumps(d)))
    assert again.to_dict() == d
    assert again == doc


def test_document_schema_v1_shape() -> None:
    d = _doc().to_dict()
    assert d["schema_version"] == 1
    assert set(d) >= {"schema_version", "source", "pages", "words", "fields", "line_items", "key_values", "checks", "timings_ms"}
    assert set(d["words"][0]) == {"id", "page", "text", "box", "line", "ocr_confidence", "label", "label_confidence", "label_source"}
    assert d["fields"]["total"] == {"text": "12.30", "value": "12.30", "confidence": 0.9, "word_ids": [1], "source": "rule", "currency": "EUR"}


def test_document_rejects_other_schema_versions() -> None:
    with pytest.raises(DataError, match="schema_version"):
        Document.from_dict({"schema_version": 2})


def test_document_lines_are_in_reading_order() -> None:
    doc = _doc()
    assert [[w.text for w in line] for line in doc.lines()] == [["TOTAL", "12.30"]]
    assert doc.text() == "TOTAL 12.30"


def test_labels_are_the_papers_twelve() -> None:
    assert len(LABELS) == 12 and LABELS[-1] == "misc"
    assert "total" in FIELD_NAMES and "date" in FIELD_NAMES


def test_document_invoice_parts_round_trip_and_default_to_receipt() -> None:
    from tillroll.document import Field, LineItem, TaxRow
    from tillroll.labels import ALL_FIELD_NAMES, INVOICE_FIELD_NAMES

    assert set(INVOICE_FIELD_NAMES) <= set(ALL_FIELD_NAMES) and "iban" in INVOICE_FIELD_NAMES
    doc = Document(source="inv.pdf", document_type="credit_note")
    doc.fields["invoice_number"] = Field("Nr. 471102", "471102", 0.9, [3], "rule")
    doc.line_items.append(LineItem(description="Trennblätter A4", amount="-19.80", unit="Stk", tax_rate="19.00"))
    doc.tax_breakdown.append(TaxRow(rate="19.00", base="-19.80", tax="-3.76", word_ids=[7, 8]))
    d = doc.to_dict()
    assert d["document_type"] == "credit_note"
    assert d["tax_breakdown"][0] == {"rate": "19.00", "base": "-19.80", "tax": "-3.76", "word_ids": [7, 8], "confidence": 1.0, "source": "rule"}
    assert Document.from_dict(d).to_dict() == d
    # Documents written before invoices existed read as receipts.
    old = {k: v for k, v in d.items() if k not in ("document_type", "tax_breakdown")}
    assert Document.from_dict(old).document_type == "receipt"


def test_document_unknown_document_type_is_a_data_error() -> None:
    from tillroll.errors import DataError

    d = Document(source="x").to_dict()
    d["document_type"] = "menu"
    with pytest.raises(DataError):
        Document.from_dict(d)
