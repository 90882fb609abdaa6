"""Generic key-value pairs: colon, right-aligned, value below, named numbers."""

from __future__ import annotations

from receipt_builder import build

from tillroll.extract.key_values import extract_key_values


def pairs(rows: list[str]) -> list[tuple[str, str]]:
    return [(kv.key, kv.value) for kv in extract_key_values(build(rows).lines())]


def test_extract_key_values_colon_on_one_line_and_two_pairs_per_line() -> None:
    assert pairs(["Cashier: Ann"]) == [("Cashier", "Ann")]
    assert pairs(["Date: 14/03/2018   Time: 12:45 PM"]) == [("Date", "14/03/2018"), ("Time", "12:45 PM")]
    assert pairs(["Receipt No.:CS1801/26821"]) == [("Receipt No", "CS1801/26821")]


def test_extract_key_values_right_aligned_value() -> None:
    assert pairs(["CASHIER                 MANIS"]) == [("CASHIER", "MANIS")]


def test_extract_key_values_value_below_key() -> None:
    assert pairs(["Invoice Number:", "INV-2024-0042"]) == [("Invoice Number", "INV-2024-0042")]


def test_extract_key_values_named_numbers() -> None:
    assert pairs(["Table 12"]) == [("Table", "12")]
    assert pairs(["Server: Kim        Check #1042"]) == [("Server", "Kim"), ("Check", "#1042")]


def test_extract_key_values_ignore_prose_and_column_titles() -> None:
    assert pairs(["THANK YOU PLEASE COME AGAIN"]) == []
    assert pairs(["DESCRIPTION          AMOUNT"]) == []


def test_extract_key_values_word_ids_point_at_the_words() -> None:
    doc = build(["Cashier: Ann"])
    kv = extract_key_values(doc.lines())[0]
    assert [doc.words[i].text for i in kv.key_word_ids] == ["Cashier:"]
    assert [doc.words[i].text for i in kv.value_word_ids] == ["Ann"]
