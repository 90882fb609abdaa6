"""Words of a PDF text layer drawn without space characters: where one word ends.

Producers often place each word (or each table cell) with its own text
operator and no space between them; pdfium then reports the letters with a
horizontal gap only. The loader splits on a gap wider than the line's letter
spacing by `WORD_GAP_EM` of the font size, so a narrow word space splits while
kerning and letter-spaced headings stay whole.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from samplekit import _pdf
from tillroll.io.load import load_document
from tillroll.io.pdf import WORD_GAP_EM, em_size, word_break


def _page(stream: str, size: tuple[float, float] = (400.0, 200.0)) -> bytes:
    w, h = size
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".encode(),
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream".encode("latin-1"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    return _pdf(objects)


def _words(stream: str) -> list[str]:
    return [w.text for w in load_document(_page(stream), name="gaps.pdf").words]


def _two_words(gap_em: float, scaled: bool = False, tracking_em: float = 0.0) -> list[str]:
    # TJ moves the pen by -n/1000 em: a negative number opens a gap of n thousandths of an em.
    # `scaled`: size 1 in a 12x text matrix, as some producers write it (pdfium then reports size 1).
    font = "/F1 1 Tf 12 0 0 12 20 100 Tm" if scaled else "/F1 12 Tf 20 100 Td"
    tc = tracking_em if scaled else tracking_em * 12
    return _words(f"BT {font} {tc} Tc [(Transport) {-gap_em * 1000:.0f} (towaru)] TJ ET")


@pytest.mark.parametrize("scaled", [False, True])
@pytest.mark.parametrize("gap_em", [0.2, 0.25, 0.33, 0.6])
def test_a_narrow_word_gap_without_a_space_character_splits(gap_em: float, scaled: bool) -> None:
    assert _two_words(gap_em, scaled) == ["Transport", "towaru"]


@pytest.mark.parametrize("scaled", [False, True])
@pytest.mark.parametrize("gap_em", [-0.05, 0.0, 0.05, 0.1])
def test_kerning_and_tight_gaps_keep_one_word(gap_em: float, scaled: bool) -> None:
    assert _two_words(gap_em, scaled) == ["Transporttowaru"]


def test_letter_spaced_heading_stays_one_word_and_its_word_gaps_still_split() -> None:
    # Letter spacing of 0.12 em between every glyph: each letter gap is near the rule's margin.
    assert _two_words(0.0, tracking_em=0.12) == ["Transporttowaru"]
    assert _two_words(0.3, tracking_em=0.12) == ["Transport", "towaru"]


def test_postcode_and_city_placed_apart_are_two_words() -> None:
    # The e-invoice samples place "88802" and "Spielkreis" a sixth of an em apart.
    assert _words("BT /F1 10 Tf 20 100 Td [(88802) -170 (Spielkreis)] TJ ET") == ["88802", "Spielkreis"]


def test_em_size_falls_back_to_the_box_when_the_reported_size_is_scaled_away() -> None:
    assert em_size(12.0, 13.2) == 12.0
    assert em_size(1.0, 13.2) == pytest.approx(12.0)
    assert em_size(0.0, 11.0) == pytest.approx(10.0)


@given(
    em=st.floats(min_value=4.0, max_value=40.0),
    tracking=st.floats(min_value=0.0, max_value=0.3),
    kern=st.floats(min_value=-0.1, max_value=0.14),
    space=st.floats(min_value=0.2, max_value=1.0),
)
def test_word_break_is_measured_against_the_lines_letter_spacing(em: float, tracking: float, kern: float, space: float) -> None:
    spacing = [tracking * em] * 5
    # A letter gap of the line's spacing with less kerning than the margin never breaks ...
    assert not word_break((tracking + min(kern, WORD_GAP_EM - 0.01)) * em, em, spacing)
    # ... and a word space on top of the letter spacing always does.
    assert word_break((tracking + space) * em, em, spacing)
