"""Strip-wise text detection: plans that keep the detector's scale, merges that keep every line once."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from samplekit import render_lines
from tillroll.ocr.cache import CachedEngine
from tillroll.ocr.strips import MAX_DETECTOR_PIXELS, MIN_OVERLAP, STRIP_PIXELS, Strip, detect_in_strips, detector_scale, plan_strips


# RapidOCR enlarges pages under 30 px a side before detection, so smaller ones never reach the plan.
@given(height=st.integers(30, 9000), width=st.integers(30, 2000), limit=st.sampled_from([640, 736, 960]))
@settings(max_examples=300, deadline=None)
@example(height=578, width=163, limit=960)  # enlarged 5.9x: the 32-row alignment adds 32 detector rows plus one page row
def test_strips_cover_the_page_at_the_pages_detector_scale(height: int, width: int, limit: int) -> None:
    strips = plan_strips(height, width, limit)
    assert strips[0].top == 0 and strips[-1].bottom == height
    assert not strips[0].cut_above and not strips[-1].cut_below
    page_scale = detector_scale(height, width, limit)
    for above, below in zip(strips, strips[1:]):
        assert below.top < above.bottom  # no gap
        # a tall line (as the detector sees it) fits whole in one of them
        assert (above.bottom - below.top) * page_scale >= MIN_OVERLAP
        assert above.cut_below and below.cut_above
    if len(strips) > 1:
        for strip in strips:
            strip_height = strip.bottom - strip.top
            # the detector enlarges a strip exactly as much as the whole page
            assert detector_scale(strip_height, width, limit) == pytest.approx(page_scale)
            # and a strip is within the pixel budget (give or take the detector's 32-row
            # alignment, rounded up to whole page rows of `page_scale` detector rows each)
            # unless the scale rule needs more rows
            slack = (32 + page_scale + 1) * page_scale * width
            assert page_scale**2 * strip_height * width <= STRIP_PIXELS + slack or strip_height * page_scale <= min(width, limit) * page_scale + 33
    else:  # read whole: within budget, or no strip could be shorter than the page
        fits = page_scale**2 * height * width <= MAX_DETECTOR_PIXELS
        assert fits or height <= max(min(width, limit), STRIP_PIXELS / (page_scale**2 * width))


def test_small_pages_are_detected_whole() -> None:
    assert plan_strips(800, 600) == [Strip(0, 800, False, False)]  # 0.72 MP once enlarged to 736 wide
    assert plan_strips(1400, 1000) == [Strip(0, 1400, False, False)]  # 1.4 MP: one pass
    assert len(plan_strips(1984, 1088)) == 2  # a full-width phone photo of a long receipt: 2.2 MP
    # a narrow scan is enlarged to 736 px wide first: its strips are counted in enlarged pixels
    assert len(plan_strips(2000, 527)) > 1


@st.composite
def pages_of_lines(draw: st.DrawFn) -> tuple[int, int, list[tuple[float, float, float, float]]]:
    """A tall page with non-overlapping text lines of varied heights (some taller than the overlap)."""
    width = draw(st.integers(750, 1400))
    y, lines = 10.0, []
    for _ in range(draw(st.integers(1, 60))):
        y += draw(st.floats(4, 60))
        height = draw(st.one_of(st.floats(12, 70), st.floats(150, 260)))
        x0 = draw(st.floats(0, width / 2))
        lines.append((x0, y, min(width - 1.0, x0 + draw(st.floats(20, width / 2))), y + height))
        y += height
    return width, int(y) + 20, lines


@given(pages_of_lines())
@settings(max_examples=200, deadline=None)
def test_merged_strips_give_every_line_once(page: tuple[int, int, list[tuple[float, float, float, float]]]) -> None:
    width, height, lines = page
    image = np.zeros((height, width, 1), dtype=np.uint8)

    strips = plan_strips(height, width, 736, max_pixels=300_000, strip_pixels=300_000)
    offsets = iter(s.top for s in strips)

    def clipped_detector(part: np.ndarray) -> tuple[list[np.ndarray], list[float]]:
        # A perfect detector that sees only its strip: lines crossing the strip's edges come back cut.
        top = next(offsets)
        quads = []
        for x0, y0, x1, y1 in lines:
            a, b = max(y0, top), min(y1, top + part.shape[0])
            if b - a > 3:  # a detector misses slivers
                quads.append(np.array([[x0, a], [x1, a], [x1, b], [x0, b]], dtype=np.float32) - [0, top])
        return quads, [0.9] * len(quads)

    quads, scores = detect_in_strips(image, clipped_detector, strips)
    found = sorted((float(q[0][1]), float(q[2][1])) for q in quads)
    assert len(scores) == len(quads)
    # every line once, whole unless it is taller than the overlap and was cut in every strip
    assert len(found) == len(lines)
    for (y0, y1), (_, line_y0, _, line_y1) in zip(found, sorted(lines, key=lambda b: b[1])):
        if line_y1 - line_y0 < MIN_OVERLAP:
            assert (y0, y1) == pytest.approx((line_y0, line_y1), abs=1e-3)
        else:
            assert line_y0 - 1e-3 <= y0 < y1 <= line_y1 + 1e-3


def test_rapidocr_reads_a_long_receipt_in_strips_as_it_reads_it_whole() -> None:
    from tillroll.ocr.base import get_engine

    items = [f"ITEM {n:02d} COFFEE {n}.50" for n in range(1, 41)]
    image = render_lines(["CAFE STRIPS", *items, "TOTAL 99.00"], size=28, width=1100)
    engine = get_engine("rapidocr")
    assert "strips" in engine.cache_tag(image)  # tall and wide enough to be cut
    strip_words = engine.read(image)
    whole = engine._ocr.text_det
    engine._ocr.text_det = whole._detector  # the unwrapped detector: one pass over the page
    try:
        whole_words = engine.read(image)
    finally:
        engine._ocr.text_det = whole
    assert sorted(w.text for w in strip_words) == sorted(w.text for w in whole_words)
    assert "TOTAL" in {w.text for w in strip_words} and "CAFE" in {w.text for w in strip_words}
    # a page small enough for one pass is read whole, under another cache entry
    assert "strips" not in engine.cache_tag(render_lines(["TOTAL 1.00"], size=28))


def test_cache_gives_strip_read_pages_their_own_entry(tmp_path) -> None:
    class Tagged:
        name = "tagged"

        def __init__(self, tag: str) -> None:
            self.tag = tag

        def cache_tag(self, image) -> str:
            return self.tag

        def read(self, image):
            return []

    image = render_lines(["A"], size=20)
    plain, tagged = CachedEngine(Tagged(""), tmp_path), CachedEngine(Tagged("strips9"), tmp_path)
    assert plain.path_for(image) != tagged.path_for(image)
    assert tagged.path_for(image).name.endswith("-strips9.json")


def _rapidocr_word_info(text: str, confidences: list[float]):
    """What RapidOCR's own CTC decoder reports for `text`, one character every 3 columns."""
    from rapidocr.ch_ppocr_rec.utils import CTCLabelDecode

    selection = np.zeros(3 * len(text) + 3, dtype=bool)
    selection[[3 * i + 1 for i in range(len(text))]] = True
    info = CTCLabelDecode.get_word_info(text, selection)
    info.line_txt_len = len(selection)
    info.confs = confidences
    return info


def test_rapidocr_lines_with_a_cjk_character_come_back_as_words_not_characters() -> None:
    from tillroll.ocr.base import get_engine

    engine = get_engine("rapidocr")
    text = "Tanggal：21-09-15 Jam"
    confidences = [0.9] * len(text)
    confidences[text.index("：")] = 0.3
    box = np.array([[0, 0], [600, 0], [600, 40], [0, 40]])
    words, quads, scores = engine._ocr.cal_rec_boxes.cal_ocr_word_box(text, box, _rapidocr_word_info(text, confidences))
    # RapidOCR alone returns 19 one-character "words" for this line
    assert words == ["Tanggal", "：", "21-09-15", "Jam"]
    assert len(quads) == 4 and scores == [0.9, 0.3, 0.9, 0.9]
    lefts = [min(p[0] for p in quad) for quad in quads]
    assert lefts == sorted(lefts)  # boxes in reading order, one per word


def test_word_confidence_is_the_mean_of_its_own_characters() -> None:
    from tillroll.ocr.rapidocr import _word_confidences

    assert _word_confidences("AB C", [1.0, 0.5, 0.0, 0.2], [2, 1]) == [0.75, 0.2]
    # not one value per character: every word gets the line's mean
    assert _word_confidences("AB C", [0.4, 0.6], [2, 1]) == [0.5, 0.5]
