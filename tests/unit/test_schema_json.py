"""The JSON Schema shipped with the package describes what the pipeline really writes (schema v1)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from samplekit import text_pdf
from tillroll.config import PipelineConfig
from tillroll.labels import ALL_FIELD_NAMES, ALL_LINE_ITEM_FIELDS, DOCUMENT_TYPES
from tillroll.pipeline import Pipeline

jsonschema = pytest.importorskip("jsonschema")
SAMPLE_INVOICE = Path(__file__).resolve().parents[2] / "samples" / "invoice-de.pdf"


def load_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(resources.files("tillroll").joinpath("schema/document.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def validate(record: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(load_schema()).validate(record)


def test_schema_names_every_field_type_and_item_column() -> None:
    schema = load_schema()
    assert list(schema["properties"]["fields"]["properties"]) == list(ALL_FIELD_NAMES)
    assert schema["properties"]["document_type"]["enum"] == list(DOCUMENT_TYPES)
    assert set(ALL_LINE_ITEM_FIELDS) <= set(schema["$defs"]["line_item"]["properties"])


def test_a_receipt_from_the_pipeline_is_valid() -> None:
    pdf = text_pdf(
        [[(20, 20, "CAFE VALLETTA"), (20, 40, "12 Merchants Street"), (20, 80, "Espresso 2.50"), (20, 100, "Croissant 3.20"), (20, 140, "TOTAL 5.70")]]
    )
    doc = Pipeline(PipelineConfig().with_(model="rules")).process(pdf, name="receipt.pdf")
    record = doc.to_dict()
    assert record["document_type"] == "receipt" and record["words"]
    validate(record)


@pytest.mark.skipif(not SAMPLE_INVOICE.exists(), reason="samples/invoice-de.pdf not built")
def test_an_invoice_from_the_pipeline_is_valid() -> None:
    config = PipelineConfig().with_(model="rules", read_embedded_xml=False)
    record = Pipeline(config).process(SAMPLE_INVOICE).to_dict()
    assert record["document_type"] == "invoice"
    assert {"invoice_number", "total"} <= set(record["fields"]) and record["tax_breakdown"] and record["line_items"]
    validate(record)


def test_the_schema_rejects_what_v1_does_not_allow() -> None:
    record = Pipeline(PipelineConfig().with_(model="rules")).process(text_pdf([[(20, 20, "TOTAL 5.70")]]), name="r.pdf").to_dict()
    bad = dict(record, fields={"totl": {"text": "5.70", "value": "5.70", "confidence": 1.0, "word_ids": [], "source": "rule"}})
    with pytest.raises(jsonschema.ValidationError):
        validate(bad)
    bad = dict(record, document_type="bill")
    with pytest.raises(jsonschema.ValidationError):
        validate(bad)
    bad = dict(record, tax_breakdown=[{"rate": 19.0, "tax": "3.80"}])  # a float, not a decimal string
    with pytest.raises(jsonschema.ValidationError):
        validate(bad)
