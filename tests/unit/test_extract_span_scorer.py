"""The learned span scorer: candidates around the rules' span, the conditional-logit fit, and the stage's explanation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from receipt_builder import build

from tillroll.document import Document, Field
from tillroll.errors import ModelError
from tillroll.extract.span_scorer import FEATURES, SpanScorer, SpanScorerStage, candidates, fit_conditional_logit
from tillroll.labels import ADDRESS, SHOP_NAME


def _receipt() -> Document:
    doc = build(
        [
            "KEDAI RUNCIT AMAN",
            "SDN BHD",
            "NO 12 JALAN MAWAR",
            "43000 KAJANG",
            "TEL 03-1234567",
            "TOTAL 9.00",
        ]
    )
    for w in doc.words:
        line = w.line or 0
        label = SHOP_NAME if line <= 1 else ADDRESS if line in (2, 3) else "misc"
        w.label, w.label_source, w.label_confidence = label, "model", 0.9
        w.label_scores = {SHOP_NAME: 0.9 if label == SHOP_NAME else 0.05, ADDRESS: 0.9 if label == ADDRESS else 0.05}
    return doc


def _field(doc: Document, lines: set[int]) -> Field:
    ws = [w for w in doc.words if w.line in lines]
    return Field(text=" ".join(w.text for w in ws), value=" ".join(w.text for w in ws), confidence=0.9, word_ids=[w.id for w in ws], source="model")


def test_span_scorer_candidates_start_with_the_rules_span_and_include_its_neighbours() -> None:
    doc = _receipt()
    rule = _field(doc, {0})  # the rules stopped after the first name line
    cands = candidates(doc, SHOP_NAME, rule)
    assert cands[0].from_rules and cands[0].text() == "KEDAI RUNCIT AMAN"
    texts = [c.text() for c in cands]
    assert "KEDAI RUNCIT AMAN SDN BHD" in texts  # the line below added
    assert len({c.ids for c in cands}) == len(cands)  # no duplicates
    assert all(len(c.features) == len(FEATURES) for c in cands)
    by_text = dict(zip(texts, cands))
    f = dict(zip(FEATURES, by_text["KEDAI RUNCIT AMAN SDN BHD"].features))
    assert f["legal_form"] == 1.0 and f["n_lines"] == 2.0 and f["bias_rule"] == 0.0 and f["label_cover"] == 1.0


def test_span_scorer_no_candidates_without_any_evidence_for_the_field() -> None:
    doc = _receipt()
    for w in doc.words:
        w.label = "misc"
    assert candidates(doc, ADDRESS, None) == []


def test_span_scorer_fit_learns_which_feature_marks_the_right_candidate() -> None:
    # Two features; the right candidate always has the larger first one, the second is noise.
    groups = [([[0.9, 0.1], [0.2, 0.8], [0.1, 0.5]], [True, False, False]), ([[0.3, 0.2], [0.7, 0.9]], [False, True])]
    w, mean, scale = fit_conditional_logit(groups * 5, l2=0.001)
    assert w[0] > 0 and w[0] > abs(w[1])
    with pytest.raises(ValueError, match="no training group"):
        fit_conditional_logit([([[1.0], [2.0]], [False, False])], l2=0.01)


def test_span_scorer_stage_replaces_a_span_and_says_why(tmp_path: Path) -> None:
    doc = _receipt()
    doc.fields = {SHOP_NAME: _field(doc, {0}), ADDRESS: _field(doc, {2, 3})}
    # A scorer that prefers spans with a company form: the name gains its SDN BHD line.
    weights = [0.0] * len(FEATURES)
    weights[FEATURES.index("legal_form")] = 5.0
    weights[FEATURES.index("label_frac")] = 1.0
    ones = [1.0] * len(FEATURES)
    zeros = [0.0] * len(FEATURES)
    scorer = SpanScorer({SHOP_NAME: weights}, {SHOP_NAME: zeros}, {SHOP_NAME: ones})
    out = SpanScorerStage(scorer=scorer)(doc)
    name = out.fields[SHOP_NAME]
    assert name.text == "KEDAI RUNCIT AMAN SDN BHD" and name.source == "model"
    note = out.meta["span_scorer"][SHOP_NAME]
    assert note["decided_by"] == "span_scorer" and note["rules_text"] == "KEDAI RUNCIT AMAN"
    assert "legal_form" in note["deciding_features"]
    assert out.fields[ADDRESS].text == "NO 12 JALAN MAWAR 43000 KAJANG"  # no weights for addresses: the rules' span stays
    # Weights round-trip through their JSON file; a file for other features is refused.
    path = tmp_path / "w.json"
    path.write_text(scorer.to_json())
    assert SpanScorer.load(path).weights == scorer.weights
    data = json.loads(path.read_text())
    data["features"] = ["something_else"]
    path.write_text(json.dumps(data))
    with pytest.raises(ModelError, match="other features"):
        SpanScorer.load(path)
