"""The learned span scorer: candidates around the rules' span, the conditional-logit fit, and the stage's explanation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from receipt_builder import build

from tillroll.document import Document, Field
from tillroll.errors import ModelError
from tillroll.extract.span_scorer import FEATURE_SETS, FEATURES, SPAN_SCORER_ENV, SpanScorer, SpanScorerStage, candidates, fit_conditional_logit
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


def _prefers(feature: str, weight: float = 5.0) -> SpanScorer:
    """A scorer for both fields whose only evidence is one feature (standardisation switched off)."""
    weights = [0.0] * len(FEATURES)
    weights[FEATURES.index(feature)] = weight
    ones, zeros = [1.0] * len(FEATURES), [0.0] * len(FEATURES)
    return SpanScorer({f: list(weights) for f in (SHOP_NAME, ADDRESS)}, dict.fromkeys((SHOP_NAME, ADDRESS), zeros), dict.fromkeys((SHOP_NAME, ADDRESS), ones))


def test_span_scorer_keeps_the_rules_span_and_its_source_when_it_agrees() -> None:
    doc = _receipt()
    doc.fields = {SHOP_NAME: _field(doc, {0, 1}), ADDRESS: _field(doc, {2, 3})}
    before = {k: (f.text, f.value, f.source, f.confidence) for k, f in doc.fields.items()}
    out = SpanScorerStage(scorer=_prefers("bias_rule"))(doc)
    assert {k: (f.text, f.value, f.source, f.confidence) for k, f in out.fields.items()} == before
    assert "span_scorer" not in out.meta


def test_span_scorer_relative_probability_features_mark_the_classifiers_favourite() -> None:
    doc = _receipt()
    for w in doc.words:  # the classifier is surest of the second name line
        w.label_scores = {SHOP_NAME: 0.95 if w.line == 1 else 0.6 if w.line == 0 else 0.01, ADDRESS: 0.01}
    cands = candidates(doc, SHOP_NAME, _field(doc, {0}))
    feats = [dict(zip(FEATURES, c.features)) for c in cands]
    best = max(feats, key=lambda f: f["p_mean"])
    assert best["p_gap"] == 0.0 and best["p_top"] == 1.0
    assert all(f["p_gap"] < 0 and f["p_top"] == 0.0 for f in feats if f["p_mean"] < best["p_mean"])
    # A scorer trusting only the classifier's favourite picks the SDN BHD line alone.
    doc.fields = {SHOP_NAME: _field(doc, {0})}
    out = SpanScorerStage(scorer=_prefers("p_top"))(doc)
    assert out.fields[SHOP_NAME].text == "SDN BHD" and out.fields[SHOP_NAME].source == "model"
    assert "p_top" in out.meta["span_scorer"][SHOP_NAME]["deciding_features"]


def test_span_scorer_fit_on_a_feature_subset_leaves_the_others_at_zero() -> None:
    groups = [([[0.9, 0.1, 3.0], [0.2, 0.8, 1.0]], [True, False]), ([[0.3, 0.2, 2.0], [0.7, 0.9, 5.0]], [False, True])] * 5
    w, mean, scale = fit_conditional_logit(groups, l2=0.001, use=[0, 1])
    assert len(w) == 3 and w[2] == 0.0 and mean[2] == 0.0 and scale[2] == 1.0
    assert w[0] > 0
    assert set(FEATURE_SETS["all"]) == set(FEATURES)
    assert not {"p_mean", "p_min", "p_gap", "p_top"} & set(FEATURE_SETS["no-prob"])
    assert {"p_gap", "p_top"} <= set(FEATURE_SETS["relative-prob"]) and "p_mean" not in FEATURE_SETS["relative-prob"]


def test_span_scorer_switch_config_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from tillroll.config import PipelineConfig
    from tillroll.pipeline import STAGES_FOR_MODEL

    joint = STAGES_FOR_MODEL["joint"]
    assert joint.index("spans") == joint.index("assemble") + 1
    scorer = _prefers("legal_form")

    def run(config: PipelineConfig | None) -> str:
        doc = _receipt()
        doc.fields = {SHOP_NAME: _field(doc, {0})}
        return SpanScorerStage(config, scorer=scorer)(doc).fields[SHOP_NAME].text

    monkeypatch.delenv(SPAN_SCORER_ENV, raising=False)
    assert run(PipelineConfig(span_scorer=False)) == "KEDAI RUNCIT AMAN"
    assert run(PipelineConfig(span_scorer=True)) == "KEDAI RUNCIT AMAN SDN BHD"
    monkeypatch.setenv(SPAN_SCORER_ENV, "1")
    assert run(PipelineConfig(span_scorer=False)) == "KEDAI RUNCIT AMAN SDN BHD"
    monkeypatch.setenv(SPAN_SCORER_ENV, "0")
    assert run(PipelineConfig(span_scorer=True)) == "KEDAI RUNCIT AMAN"


def test_span_scorer_shipped_weights_load_and_match_the_features() -> None:
    from tillroll.extract.span_scorer import DEFAULT_WEIGHTS

    scorer = SpanScorer.load(DEFAULT_WEIGHTS)
    assert scorer.weights, "the weights file names no field"
    for name, w in scorer.weights.items():
        assert name in (SHOP_NAME, ADDRESS)
        assert len(w) == len(scorer.mean[name]) == len(scorer.scale[name]) == len(FEATURES)
        assert any(x != 0.0 for x in w)
    # The training run that made them is recorded beside them (what was trained on, what dev said).
    assert scorer.meta["train_model_dirs"] and scorer.meta["selection"]


def test_span_scorer_does_not_fill_a_field_the_rules_left_empty() -> None:
    doc = _receipt()
    doc.fields = {}  # labelled words, but the rules made no shop name or address of them
    out = SpanScorerStage(scorer=_prefers("label_frac"))(doc)
    assert out.fields == {} and "span_scorer" not in out.meta
