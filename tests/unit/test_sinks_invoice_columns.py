"""Batch outputs carry the invoice fields, document type and tax breakdown (issue 16)."""

from __future__ import annotations

import pytest

from tillroll.batch.sinks.csv import CSV_COLUMNS, LINE_ITEM_COLUMNS, flatten_record, line_item_rows
from tillroll.document import Document, Field, LineItem, Page, TaxRow
from tillroll.labels import ALL_FIELD_NAMES, INVOICE_LINE_ITEM_FIELDS


def invoice_record() -> dict:
    doc = Document(source="inv.pdf", pages=[Page(0, 1654, 2339, coordinates="pdf", text_source="pdf_text_layer")])
    doc.document_type = "credit_note"
    doc.fields["invoice_number"] = Field("AV-7", "AV-7", 0.9, [], "rule")
    doc.fields["total"] = Field("-233,47", "-233.47", 0.9, [], "rule", "EUR")
    doc.fields["iban"] = Field("FR76 3000", "FR763000", 0.9, [], "rule")
    doc.line_items = [LineItem(description="Huile", quantity="-10", amount="-198.00", position="2", tax_rate="5.50", unit="l")]
    doc.tax_breakdown = [TaxRow(rate="5.50", base="-198.00", tax="-10.89"), TaxRow(rate="20.00", base="-20.48", tax="-4.10")]
    return doc.to_dict()


def test_csv_has_every_field_and_the_invoice_columns() -> None:
    for name in ALL_FIELD_NAMES:
        assert name in CSV_COLUMNS
    assert "document_type" in CSV_COLUMNS and "tax_breakdown" in CSV_COLUMNS
    row = flatten_record(invoice_record())
    assert row["document_type"] == "credit_note" and row["invoice_number"] == "AV-7" and row["total"] == "-233.47"
    assert row["tax_breakdown"] == "5.50:-198.00:-10.89;20.00:-20.48:-4.10"
    assert set(INVOICE_LINE_ITEM_FIELDS) <= set(LINE_ITEM_COLUMNS)
    item = line_item_rows(invoice_record())[0]
    assert item["position"] == "2" and item["tax_rate"] == "5.50" and item["unit"] == "l"


def test_parquet_round_trips_an_invoice() -> None:
    pytest.importorskip("pyarrow")
    import pyarrow as pa

    from tillroll.batch.sinks.parquet import parquet_schema, record_to_row, row_to_record

    record = invoice_record()
    table = pa.Table.from_pylist([record_to_row(record)], schema=parquet_schema())
    back = row_to_record(table.to_pylist()[0])
    assert back["document_type"] == "credit_note"
    assert back["tax_breakdown"] == record["tax_breakdown"]
    assert back["line_items"] == record["line_items"]
    assert back["fields"] == record["fields"]
    assert "extra_json" not in back and "fields" not in (back.get("extra") or {})
