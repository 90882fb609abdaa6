from __future__ import annotations

from tillroll.document import Word
from tillroll.ocr.lines import group_lines


def _w(i: int, text: str, x0: float, y0: float, x1: float, y1: float) -> Word:
    return Word(i, 0, text, (x0, y0, x1, y1))


def test_lines_join_words_across_wide_gaps() -> None:
    words = [_w(0, "12.30", 500, 101, 560, 121), _w(1, "TOTAL", 10, 100, 80, 120), _w(2, "Tea", 10, 60, 50, 80)]
    lines = group_lines(words)
    assert [[w.text for w in line] for line in lines] == [["Tea"], ["TOTAL", "12.30"]]


def test_lines_follow_a_slight_skew() -> None:
    # each word 6 px lower than the last: one skewed line, not four
    words = [_w(i, f"w{i}", 10 + 100 * i, 100 + 6 * i, 90 + 100 * i, 120 + 6 * i) for i in range(4)]
    words.append(_w(9, "below", 10, 160, 90, 180))
    lines = group_lines(words)
    assert [len(line) for line in lines] == [4, 1]


def test_lines_never_stack_overlapping_words() -> None:
    # two words at the same x but slightly different y are two lines, not one
    words = [_w(0, "a", 10, 100, 90, 120), _w(1, "b", 12, 111, 88, 131)]
    assert len(group_lines(words)) == 2


def test_lines_keep_neighbours_whose_boxes_touch() -> None:
    # word boxes split from one detected line overlap by a pixel (a SROIE address line)
    words = [_w(0, "NO", 207, 299, 245, 339), _w(1, "290,", 254, 299, 317, 339), _w(2, "JALAN", 316, 298, 399, 339), _w(3, "AIR", 409, 298, 453, 338)]
    lines = group_lines(words)
    assert [[w.text for w in line] for line in lines] == [["NO", "290,", "JALAN", "AIR"]]
