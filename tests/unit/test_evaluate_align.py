"""Gold labels for words: box-overlap transfer and SROIE entity location."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tillroll.document import Word
from tillroll.evaluate.align import (
    amount_value,
    find_span,
    gold_labels,
    locate_date,
    locate_entities,
    locate_total,
    match_words,
    ocr_line_texts,
)
from tillroll.labels import LABELS
from tillroll.ocr.lines import assign_lines


def words(*rows: tuple[str, tuple[float, float, float, float], str | None]) -> list[Word]:
    out = []
    for i, (text, box, label) in enumerate(rows):
        w = Word(id=i, page=0, text=text, box=box)
        if label:
            w.set_label(label, 1.0, "human")
        out.append(w)
    ordered = assign_lines(out)
    for i, w in enumerate(ordered):
        w.id = i
    return ordered


GOLD = words(
    ("TOTAL", (0, 0, 50, 10), "total"),
    ("9.00", (60, 0, 100, 10), "total"),
    ("CASH", (0, 20, 50, 30), "misc"),
    ("10.00", (60, 20, 100, 30), "misc"),
)


def test_align_glued_ocr_word_takes_the_label_of_what_it_covers() -> None:
    ocr = words(("TOTAL:9.00", (0, 0, 100, 10), None), ("CASH", (1, 21, 49, 29), None), ("noise", (300, 300, 320, 310), None))
    assert gold_labels(ocr, GOLD) == ["total", "misc", "misc"]


def test_align_word_straddling_two_regions_goes_to_the_larger_share() -> None:
    gold = words(("SHOP", (0, 0, 40, 10), "shop_name"), ("STREET", (40, 0, 100, 10), "address"))
    ocr = words(("SHOPSTREET", (10, 0, 100, 10), None))
    assert gold_labels(ocr, gold) == ["address"]


def test_align_word_barely_touching_a_region_is_misc() -> None:
    ocr = words(("X", (45, 8, 95, 40), None))  # 2 of 32 px high overlap the TOTAL line
    assert gold_labels(ocr, GOLD) == ["misc"]


def test_align_no_gold_at_all_gives_misc() -> None:
    assert gold_labels(words(("A", (0, 0, 5, 5), None)), []) == ["misc"]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(LABELS), st.text(alphabet="ABC123", min_size=1, max_size=6)), min_size=1, max_size=12))
def test_align_gold_words_aligned_to_themselves_keep_their_labels(rows: list[tuple[str, str]]) -> None:
    # "OCR = gold": feeding the annotation's own boxes back must reproduce it exactly.
    gold = words(*((text, (0.0, i * 20.0, 60.0, i * 20.0 + 12.0), label) for i, (label, text) in enumerate(rows)))
    assert gold_labels(gold, gold) == [w.label for w in gold]
    assert all(m.gold_ids[0] == w.id for m, w in zip(match_words(gold, gold), gold))


def test_align_find_span_over_lines_with_ocr_slips() -> None:
    page = words(
        ("KEDAI", (0, 0, 40, 10), None),
        ("AMAN", (50, 0, 90, 10), None),
        ("NO.12,", (0, 20, 40, 30), None),
        ("JALAN", (50, 20, 90, 30), None),
        ("MAWAR", (100, 20, 140, 30), None),
        ("43000", (0, 40, 40, 50), None),
        ("KAJANC", (50, 40, 90, 50), None),  # OCR read G as C
        ("TEL", (0, 60, 40, 70), None),
    )
    ids, score = find_span(page, "NO 12, JALAN MAWAR, 43000 KAJANG", min_score=80)
    assert [page[i].text for i in ids] == ["NO.12,", "JALAN", "MAWAR", "43000", "KAJANC"]
    assert 80 <= score < 100
    assert find_span(page, "SOMETHING ELSE ENTIRELY", min_score=80)[0] == []


def test_align_find_span_finds_entity_glued_to_its_key() -> None:
    page = words(("DATE:11/03/18", (0, 0, 100, 10), None))
    assert find_span(page, "11/03/18", min_score=90) == ([0], 100.0)


def test_align_total_is_the_amount_on_the_total_line_not_an_item() -> None:
    page = words(
        ("MILO", (0, 0, 40, 10), None),
        ("9.00", (200, 0, 240, 10), None),
        ("TOTAL:", (0, 20, 40, 30), None),
        ("RM9.00", (200, 20, 240, 30), None),
        ("CASH", (0, 40, 40, 50), None),
        ("9.00", (200, 40, 240, 50), None),
    )
    ids, _ = locate_total(page, "9.00")
    assert [page[i].text for i in ids] == ["RM9.00"]


def test_align_subtotal_line_loses_to_total_line() -> None:
    page = words(("SUBTOTAL", (0, 0, 40, 10), None), ("5.00", (200, 0, 240, 10), None), ("TOTAL", (0, 20, 40, 30), None), ("5.00", (200, 20, 240, 30), None))
    assert locate_total(page, "5.00")[0] == [3]


def test_align_date_in_another_format_is_located() -> None:
    page = words(("4", (0, 0, 10, 10), None), ("MAR", (15, 0, 45, 10), None), ("2018", (50, 0, 90, 10), None))
    ids, _ = locate_date(page, "04/03/2018")
    assert ids == [0, 1, 2]


def test_align_locate_entities_reports_what_it_could_not_find() -> None:
    page = words(("SHOP", (0, 0, 40, 10), None), ("TOTAL", (0, 20, 40, 30), None), ("3.00", (100, 20, 140, 30), None))
    found = locate_entities(page, {"company": "SHOP", "total": "3.00", "date": "01/01/2019", "address": ""})
    assert found["company"].located and found["total"].located
    assert not found["date"].located
    assert "address" not in found  # empty strings are not entities


def test_align_amount_value_reads_printed_amounts() -> None:
    assert amount_value("RM9.00") == amount_value("9.00") == amount_value("$9,00")
    assert amount_value("1,234.50") is not None and str(amount_value("1,234.50")) == "1234.50"
    assert amount_value("TOTAL") is None and amount_value("12/03/2018") is None


def test_align_ocr_line_texts_pairs_ocr_words_with_gold_lines() -> None:
    ocr = words(("TOTAL:", (0, 0, 52, 10), None), ("9.0O", (61, 1, 99, 9), None), ("CASH", (0, 20, 50, 30), None), ("junk", (0, 200, 40, 210), None))
    gold_lines, read = ocr_line_texts(GOLD, ocr)
    assert gold_lines == ["TOTAL 9.00", "CASH 10.00"]
    assert read == ["TOTAL: 9.0O", "CASH"]


@settings(max_examples=60, deadline=None)
@given(st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False), st.sampled_from(["", "RM", "$", "RM "]), st.booleans())
def test_align_amount_value_reads_back_what_was_printed(value, prefix: str, thousands: bool) -> None:
    printed = f"{value:,.2f}" if thousands else f"{value:.2f}"
    assert amount_value(prefix + printed) == value
