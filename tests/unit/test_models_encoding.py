"""Encoding of words and boxes into windows, and merging window predictions back onto words."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tillroll.errors import ModelError
from tillroll.models.encoding import (
    IGNORE_INDEX,
    EncodingOptions,
    SpecialIds,
    encode_page,
    first_token_positions,
    load_tokenizer,
    merge_window_probabilities,
    pad_batch,
    scale_box,
    scale_boxes,
)

tokenizers = pytest.importorskip("tokenizers")


@pytest.fixture(scope="module")
def tokenizer():
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    # A tiny WordPiece vocabulary built here keeps the test offline and independent of model files.
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "total", "tax", "##es", "12", ".", "30", "shop", "a", "##b", "##c"])}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    return tok


def test_models_encoding_first_subtoken_carries_label(tokenizer):
    page = encode_page(tokenizer, ["TAXES", "12.30"], [(0, 0, 50, 10), (60, 0, 100, 10)], (200, 100), labels=[3, 9], options=EncodingOptions(max_word_tokens=0))
    (window,) = page.windows
    special = SpecialIds(tokenizer)
    # [CLS] tax ##es 12 . 30 [SEP]
    assert window.input_ids[0] == special.cls and window.input_ids[-1] == special.sep
    assert window.labels == [IGNORE_INDEX, 3, IGNORE_INDEX, 9, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX]
    assert window.word_index == [-1, 0, 0, 1, 1, 1, -1]
    assert first_token_positions(window) == [(1, 0), (3, 1)]


def test_models_encoding_boxes_scaled_to_thousand_and_clipped():
    assert scale_box((0, 0, 100, 50), 200, 100) == (0, 0, 500, 500)
    # OCR boxes may poke outside the page; the 2-D embedding tables end at 1000.
    assert scale_box((-5, 10, 250, 120), 200, 100) == (0, 100, 1000, 1000)
    # Reversed corners are put back in order.
    assert scale_box((100, 50, 0, 0), 200, 100) == (0, 0, 500, 500)


def test_models_encoding_long_page_uses_overlapping_windows(tokenizer):
    texts = ["shop"] * 50
    boxes = [(0, i * 10, 40, i * 10 + 8) for i in range(50)]
    options = EncodingOptions(max_length=16, stride=4)
    page = encode_page(tokenizer, texts, boxes, (100, 500), labels=list(range(50)), options=options)
    assert all(len(w) <= 16 for w in page.windows)
    assert len(page.windows) > 1
    covered = {w for window in page.windows for _, w in first_token_positions(window)}
    assert covered == set(range(50))
    # Every labelled token carries the label of its own word.
    for window in page.windows:
        for pos, w in first_token_positions(window):
            assert window.labels[pos] == w


def test_models_encoding_merge_averages_overlapping_windows(tokenizer):
    texts = ["shop"] * 30
    boxes = [(0, i * 10, 40, i * 10 + 8) for i in range(30)]
    page = encode_page(tokenizer, texts, boxes, (100, 500), options=EncodingOptions(max_length=16, stride=6))
    n_labels = 3
    # Window k predicts label k % 3 with certainty: words in two windows get a 50/50 mix.
    probs = []
    for k, window in enumerate(page.windows):
        p = np.zeros((len(window), n_labels), dtype=np.float32)
        p[:, k % n_labels] = 1.0
        probs.append(p)
    merged = merge_window_probabilities(page, probs, n_labels)
    assert merged.shape == (30, n_labels)
    np.testing.assert_allclose(merged.sum(axis=1), 1.0, rtol=1e-6)
    counts = np.zeros(30)
    for window in page.windows:
        for _, w in first_token_positions(window):
            counts[w] += 1
    assert (counts == 2).any()
    assert np.all((merged.max(axis=1) == 1.0) == (counts == 1))


def test_models_encoding_word_dropped_by_tokenizer_still_gets_a_token(tokenizer):
    page = encode_page(tokenizer, ["total", "\u200b", "tax"], [(0, 0, 1, 1)] * 3, (10, 10), labels=[9, 11, 3])
    (window,) = page.windows
    assert [w for _, w in first_token_positions(window)] == [0, 1, 2]
    assert [window.labels[p] for p, _ in first_token_positions(window)] == [9, 11, 3]


def test_models_encoding_pad_batch_pads_to_longest(tokenizer):
    a = encode_page(tokenizer, ["total"], [(0, 0, 1, 1)], (10, 10), labels=[9]).windows[0]
    b = encode_page(tokenizer, ["taxes", "12.30"], [(0, 0, 1, 1)] * 2, (10, 10), labels=[3, 8]).windows[0]
    batch = pad_batch([a, b], pad_id=0, n_labels=12)
    assert batch["input_ids"].shape == (2, len(b))
    assert batch["attention_mask"][0].tolist() == [1] * len(a) + [0] * (len(b) - len(a))
    assert (batch["labels"][0, len(a) :] == IGNORE_INDEX).all()
    assert batch["open_labels"].all()


def test_models_encoding_missing_tokenizer_file_is_model_error(tmp_path):
    with pytest.raises(ModelError, match="tokenizer.json"):
        load_tokenizer(tmp_path / "tokenizer.json")


@settings(max_examples=40, deadline=None)
@given(
    words=st.lists(st.text(alphabet="abc .12", min_size=1, max_size=6), min_size=1, max_size=40),
    max_length=st.integers(min_value=8, max_value=40),
    stride_fraction=st.floats(min_value=0.0, max_value=0.9),
)
def test_models_encoding_every_word_scored_exactly_once_or_merged(tokenizer, words, max_length, stride_fraction):
    stride = int((max_length - 3) * stride_fraction)
    options = EncodingOptions(max_length=max_length, stride=stride)
    boxes = [(0, i, 10, i + 1) for i in range(len(words))]
    page = encode_page(tokenizer, words, boxes, (10, len(words) + 1), options=options)
    assert all(len(w) <= max_length for w in page.windows)
    seen = {w for window in page.windows for _, w in first_token_positions(window)}
    assert seen == set(range(len(words)))


def test_models_encoding_caps_sub_tokens_per_word(tokenizer):
    # "12.30" is three pieces (12 . 30), "taxes" two (tax ##es); a cap of 2 keeps "12 ." and "tax ##es".
    page = encode_page(tokenizer, ["12.30", "taxes"], [(0, 0, 1, 1)] * 2, (10, 10), labels=[5, 9], options=EncodingOptions(max_word_tokens=2))
    (window,) = page.windows
    assert window.word_index == [-1, 0, 0, 1, 1, -1]
    assert [window.labels[p] for p, _ in first_token_positions(window)] == [5, 9]


def test_models_encoding_text_frame_ignores_the_margin_around_a_receipt():
    # The same receipt, once filling a scan and once small in the middle of a photo:
    # in the text frame its words get the same coordinates, in the page frame they do not.
    scan = [(10, 10, 190, 30), (10, 470, 120, 490)]
    photo = [(x0 / 4 + 400, y0 / 4 + 300, x1 / 4 + 400, y1 / 4 + 300) for x0, y0, x1, y1 in scan]
    in_scan = scale_boxes(scan, (200, 500), "text")
    in_photo = scale_boxes(photo, (1000, 1000), "text")
    assert all(abs(a - b) <= 1 for box_a, box_b in zip(in_scan, in_photo) for a, b in zip(box_a, box_b))
    assert scale_boxes(photo, (1000, 1000), "page") != in_photo
    # The first word sits near the top-left, the last near the bottom, inside the margin.
    assert in_photo[0][1] < 40 and in_photo[1][3] > 960 and min(min(b) for b in in_photo) > 0


def test_models_encoding_text_frame_of_one_word_does_not_fill_the_range(tokenizer):
    boxes = scale_boxes([(100, 100, 104, 102)], (1000, 1000), "text")
    assert boxes[0][2] - boxes[0][0] < 1000 and boxes[0][3] - boxes[0][1] < 1000
    page = encode_page(tokenizer, ["total"], [(100, 100, 104, 102)], (1000, 1000), options=EncodingOptions(layout_frame="text"))
    assert page.windows[0].bbox[1] == boxes[0]


def test_models_encoding_unknown_layout_frame_is_refused():
    with pytest.raises(ValueError, match="layout_frame"):
        EncodingOptions(layout_frame="receipt")


def test_models_encoding_model_folder_says_its_layout_frame(tmp_path):
    import json

    from tillroll.labels import LABELS
    from tillroll.models.predict import read_model_info

    (tmp_path / "labels.json").write_text(json.dumps(list(LABELS)))
    # A folder written before the option existed (MX12 and older) means the page frame.
    assert read_model_info(tmp_path).options.layout_frame == "page"
    (tmp_path / "config.json").write_text(json.dumps({"encoding": {"max_length": 256, "stride": 64, "layout_frame": "text"}}))
    info = read_model_info(tmp_path)
    assert (info.options.layout_frame, info.options.max_length) == ("text", 256)
