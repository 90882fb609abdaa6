"""Arithmetic and format checks, and the assembler's use of them to pick the total."""

from __future__ import annotations

import datetime as dt

from receipt_builder import build

from tillroll.config import PipelineConfig
from tillroll.document import Document, Field, LineItem
from tillroll.extract.assemble import AssembleStage, infer_country
from tillroll.extract.checks import run_checks
from tillroll.rules.entities import EntityDatabase
from tillroll.rules.joint import RulesStage


def _field(value: str) -> Field:
    return Field(text=value, value=value, confidence=1.0, word_ids=[], source="human")


def _extract(rows: list[str], **cfg: object) -> Document:
    config = PipelineConfig(**cfg)  # type: ignore[arg-type]
    db = EntityDatabase(":memory:", seed=False)
    doc = build(rows)
    for st in (RulesStage(config, entity_db=db), AssembleStage(config, entity_db=db)):
        doc = st(doc)
    doc.checks = run_checks(doc)
    return doc


def test_extract_checks_report_pass_and_fail_with_detail() -> None:
    doc = Document(fields={"subtotal": _field("10.00"), "vat_included": _field("1.80"), "total": _field("12.00"), "date": _field("2031-01-01")})
    doc.line_items = [
        LineItem(description="A", quantity="2", unit_price="2.50", amount="5.00"),
        LineItem(description="B", quantity="1", unit_price="5.00", amount="5.00"),
    ]
    checks = {c.name: c for c in run_checks(doc, today=dt.date(2026, 11, 21))}
    assert checks["line_items_sum_equals_subtotal"].passed
    assert checks["quantity_times_unit_price_equals_amount"].passed
    assert not checks["subtotal_plus_tax_equals_total"].passed and "11.80 != 12.00" in checks["subtotal_plus_tax_equals_total"].detail
    assert not checks["date_plausible"].passed


def test_extract_checks_wrong_item_arithmetic_is_named() -> None:
    doc = Document(fields={"total": _field("9.00")}, line_items=[LineItem(description="A", quantity="3", unit_price="2.50", amount="9.00")])
    check = next(c for c in run_checks(doc) if c.name == "quantity_times_unit_price_equals_amount")
    assert not check.passed and "item 1" in check.detail


def test_extract_checks_vat_number_format() -> None:
    good = Document(fields={"vat_info": _field("VAT MT1234-5634")})
    bad = Document(fields={"vat_info": _field("VAT MT1234-5678")})
    assert next(c for c in run_checks(good) if c.name == "vat_number_format").passed
    assert not next(c for c in run_checks(bad) if c.name == "vat_number_format").passed


def test_extract_assemble_total_prefers_the_reading_the_cash_supports() -> None:
    rows = [
        "SHOP ONE SDN BHD",
        "ITEM A                      10.00",
        "TOTAL                       10.00",
        "Total 0% supplies            4.00",
        "CASH                        20.00",
        "CHANGE                      10.00",
    ]
    doc = _extract(rows)
    assert doc.fields["total"].value == "10.00"
    assert "cash_minus_change" in doc.meta["total_support"]


def test_extract_assemble_rounded_total_wins() -> None:
    rows = [
        "TOTAL AMT ........ RM   60.31",
        "ROUNDING ADJ             -0.01",
        "                  RM     60.30",
        "CASH                    100.00",
        "CHANGE                   39.70",
    ]
    doc = _extract(rows)
    assert doc.fields["total"].value == "60.30" and doc.fields["total"].currency == "MYR"


def test_extract_assemble_date_order_from_evidence_and_flag_when_undecided() -> None:
    settled = _extract(["03/04/2024 10:00", "Printed 25/04/2024", "TOTAL   5.00"])
    assert settled.fields["date"].value == "2024-04-03" and not settled.meta["date_order_ambiguous"]
    undecided = _extract(["03/04/2024 10:00", "TOTAL   5.00"])
    assert undecided.fields["date"].value == "2024-04-03" and undecided.meta["date_order_ambiguous"]
    assert not next(c for c in undecided.checks if c.name == "date_order_determined").passed
    hinted = _extract(["03/04/2024 10:00", "TOTAL   5.00"], country_hint="US")
    assert hinted.fields["date"].value == "2024-03-04"


def test_extract_assemble_country_from_receipt_text() -> None:
    assert infer_country("VAT NO MT1234-5678\nTel +356 2123 4567") == "MT"
    assert infer_country("KEDAI ABC SDN BHD\nJALAN MAWAR") == "MY"
    assert infer_country("Snellville, GA 30078") == "US"
    assert infer_country("nothing to go on") is None
    assert infer_country("anything", hint="gb") == "GB"


def test_infer_country_reads_any_calling_code_or_eu_vat_prefix() -> None:
    # Countries without a hand-written pattern come from the phone and VAT tables.
    assert infer_country("PASTELARIA LUA\nRua Augusta 10, Lisboa\nTel. +351 21 342 1234") == "PT"
    assert infer_country("Kavana\nOIB: HR12345678901") == "HR"
    assert infer_country("Bäckerei Korn\nUSt-IdNr. DE123456789\nTel +49 (0)30 1234567") == "DE"
    # A VAT id outweighs one foreign phone number; a signed amount is not a phone number.
    assert infer_country("NIF ES B12345678\nTel +33 1 23 45 67 89\nIVA ES B12345678") == "ES"
    assert infer_country("REFUND +31.00\nTOTAL 4.00") is None
    # The training-data countries keep their evidence and their tie-break.
    assert infer_country("KEDAI ABC SDN BHD\nTel +65 6123 4567") == "MY"


def test_extract_assemble_works_from_model_labels_alone() -> None:
    # The neural model runs assemble without the rules stage: fields come from labels only.
    doc = build(["SUNNY CAFE LTD", "12 Main Street", "01/02/2024", "Latte        3.50", "TOTAL        3.50"])
    labels = {
        "SUNNY": "shop_name",
        "CAFE": "shop_name",
        "LTD": "shop_name",
        "12": "address",
        "Main": "address",
        "Street": "address",
        "01/02/2024": "date_time",
        "Latte": "line_item",
        "TOTAL": "total",
    }
    for w in doc.words:
        w.set_label(labels.get(w.text, "misc"), 0.9, "model")
    prices = [w for w in doc.words if w.text == "3.50"]
    prices[0].set_label("amount", 0.9, "model")
    prices[1].set_label("total", 0.9, "model")
    config = PipelineConfig(country_hint="GB")
    doc = AssembleStage(config, entity_db=EntityDatabase(":memory:", seed=False))(doc)
    assert doc.fields["shop_name"].value == "SUNNY CAFE LTD" and doc.fields["shop_name"].source == "model"
    assert doc.fields["date"].value == "2024-02-01"
    assert doc.fields["total"].value == "3.50" and doc.fields["total"].currency == "GBP"
    assert [li.description for li in doc.line_items] == ["Latte"]
