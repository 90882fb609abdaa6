"""Line items assembled row by row from labelled words (extract.assembly.items).

Each case is a small synthetic layout: rows of (text, label, left edge) at a fixed
text height, fed to `build_line_items` the way the assembler feeds it `doc.lines()`.
"""

from __future__ import annotations

from tillroll.document import Document, LineItem, Page, Word
from tillroll.extract.assembly.items import build_line_items
from tillroll.labels import AMOUNT, LINE_ITEM, MISC, QUANTITY, UNIT_PRICE

D, Q, U, A, M = LINE_ITEM, QUANTITY, UNIT_PRICE, AMOUNT, MISC
CHAR = 10.0  # width of one character; text height is 20
ROW = 30.0


def _layout(rows: list[list[tuple[str, str | None, float]]]) -> tuple[Document, list[LineItem]]:
    words: list[Word] = []
    for line, row in enumerate(rows):
        y = 10 + line * ROW
        for text, label, x in row:
            box = (x, y, x + CHAR * len(text), y + 20)
            words.append(Word(len(words), 0, text, box, line=line, label=label, label_source="model"))
    doc = Document(source="synthetic", pages=[Page(0, 600, 40 + len(rows) * ROW)], words=words)
    return doc, build_line_items(doc.lines())


def _word(doc: Document, text: str) -> int:
    return next(w.id for w in doc.words if w.text == text)


def test_one_item_per_priced_row_with_its_words() -> None:
    doc, items = _layout(
        [
            [("MILK", D, 10), ("1.29", A, 500)],
            [("BREAD", D, 10), ("WHITE", D, 70), ("2.49", A, 500)],
        ]
    )
    assert [(i.description, i.amount) for i in items] == [("MILK", "1.29"), ("BREAD WHITE", "2.49")]
    assert items[1].word_ids == [_word(doc, "BREAD"), _word(doc, "WHITE"), _word(doc, "2.49")]


def test_description_above_quantity_times_unit_price_below() -> None:
    _, items = _layout(
        [
            [("APPLES", D, 10), ("GALA", D, 80)],
            [("2", Q, 30), ("x", Q, 50), ("0.65", U, 70), ("1.30", A, 500)],
            [("TEA", D, 10), ("3.10", A, 500)],
        ]
    )
    assert [(i.description, i.quantity, i.unit_price, i.amount) for i in items] == [
        ("APPLES GALA", "2", "0.65", "1.30"),
        ("TEA", None, None, "3.10"),
    ]


def test_indented_second_row_continues_the_description() -> None:
    _, items = _layout(
        [
            [("CHICKEN", D, 10), ("CURRY", D, 90)],
            [("WITH", D, 60), ("RICE", D, 110), ("12.50", A, 500)],
            [("WATER", D, 10), ("2.00", A, 500)],
        ]
    )
    assert [(i.description, i.amount) for i in items] == [("CHICKEN CURRY WITH RICE", "12.50"), ("WATER", "2.00")]


def test_unindented_second_name_is_a_second_item_without_price() -> None:
    # Two products on consecutive rows at the same left edge: the first prints no price.
    _, items = _layout(
        [
            [("SOUP", D, 10), ("4.00", A, 500)],
            [("GARDEN", D, 10), ("SALAD", D, 80)],
            [("1", Q, 10), ("NACHOS", D, 30), ("18.00", A, 500)],
        ]
    )
    assert [(i.description, i.quantity, i.amount) for i in items] == [
        ("SOUP", None, "4.00"),
        ("GARDEN SALAD", None, None),
        ("NACHOS", "1", "18.00"),
    ]


def test_heading_above_the_first_priced_item_is_no_item() -> None:
    _, items = _layout(
        [
            [("BAKERY", D, 10), ("DEPT", D, 80)],
            [("BAGELS", D, 10), ("3.50", A, 500)],
        ]
    )
    assert [(i.description, i.amount) for i in items] == [("BAGELS", "3.50")]


def test_distant_description_does_not_take_a_later_price() -> None:
    # "Dine" and "In" are far above the priced row: the price is no item of theirs.
    _, items = _layout(
        [
            [("Dine", D, 10), ("In", M, 60)],
            [("Server:", M, 10), ("7", M, 100)],
            [("Table", M, 10), ("4", M, 80)],
            [("20.00", A, 500)],
        ]
    )
    assert items == []


def test_discount_row_is_its_own_item_and_a_bare_discount_belongs_to_the_item_above() -> None:
    _, items = _layout(
        [
            [("NAPPIES", D, 10), ("3.75", A, 500)],
            [("-0.50", A, 500)],
            [("WINE", D, 10)],
            [("20%", D, 10), ("DISCOUNT", D, 60), ("1.20-", A, 500)],
        ]
    )
    assert [(i.description, i.amount, i.discount) for i in items] == [
        ("NAPPIES", "3.75", "0.50"),
        ("WINE", None, None),
        ("20% DISCOUNT", "-1.20", None),
    ]


def test_article_number_and_neighbouring_unlabelled_words() -> None:
    # The classifier labelled "REFRIED BEANS" only; "TRADITIONAL" touches it, "T" (a tax
    # flag) sits in a column of its own; the leading digits are the article number.
    _, items = _layout(
        [
            [("134991", D, 10), ("TRADITIONAL", M, 80), ("REFRIED", D, 200), ("BEANS", D, 280), ("0.99", A, 500), ("T", M, 560)],
        ]
    )
    assert [(i.article_number, i.description, i.amount) for i in items] == [("134991", "TRADITIONAL REFRIED BEANS", "0.99")]


def test_price_misread_as_name_or_unit_price_becomes_the_amount() -> None:
    _, items = _layout(
        [
            [("DAL", D, 10), ("TADKA", D, 50), ("157.40", D, 500)],
            [("1", Q, 10), ("Dave", D, 30), ("6.50", U, 500)],
            [("2", Q, 10), ("Pain", D, 30), ("7.00", U, 500)],
            [("Uni", D, 10), ("3.50", A, 500)],
        ]
    )
    assert [(i.description, i.quantity, i.amount) for i in items] == [
        ("DAL TADKA", None, "157.40"),
        ("Dave", "1", "6.50"),
        ("Pain", "2", None),  # two at 7.00 is not 7.00: no amount is guessed
        ("Uni", None, "3.50"),
    ]


def test_amount_split_at_its_decimal_separator() -> None:
    _, items = _layout([[("Caprese", D, 10), ("€", A, 430), ("7", A, 450), ("30", A, 465)]])
    assert [(i.description, i.amount) for i in items] == [("Caprese", "7.30")]


def test_amount_is_the_rightmost_word_that_reads_as_a_number() -> None:
    # "N" (a tax flag) and "CO" (cents the OCR read as letters) carry the amount label too.
    _, items = _layout(
        [
            [("Gift", D, 10), ("Card", D, 60), ("100.00", A, 450), ("N", A, 520)],
            [("shirt", D, 10), ("1", Q, 300), ("$10", A, 450), ("CO", A, 490)],
        ]
    )
    assert [(i.description, i.amount) for i in items] == [("Gift Card", "100.00"), ("shirt", "10.00")]


def test_a_description_without_letters_names_no_item() -> None:
    _, items = _layout(
        [
            [("TEA", D, 10), ("3.10", A, 500)],
            [("20", D, 10)],
            [("COFFEE", D, 10), ("2.80", A, 500)],
        ]
    )
    assert [(i.description, i.amount) for i in items] == [("TEA", "3.10"), ("COFFEE", "2.80")]


def _placed(lines: list[list[tuple[str, str | None, float, float]]]) -> list[LineItem]:
    """OCR lines of (text, label, left, top) words, 20 high: a price can sit off its line."""
    words: list[Word] = []
    for line, row in enumerate(lines):
        for text, label, x, y in row:
            words.append(Word(len(words), 0, text, (x, y, x + CHAR * len(text), y + 20), line=line, label=label))
    return build_line_items(Document(source="synthetic", pages=[Page(0, 600, 400)], words=words).lines())


def test_price_column_shifted_by_the_ocr_is_paired_again_by_geometry() -> None:
    # Names 25 apart; each price 5 above its name's top. The OCR put each price on the
    # line above its own (the first with a heading): paired by geometry, every name gets
    # the price that overlaps it.
    items = _placed(
        [
            [("Table", M, 10, 20), ("3", M, 80, 20), ("6.95", A, 500, 25)],
            [("Cajun", D, 10, 30), ("Wrap", D, 80, 30), ("6.25", A, 500, 50)],
            [("Salmon", D, 10, 55), ("1.25", A, 500, 75)],
            [("Chips", D, 10, 80)],
        ]
    )
    assert [(i.description, i.amount) for i in items] == [("Cajun Wrap", "6.95"), ("Salmon", "6.25"), ("Chips", "1.25")]


def test_prices_already_on_their_rows_stay_there() -> None:
    # One more price than names (a heading's number above them) and a price column a
    # little lower than the names: pairing more of them would shift every item by one.
    items = _placed(
        [
            [("Guests", M, 10, 10), ("9.95", A, 500, 14)],
            [("Soup", D, 10, 30), ("8.20", A, 500, 36)],
            [("Bread", D, 10, 55), ("4.10", A, 500, 61)],
            [("Water", D, 10, 80)],
        ]
    )
    assert [(i.description, i.amount) for i in items] == [("Soup", "8.20"), ("Bread", "4.10")]


def test_tax_code_glued_to_a_price_with_cents() -> None:
    # Prices on this receipt have two decimals, so "12,901" is 12,90 and a tax code 1.
    _, items = _layout([[("Kalamari", D, 10), ("12,901", A, 500)], [("Saft", D, 10), ("2,50", A, 500)], [("Gyros", D, 10), ("19,80", A, 500)]])
    assert [(i.description, i.amount) for i in items] == [("Kalamari", "12.90"), ("Saft", "2.50"), ("Gyros", "19.80")]
