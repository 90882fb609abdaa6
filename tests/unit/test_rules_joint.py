"""The joint policy (paper 6.5), standalone rules, line items and relabelling, on hand-built documents."""

from __future__ import annotations

from receipt_builder import build, word_with

from tillroll.config import PipelineConfig
from tillroll.document import Document
from tillroll.labels import ADDRESS, AMOUNT, LINE_ITEM, MISC, SHOP_NAME, TOTAL, UNIT_PRICE
from tillroll.rules.entities import EntityDatabase
from tillroll.rules.joint import RulesStage
from tillroll.rules.line_items import find_table
from tillroll.rules.patterns import match_document_lines
from tillroll.rules.relabel import relabel

ROWS = [
    "      KAFE TAL-BELT LTD",
    "    45, Triq il-Merkanti",
    "     Valletta VLT 1175",
    "12/10/2024           09:15",
    "QTY  ITEM          PRICE   AMOUNT",
    " 2   Cappuccino     3.50     7.00",
    " 1   Ftira          6.50     6.50",
    "TOTAL                       13.50",
]


def stage(threshold: float = 0.6) -> RulesStage:
    return RulesStage(PipelineConfig(replace_threshold=threshold), entity_db=EntityDatabase(":memory:", seed=False))


def with_model_labels(doc: Document, label: str, confidence: float) -> Document:
    for w in doc.words:
        w.set_label(label, confidence, "model")
        w.label_scores = {label: confidence, MISC: 1 - confidence}
    return doc


def test_rules_joint_standalone_labels_every_word() -> None:
    doc = stage()(build(ROWS))
    assert all(w.label is not None and w.label_source == "rule" and w.label_confidence is not None for w in doc.words)
    assert word_with(doc, "KAFE").label == SHOP_NAME
    assert word_with(doc, "Triq").label == ADDRESS
    assert word_with(doc, "Cappuccino").label == LINE_ITEM
    assert word_with(doc, "3.50").label == UNIT_PRICE
    assert word_with(doc, "7.00").label == AMOUNT
    assert word_with(doc, "13.50").label == TOTAL
    assert word_with(doc, "QTY").label == MISC


def test_rules_joint_confident_model_labels_survive_line_item_processor() -> None:
    doc = with_model_labels(build(ROWS), MISC, 0.9)
    stage()(doc)
    cappuccino = word_with(doc, "Cappuccino")
    assert (cappuccino.label, cappuccino.label_source, cappuccino.label_confidence) == (MISC, "model", 0.9)


def test_rules_joint_weak_model_labels_replaced_with_half_confidence() -> None:
    doc = with_model_labels(build(ROWS), MISC, 0.4)
    stage()(doc)
    cappuccino = word_with(doc, "Cappuccino")
    assert (cappuccino.label, cappuccino.label_source, cappuccino.label_confidence) == (LINE_ITEM, "rule", 0.5)


def test_rules_joint_agreeing_weak_label_is_confirmed() -> None:
    doc = build(ROWS)
    with_model_labels(doc, MISC, 0.3)
    item = word_with(doc, "Ftira")
    item.set_label(LINE_ITEM, 0.45, "model")
    stage()(doc)
    assert (item.label, item.label_confidence, item.label_source) == (LINE_ITEM, 1.0, "model")


def test_rules_joint_regex_match_overwrites_confident_model() -> None:
    doc = with_model_labels(build(ROWS), MISC, 0.99)
    stage()(doc)
    assert word_with(doc, "13.50").label == TOTAL and word_with(doc, "13.50").label_source == "rule"
    assert word_with(doc, "12/10/2024").label == "date_time"


def test_rules_joint_threshold_is_configurable() -> None:
    doc = with_model_labels(build(ROWS), MISC, 0.7)
    stage(threshold=0.8)(doc)
    assert word_with(doc, "Cappuccino").label == LINE_ITEM


def test_rules_line_items_two_line_items_and_combined_quantity() -> None:
    rows = [
        "DESCRIPTION            QTY    AMOUNT",
        "CHOPPING BOARD 35X25CM",
        "8970669                1 X 19.00   19.00",
        "2x6.50 Espresso                  13.00",
        "VAT SUMMARY    18%      5.00    0.90",
        "TOTAL                          32.00",
    ]
    doc = build(rows)
    lines = doc.lines()
    table = find_table(lines, 400, match_document_lines(lines), 0)
    assert table is not None and len(table.rows) == 2
    first, second = table.rows
    assert [doc.words[i].text for i in first.description] == ["CHOPPING", "BOARD", "35X25CM", "8970669"]
    assert [doc.words[i].text for i in first.quantity + first.unit_price + first.amount] == ["1", "19.00", "19.00"]
    assert [doc.words[i].text for i in second.unit_price] == ["2x6.50"]
    assert all(doc.words[i].text not in ("0.90", "5.00") for i in table.labels)  # the VAT summary is no item


def test_rules_relabel_flips_weak_straggler_between_confident_neighbours() -> None:
    doc = build(["52, Guzeppi Caruana str., Santa Lucia"])
    line = doc.lines()[0]
    for w in line:
        w.set_label(ADDRESS, 0.9, "model")
    line[2].set_label(SHOP_NAME, 0.41, "model")
    line[2].label_scores = {SHOP_NAME: 0.41, ADDRESS: 0.38}
    assert relabel(doc.lines()) >= 1
    assert line[2].label == ADDRESS and line[2].label_confidence == 0.38


def test_rules_relabel_keeps_confident_disagreement() -> None:
    doc = build(["52, Guzeppi Caruana str., Santa Lucia"])
    line = doc.lines()[0]
    for w in line:
        w.set_label(ADDRESS, 0.9, "model")
    line[2].set_label(SHOP_NAME, 0.8, "model")
    relabel(doc.lines())
    assert line[2].label == SHOP_NAME


def test_rules_relabel_shop_name_word_inside_the_address_line_below_the_name() -> None:
    def labelled(address_score: float) -> list:
        doc = build(["PETCO", "364 Randall Road", "South Elgin, IL 60177"])
        name, street, town = doc.lines()
        name[0].set_label(SHOP_NAME, 0.99, "model")
        for w in street + town:
            w.set_label(ADDRESS, 0.95, "model")
        street[0].set_label(SHOP_NAME, 0.78, "model")
        street[0].label_scores = {SHOP_NAME: 0.78, ADDRESS: address_score}
        relabel(doc.lines())
        return [w.label for w in doc.words]

    assert labelled(0.2) == [SHOP_NAME] + [ADDRESS] * 7
    # Where the classifier left no doubt, the rule does not overrule it.
    assert labelled(0.01)[:2] == [SHOP_NAME, SHOP_NAME]
