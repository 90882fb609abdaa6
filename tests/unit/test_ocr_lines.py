from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

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


def _group_lines_checking_every_line(words: list[Word], min_overlap: float = 0.5) -> list[list[Word]]:
    """The grouping rule without the vertical-extent shortcut: every line is compared with every word."""
    from tillroll.ocr.lines import _horizontal_overlap, _vertical_overlap

    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (w.cy, w.x0)):
        best, best_score = None, min_overlap
        for line in lines:
            nearest = min(line, key=lambda o: abs(o.cx - w.cx))
            if any(_horizontal_overlap(o, w) > 0.25 and _vertical_overlap(o, w) > 0.3 for o in line):
                continue
            score = _vertical_overlap(nearest, w)
            if score > best_score:
                best, best_score = line, score
        if best is None:
            lines.append([w])
        else:
            best.append(w)
    for line in lines:
        line.sort(key=lambda w: w.x0)
    lines.sort(key=lambda line: sum(w.cy for w in line) / len(line))
    return lines


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 300), st.integers(4, 120), st.integers(4, 30)), min_size=1, max_size=60))
def test_lines_skipping_lines_out_of_reach_changes_no_grouping(boxes: list[tuple[int, int, int, int]]) -> None:
    words = [_w(i, f"w{i}", x, y, x + w, y + h) for i, (x, y, w, h) in enumerate(boxes)]
    fast = [[w.id for w in line] for line in group_lines(words)]
    assert fast == [[w.id for w in line] for line in _group_lines_checking_every_line(words)]
