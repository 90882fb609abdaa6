"""The faster-paddle engines (`paddle-fast`, `paddle-small`): line-to-word splitting, reading, caching, the CLI."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from PIL import Image
from typer.testing import CliRunner

from samplekit import font, render_lines
from tillroll.errors import EngineUnavailableError
from tillroll.ocr.base import engine_names, get_engine
from tillroll.ocr.cache import CachedEngine
from tillroll.ocr.faster_paddle import FasterPaddleEngine, ink_gaps, split_line, words_of_lines

LINES = ["CAFE VALLETTA", "TOTAL 12.30", "VAT MT12345678"]


def _has_wheel() -> bool:
    try:
        import faster_paddle  # noqa: F401
    except ImportError:
        return False
    return True


needs_wheel = pytest.mark.skipif(not _has_wheel(), reason="the faster-paddle wheel is not installed")


# --------------------------------------------------------------------------- splitting lines into words


def test_split_line_gives_each_word_its_share_of_the_line_box() -> None:
    # 11 characters over 110 px: 10 px each; the space is the gap between the words
    assert split_line("TOTAL 12.30", (0.0, 5.0, 110.0, 25.0)) == [("TOTAL", (0.0, 5.0, 50.0, 25.0)), ("12.30", (60.0, 5.0, 110.0, 25.0))]
    assert split_line("RM", (10.0, 0.0, 30.0, 8.0)) == [("RM", (10.0, 0.0, 30.0, 8.0))]
    assert split_line("   ", (0.0, 0.0, 10.0, 10.0)) == []
    assert split_line("", (0.0, 0.0, 10.0, 10.0)) == []


def test_split_line_counts_full_width_characters_double() -> None:
    # "合计" takes 4 units, the space 1, "5.00" 4: 9 units over 90 px
    words = split_line("合计 5.00", (0.0, 0.0, 90.0, 10.0))
    assert words == [("合计", (0.0, 0.0, 40.0, 10.0)), ("5.00", (50.0, 0.0, 90.0, 10.0))]


_text = st.text(alphabet=st.sampled_from(list("AB1.:-合 \t")), max_size=40)
_coord = st.floats(min_value=-1000, max_value=5000, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(
    text=_text,
    x0=_coord,
    width=st.floats(min_value=0, max_value=3000, allow_nan=False),
    y0=_coord,
    height=st.floats(min_value=0, max_value=200, allow_nan=False),
)
@example(text="A  B", x0=0.001, width=0.003, y0=0.0, height=1.0)  # rounding to 0.01 px must stay in the box
def test_split_line_words_lie_in_the_line_in_order_without_overlap(text: str, x0: float, width: float, y0: float, height: float) -> None:
    box = (x0, y0, x0 + width, y0 + height)
    words = split_line(text, box)
    assert " ".join(w for w, _ in words) == " ".join(text.split())
    for word, (wx0, wy0, wx1, wy1) in words:
        assert word and not any(ch.isspace() for ch in word)
        assert box[0] <= wx0 <= wx1 <= box[2]
        assert (wy0, wy1) == (box[1], box[3])
    for (_, left), (_, right) in zip(words, words[1:]):
        assert left[2] <= right[0]  # in reading order, not overlapping


def test_split_line_puts_each_space_on_an_ink_gap_near_it() -> None:
    box = (0.0, 0.0, 500.0, 20.0)
    # one space printed as a wide gap: the words end where the ink does, not at their share of the width
    assert split_line("TOTAL 12.30", box, [(60.0, 440.0)]) == [("TOTAL", (0.0, 0.0, 60.0, 20.0)), ("12.30", (440.0, 0.0, 500.0, 20.0))]
    # more gaps than spaces: the one nearest the share-based estimate (250) wins
    assert split_line("AB CD", box, [(30.0, 40.0), (230.0, 240.0), (400.0, 480.0)])[0][1] == (0.0, 0.0, 230.0, 20.0)
    # two spaces, gaps in order: each space keeps its own gap even when both lie nearer the first
    words = split_line("TOTAL RM 9.90", box, [(100.0, 300.0), (340.0, 350.0)])
    assert [w[1][0] for w in words] == [0.0, 300.0, 350.0]
    # fewer gaps than spaces: the gaps say too little, the shares decide
    assert split_line("A B C", (0.0, 0.0, 50.0, 10.0), [(12.0, 18.0)]) == split_line("A B C", (0.0, 0.0, 50.0, 10.0))


_gap_list = st.lists(st.tuples(st.floats(min_value=-0.2, max_value=1.2), st.floats(min_value=0.0, max_value=0.2)), max_size=8)


@settings(max_examples=300, deadline=None)
@given(text=_text, x0=_coord, width=st.floats(min_value=0, max_value=3000, allow_nan=False), gap_shares=_gap_list)
def test_split_line_with_gaps_keeps_words_in_the_line_in_order_without_overlap(
    text: str, x0: float, width: float, gap_shares: list[tuple[float, float]]
) -> None:
    box = (x0, 0.0, x0 + width, 30.0)
    # disjoint runs, as ink_gaps reports them, some reaching past the box
    gaps, end = [], -1.0
    for start, length in sorted(gap_shares):
        if start > end:
            gaps.append((x0 + width * start, x0 + width * (start + length)))
            end = start + length
    words = split_line(text, box, gaps)
    assert " ".join(w for w, _ in words) == " ".join(text.split())
    for _, (wx0, _, wx1, _) in words:
        assert box[0] <= wx0 <= wx1 <= box[2]
    for (_, left), (_, right) in zip(words, words[1:]):
        assert left[2] <= right[0]


def test_ink_gaps_finds_the_space_between_printed_words_and_none_inside_them() -> None:
    import numpy as np
    from PIL import ImageDraw

    image = Image.new("L", (600, 100), 255)
    draw = ImageDraw.Draw(image)
    f = font(36)
    draw.text((30, 30), "TOTAL", font=f, fill=0)
    draw.text((400, 30), "RM", font=f, fill=0)
    total, rm = draw.textbbox((30, 30), "TOTAL", font=f), draw.textbbox((400, 30), "RM", font=f)
    gaps = ink_gaps(np.asarray(image), (20.0, 20.0, 480.0, 80.0))
    widest = max(gaps, key=lambda g: g[1] - g[0])
    assert abs(widest[0] - total[2]) <= 3 and abs(widest[1] - rm[0]) <= 3
    # between letters only narrow runs, if any (the margins before "TOTAL" and after "RM" are no gaps)
    assert all(g[1] - g[0] < 20 and total[0] < g[0] < rm[2] for g in gaps if g != widest)
    # the same in white on black, and nothing on a blank band
    assert widest in ink_gaps(255 - np.asarray(image), (20.0, 20.0, 480.0, 80.0))
    assert ink_gaps(np.full((100, 600), 255, dtype=np.uint8), (20.0, 20.0, 480.0, 80.0)) == []


def test_words_of_lines_reads_faster_paddle_bounds() -> None:
    bounds = {
        0: {"topLeftCoord": (10, 20), "bottomRightCoord": (120, 40), "text": "TOTAL 12.30", "confidence": 0.93},
        1: {"topLeftCoord": (10, 50), "bottomRightCoord": (60, 70), "text": " ", "confidence": 0.2},
        2: {"topLeftCoord": (10, 80), "bottomRightCoord": (60, 100), "text": "RM", "confidence": 1.2},
    }
    words = words_of_lines(bounds)
    assert [(w.text, w.confidence) for w in words] == [("TOTAL", 0.93), ("12.30", 0.93), ("RM", 1.0)]
    assert words[0].box == (10.0, 20.0, 60.0, 40.0)
    assert words[1].box == (70.0, 20.0, 120.0, 40.0)
    # a line read with too little confidence (garbage from a barcode, say) is left out whole
    bounds[3] = {"topLeftCoord": (10, 110), "bottomRightCoord": (90, 130), "text": "北未行出 大", "confidence": 0.3}
    assert [w.text for w in words_of_lines(bounds, min_confidence=0.5)] == ["TOTAL", "12.30", "RM"]
    assert [w.text for w in words_of_lines(bounds)][-2:] == ["北未行出", "大"]


# --------------------------------------------------------------------------- the engine


def test_paddle_engines_are_registered() -> None:
    assert {"paddle-fast", "paddle-small"} <= set(engine_names())


def test_paddle_engine_without_the_wheel_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "faster_paddle", None)  # makes `import faster_paddle` raise ImportError
    with pytest.raises(EngineUnavailableError, match=r"pip install 'faster-paddle=="):
        FasterPaddleEngine()


@pytest.fixture(scope="module")
def receipt() -> Image.Image:
    return render_lines(LINES, size=44)


@needs_wheel
@pytest.mark.parametrize("name", ["paddle-fast", "paddle-small"])
def test_paddle_engine_reads_a_rendered_receipt_word_by_word(name: str, receipt: Image.Image) -> None:
    from rapidfuzz.distance import Levenshtein

    words = get_engine(name).read(receipt)
    ordered = sorted(words, key=lambda w: (round(w.box[1] / 40), w.box[0]))
    expected = " ".join(LINES).split()
    assert len(ordered) == len(expected)
    # The tiny recogniser reads this rendering's "TOTAL" as "T0TAL": one misread letter is allowed it, no more.
    edits = sum(Levenshtein.distance(w.text, gold) for w, gold in zip(ordered, expected))
    assert edits <= (1 if name == "paddle-fast" else 0), [w.text for w in ordered]
    line_h = int(44 * 1.6)
    for w in words:
        x0, y0, x1, y1 = w.box
        assert 0 <= x0 < x1 <= receipt.width and 0 <= y0 < y1 <= receipt.height
        assert 0.5 <= w.confidence <= 1.0
    total, amount = ordered[2], ordered[3]
    assert amount.text == "12.30"
    # on the second printed line, "TOTAL" at its left and the amount after it
    assert 40 + line_h - 10 <= (total.box[1] + total.box[3]) / 2 <= 40 + 2 * line_h
    assert total.box[0] < 80 and total.box[2] <= amount.box[0]


@needs_wheel
def test_paddle_engine_finds_nothing_on_blank_or_tiny_pages() -> None:
    engine = get_engine("paddle-fast")
    assert engine.read(Image.new("RGB", (1, 1), "white")) == []
    assert engine.read(Image.new("L", (300, 400), 255)) == []


@needs_wheel
def test_paddle_engines_keep_their_own_cache_entries(receipt: Image.Image, tmp_path: Path) -> None:
    fast = CachedEngine(get_engine("paddle-fast"), tmp_path)
    small = CachedEngine(get_engine("paddle-small"), tmp_path)
    paths = {fast.path_for(receipt), small.path_for(receipt)}
    assert len(paths) == 2
    assert all(p.parent.name in ("paddle-fast", "paddle-small") and "-fp" in p.name for p in paths)
    first = fast.read(receipt)
    assert fast.misses == 1 and fast.path_for(receipt).is_file()
    assert [w.text for w in fast.read(receipt)] == [w.text for w in first] and fast.hits == 1


@needs_wheel
def test_cli_extract_reads_an_image_with_paddle_fast(tmp_path: Path, receipt: Image.Image) -> None:
    from tillroll.cli import _load_commands, app

    _load_commands()
    path = tmp_path / "cafe.png"
    receipt.save(path)
    result = CliRunner().invoke(app, ["extract", "--ocr", "paddle-fast", str(path)])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["meta"]["ocr"] == "paddle-fast"
    # one word per printed word, grouped into the printed lines (the tiny models may misread a letter: see above)
    lines = [[w["text"] for w in doc["words"] if w["line"] == line] for line in sorted({w["line"] for w in doc["words"]})]
    assert [len(line) for line in lines] == [len(line.split()) for line in LINES]
    assert lines[0] == ["CAFE", "VALLETTA"] and lines[1][1] == "12.30"
