"""Pattern rules (paper 6.1) on hand-built lines, including OCR confusions."""

from __future__ import annotations

import pytest
from receipt_builder import build

from tillroll.labels import DATE_TIME, TELEPHONE, TOTAL, VAT_INCLUDED, VAT_INFO
from tillroll.rules.patterns import LineText, match_document_lines


def labelled(rows: list[str]) -> dict[str, str]:
    """word text -> label for every word a pattern rule claimed (first claim wins, as in the stage)."""
    doc = build(rows)
    out: dict[str, str] = {}
    for m in match_document_lines(doc.lines()):
        for wid in m.word_ids:
            out.setdefault(doc.words[wid].text, m.label)
    return out


@pytest.mark.parametrize(
    "row",
    ["TOTAL           12.30", "GRAND TOTAL     12.30", "NETT TOTAL      12.30", "AMOUNT DUE: €12.30", "T0TAL           12.30", "Total (Incl GST) 12.30"],
)
def test_rules_patterns_total_keywords(row: str) -> None:
    got = labelled([row])
    assert got.get("12.30") == TOTAL or got.get("€12.30") == TOTAL


@pytest.mark.parametrize(
    "row",
    ["SUBTOTAL        12.30", "SUB TOTAL       12.30", "TOTAL QTY          3", "TOTAL DISCOUNT   1.00", "TOTAL EXCL GST  12.30", "VAT TOTAL        2.21"],
)
def test_rules_patterns_total_not_for_subtotals_quantities_or_tax(row: str) -> None:
    assert TOTAL not in labelled([row]).values()


def test_rules_patterns_total_amount_on_next_line() -> None:
    got = labelled(["TOTAL:", "                 9.00"])
    assert got["TOTAL:"] == TOTAL and got["9.00"] == TOTAL


@pytest.mark.parametrize(
    "row, word",
    [
        ("Date: 23-08-2024", "23-08-2024"),
        ("23 August 2024", "August"),
        ("12:45 PM", "12:45"),
        ("9 ta Settembru 2023", "Settembru"),
        ("Dec 5, 2019 10:02", "Dec"),
    ],
)
def test_rules_patterns_date_time(row: str, word: str) -> None:
    assert labelled([row]).get(word) == DATE_TIME


@pytest.mark.parametrize(
    "row, word",
    [
        ("VAT NO: MT1234-5678", "MT1234-5678"),
        ("VAT REG NO: MI 1234-5678", "1234-5678"),
        ("EX0 NO: 9876", "9876"),
        ("GST ID No: 000689913856", "000689913856"),
        ("PARTITA IVA IT83380144115", "IT83380144115"),
        ("NIP 549-989-93-75", "549-989-93-75"),
        ("EIN: 56-1665356", "56-1665356"),
    ],
)
def test_rules_patterns_vat_info(row: str, word: str) -> None:
    got = labelled([row])
    assert got.get(word) == VAT_INFO and got.get(row.split()[0]) == VAT_INFO


@pytest.mark.parametrize(
    "row, words",
    [
        ("TEL: +356 8123 4567", ["TEL:", "+356", "4567"]),
        ("PHONE NO: 00356-8123-4567", ["PHONE", "00356-8123-4567"]),
        ("MOBILE: 3999 9999/+356 8111 1111", ["MOBILE:", "3999", "9999/+356", "1111"]),
        ("+356 2123 4567", ["+356", "4567"]),
        # a line holding nothing but a North American number, in any of its layouts
        ("7349944004", ["7349944004"]),
        ("#(609)-298-4650", ["#(609)-298-4650"]),
        ("905 303 6621", ["905", "303", "6621"]),
    ],
)
def test_rules_patterns_telephone(row: str, words: list[str]) -> None:
    got = labelled([row])
    assert all(got.get(w) == TELEPHONE for w in words), got


def test_rules_patterns_telephone_needs_keyword_for_local_numbers() -> None:
    assert TELEPHONE not in labelled(["INV 2123 4567"]).values()
    assert TELEPHONE not in labelled(["002126950400"]).values()  # a GST number, not +212
    assert TELEPHONE not in labelled(["1234567890"]).values()  # no area code starts with 1
    assert TELEPHONE not in labelled(["REF 7349944004"]).values()  # not alone on its line


@pytest.mark.parametrize(
    "row",
    ["VAT @ 18%        12.34", "TAX TOTAL:        5.67", "GST 6%            1.95", "S  6%    56.89    3.41 GST", "Pajak 10% :  20,400", "PPN 10%   5.000,00"],
)
def test_rules_patterns_vat_included(row: str) -> None:
    got = labelled([row])
    assert VAT_INCLUDED in got.values()
    assert TOTAL not in got.values()


def test_rules_patterns_tax_included_in_total_is_tax_not_total() -> None:
    got = labelled(["GST @6% included in total RM 0.75"])
    assert got.get("0.75") == VAT_INCLUDED


def test_rules_patterns_line_text_maps_spans_to_words() -> None:
    doc = build(["TOTAL   RM 27.55"])
    lt = LineText(doc.lines()[0])
    assert lt.text == "TOTAL RM 27.55"
    assert [w.text for w in lt.words_in(6, 14)] == ["RM", "27.55"]


def test_rules_patterns_a_tax_total_and_a_vat_table_header_are_not_the_amount_due() -> None:
    got = labelled(["SUMME MWST     10,13"])
    assert TOTAL not in got.values() and got.get("10,13") == VAT_INCLUDED
    # "Totale" heads the last column of a VAT summary: the row below is one rate's share.
    got = labelled(["Aliq. Imponibile Imposta Totale", "B 10% 50,12 5,01 55,13"])
    assert got.get("55,13") != TOTAL and got.get("Totale") != TOTAL
    got = labelled(["TOTAL", "12.50"])  # a total whose amount sits on the line below still counts
    assert got.get("12.50") == TOTAL
