"""Golden receipts: words JSON in (tests/data/golden/*.words.json), reviewed fields out (*.expected.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tillroll.config import PipelineConfig
from tillroll.document import Document, Page
from tillroll.extract.assemble import AssembleStage
from tillroll.extract.checks import CheckStage
from tillroll.ocr.stage import words_to_document
from tillroll.ocr.static import StaticEngine
from tillroll.pipeline import Pipeline
from tillroll.rules.entities import EntityDatabase
from tillroll.rules.joint import RulesStage

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
CASES = sorted(p.name.removesuffix(".words.json") for p in GOLDEN.glob("*.words.json"))


def _run(name: str) -> Document:
    data = json.loads((GOLDEN / f"{name}.words.json").read_text(encoding="utf-8"))
    doc = Document(source=name, pages=[Page(0, data["page"]["width"], data["page"]["height"])])
    words_to_document(doc, 0, StaticEngine(path=GOLDEN / f"{name}.words.json").read())
    cfg = PipelineConfig(country_hint=data.get("country_hint"))
    db = EntityDatabase(":memory:", seed=False)  # layout rules only: the result must not depend on a seed
    return Pipeline(cfg, stages=[RulesStage(cfg, entity_db=db), AssembleStage(cfg, entity_db=db), CheckStage(cfg)]).run(doc)


@pytest.mark.parametrize("name", CASES)
def test_extract_golden_receipt_fields(name: str) -> None:
    expected = json.loads((GOLDEN / f"{name}.expected.json").read_text(encoding="utf-8"))
    doc = _run(name)
    got_fields = {k: {"value": f.value, **({"currency": f.currency} if f.currency else {})} for k, f in doc.fields.items()}
    assert got_fields == expected["fields"]
    got_items = [{k: v for k, v in li.to_dict().items() if k in ("description", "quantity", "unit_price", "amount")} for li in doc.line_items]
    assert got_items == expected["line_items"]
    assert {c.name: c.passed for c in doc.checks} == expected["checks"]
    assert [[kv.key, kv.value] for kv in doc.key_values] == expected["key_values"]


@pytest.mark.parametrize("name", CASES)
def test_extract_golden_every_word_labelled_and_fields_traceable(name: str) -> None:
    doc = _run(name)
    assert all(w.label is not None and w.label_source == "rule" for w in doc.words)
    for field in doc.fields.values():
        assert field.word_ids and field.source == "rule" and 0 < field.confidence <= 1
        assert all(0 <= i < len(doc.words) for i in field.word_ids)
    # Output is schema v1 and round-trips.
    assert Document.from_dict(doc.to_dict()).to_dict() == doc.to_dict()


def test_extract_golden_cover_three_countries() -> None:
    assert len(CASES) >= 3
