"""Turn a page of words and boxes into model inputs, and window predictions back into word labels.

This module is shared by training (torch) and inference (onnxruntime), so it
depends only on numpy and the `tokenizers` package: the exact same encoding runs
in both, and the shipped model needs neither torch nor transformers.

Encoding, per page (LayoutLM v1 convention):
- words are WordPiece-tokenised as a pre-split sequence, so every sub-token
  knows which word it came from;
- every sub-token carries its word's box scaled to 0..1000 by the page size
  (the model's 2-D embeddings are tables of 1001 rows);
- a word's training label sits on its FIRST sub-token, the others get -100 and
  are ignored by the loss (and by decoding);
- a page longer than the model's window is cut into overlapping windows; a word
  seen by several windows gets the mean of their probabilities, so words near a
  window edge borrow context from the neighbouring window (paper 5.1).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ModelError

if TYPE_CHECKING:  # pragma: no cover - the tokenizers package loads only with a model
    from tokenizers import Tokenizer

IGNORE_INDEX = -100
# Gold label of a word that is "misc, or one of the labels this dataset does not
# annotate" (SROIE marks only shop, address, date and total, so its unmarked
# words may well be phone numbers or prices). Training scores such words with a
# partial-label loss over the allowed set instead of forcing them to misc.
OPEN_LABEL = -1
BOX_SCALE = 1000
CLS_BOX = (0, 0, 0, 0)
LAYOUT_FRAMES = ("page", "text")
# The text frame is widened by this share of its size on every side, so the
# outermost words do not all sit on the 0 and 1000 lines.
TEXT_FRAME_MARGIN = 0.02
SEP_BOX = (BOX_SCALE, BOX_SCALE, BOX_SCALE, BOX_SCALE)


@dataclass(frozen=True)
class EncodingOptions:
    """How pages are cut into windows. Saved in a model's config.json and reused at inference."""

    max_length: int = 512  # tokens per window, including [CLS] and [SEP]
    stride: int = 128  # tokens shared by two consecutive windows
    # Sub-tokens kept per word. A word's label is read off its first sub-token;
    # the tail of long numbers and codes ("000689913856" is 5 pieces) adds little
    # but costs time in every layer: keeping 2 drops ~32 % of SROIE's tokens.
    max_word_tokens: int = 2
    # What the 0..1000 box coordinates are relative to. "page": the image (every
    # model up to MX12). "text": the rectangle around the page's words, so a
    # receipt photographed with a wide margin of table around it puts its first
    # line at the top and its last at the bottom, as a flat scan does; positions
    # then mean "where on the receipt", not "where in the photo".
    layout_frame: str = "page"

    def __post_init__(self) -> None:
        if self.max_length < 8:
            raise ValueError("max_length must be at least 8 tokens")
        if not 0 <= self.stride < self.max_length - 2:
            raise ValueError("stride must be >= 0 and smaller than max_length - 2")
        if self.max_word_tokens < 0:
            raise ValueError("max_word_tokens must be >= 0 (0 keeps every sub-token)")
        if self.layout_frame not in LAYOUT_FRAMES:
            raise ValueError(f"layout_frame must be one of {LAYOUT_FRAMES}, not {self.layout_frame!r}")


@dataclass
class Window:
    """One model input: a contiguous slice of a page's sub-tokens plus [CLS]/[SEP]."""

    input_ids: list[int]
    bbox: list[tuple[int, int, int, int]]
    word_index: list[int]  # position of the word in the page's word list; -1 for special tokens
    labels: list[int]  # first sub-token: label id (or -100 when the word is unlabelled); others -100
    first_token: list[bool]  # True where a word's first sub-token sits (where its label is read)
    open_labels: tuple[bool, ...] | None = None  # for OPEN_LABEL words: which label ids are acceptable

    def __len__(self) -> int:
        return len(self.input_ids)


@dataclass
class EncodedPage:
    n_words: int
    windows: list[Window] = field(default_factory=list)


def load_tokenizer(path: str | Path) -> Tokenizer:
    """Load a WordPiece `tokenizer.json` with truncation and padding switched off (we window ourselves)."""
    from tokenizers import Tokenizer

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"tokenizer file {path} not found; the model folder must contain tokenizer.json")
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises plain Exception on a bad file
        raise ModelError(f"cannot read tokenizer {path}: {exc}; re-export the model") from exc
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


class SpecialIds:
    """The ids of [CLS], [SEP], [PAD] and [UNK] in a given vocabulary."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        found = {name: tokenizer.token_to_id(name) for name in ("[CLS]", "[SEP]", "[PAD]", "[UNK]")}
        missing = [k for k, v in found.items() if v is None]
        if missing:
            raise ModelError(f"tokenizer lacks the special tokens {missing}; use a BERT WordPiece tokenizer.json")
        ids = {k: v for k, v in found.items() if v is not None}
        self.cls: int = ids["[CLS]"]
        self.sep: int = ids["[SEP]"]
        self.pad: int = ids["[PAD]"]
        self.unk: int = ids["[UNK]"]


def scale_box(box: Sequence[float], width: float, height: float) -> tuple[int, int, int, int]:
    """Pixel box -> 0..1000 integers, clipped (OCR boxes can poke outside the page) and ordered."""
    w = max(float(width), 1.0)
    h = max(float(height), 1.0)

    def clip(v: float) -> int:
        return int(min(BOX_SCALE, max(0, round(v))))

    x0, y0, x1, y1 = (clip(box[0] / w * BOX_SCALE), clip(box[1] / h * BOX_SCALE), clip(box[2] / w * BOX_SCALE), clip(box[3] / h * BOX_SCALE))
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def text_frame(boxes: Sequence[Sequence[float]], page_size: tuple[float, float]) -> tuple[float, float, float, float]:
    """The rectangle around all word boxes, widened by TEXT_FRAME_MARGIN, as (x0, y0, width, height).

    Never smaller than 1 % of the page on either side, so one short word does
    not blow up to the whole coordinate range.
    """
    x0 = min(float(b[0]) for b in boxes)
    y0 = min(float(b[1]) for b in boxes)
    x1 = max(float(b[2]) for b in boxes)
    y1 = max(float(b[3]) for b in boxes)
    width = max(x1 - x0, 0.01 * max(page_size[0], 1.0), 1.0)
    height = max(y1 - y0, 0.01 * max(page_size[1], 1.0), 1.0)
    return (x0 - TEXT_FRAME_MARGIN * width, y0 - TEXT_FRAME_MARGIN * height, width * (1 + 2 * TEXT_FRAME_MARGIN), height * (1 + 2 * TEXT_FRAME_MARGIN))


def scale_boxes(boxes: Sequence[Sequence[float]], page_size: tuple[float, float], layout_frame: str = "page") -> list[tuple[int, int, int, int]]:
    """Every word box as 0..1000 integers relative to the page or to the text frame (see EncodingOptions)."""
    if layout_frame == "page" or not boxes:
        return [scale_box(b, page_size[0], page_size[1]) for b in boxes]
    fx, fy, fw, fh = text_frame(boxes, page_size)
    return [scale_box((b[0] - fx, b[1] - fy, b[2] - fx, b[3] - fy), fw, fh) for b in boxes]


def encode_page(
    tokenizer: Tokenizer,
    texts: Sequence[str],
    boxes: Sequence[Sequence[float]],
    page_size: tuple[float, float],
    labels: Sequence[int] | None = None,
    options: EncodingOptions = EncodingOptions(),
    special: SpecialIds | None = None,
    open_labels: Sequence[bool] | None = None,
) -> EncodedPage:
    """Encode one page's words (in reading order) into windows of at most `options.max_length` tokens.

    `labels` are label ids per word (`IGNORE_INDEX` for words without a gold
    label, `OPEN_LABEL` for "any of `open_labels`").
    """
    if len(texts) != len(boxes):
        raise ValueError(f"{len(texts)} words but {len(boxes)} boxes")
    if labels is not None and len(labels) != len(texts):
        raise ValueError(f"{len(texts)} words but {len(labels)} labels")
    special = special or SpecialIds(tokenizer)
    page = EncodedPage(n_words=len(texts))
    if not texts:
        return page

    # Whitespace inside an OCR "word" would make the tokenizer split it; the
    # pieces still belong to the one word, which is what word_ids reports.
    encoding = tokenizer.encode([t if t.strip() else "[UNK]" for t in texts], is_pretokenized=True, add_special_tokens=False)
    token_ids: list[int] = list(encoding.ids)
    token_words: list[int] = [(-1 if w is None else w) for w in encoding.word_ids]
    # A word the tokenizer drops entirely (control characters only) still needs a token to carry its label.
    seen = set(token_words)
    if len(seen - {-1}) < len(texts):
        token_ids, token_words = _insert_unk_for_dropped(token_ids, token_words, len(texts), special.unk)
    if options.max_word_tokens:
        token_ids, token_words = _cap_word_tokens(token_ids, token_words, options.max_word_tokens)

    scaled = scale_boxes(boxes, page_size, options.layout_frame)
    token_labels: list[int] = []
    token_first: list[bool] = []
    previous = -1
    for w in token_words:
        first = w >= 0 and w != previous
        previous = w
        token_first.append(first)
        token_labels.append(int(labels[w]) if (labels is not None and first) else IGNORE_INDEX)

    body = options.max_length - 2
    step = body - options.stride
    n = len(token_ids)
    start = 0
    while True:
        end = min(start + body, n)
        ids = [special.cls] + token_ids[start:end] + [special.sep]
        bbox = [CLS_BOX] + [scaled[w] for w in token_words[start:end]] + [SEP_BOX]
        words = [-1] + token_words[start:end] + [-1]
        labs = [IGNORE_INDEX] + token_labels[start:end] + [IGNORE_INDEX]
        firsts = [False] + token_first[start:end] + [False]
        page.windows.append(Window(ids, bbox, words, labs, firsts, tuple(open_labels) if open_labels is not None else None))
        if end >= n:
            break
        start += step
    return page


def _cap_word_tokens(token_ids: list[int], token_words: list[int], cap: int) -> tuple[list[int], list[int]]:
    ids: list[int] = []
    words: list[int] = []
    run = 0
    previous = None
    for tid, w in zip(token_ids, token_words):
        run = run + 1 if w == previous else 1
        previous = w
        if run <= cap:
            ids.append(tid)
            words.append(w)
    return ids, words


def _insert_unk_for_dropped(token_ids: list[int], token_words: list[int], n_words: int, unk: int) -> tuple[list[int], list[int]]:
    present = set(token_words)
    by_word: dict[int, list[int]] = {}
    for tid, w in zip(token_ids, token_words):
        by_word.setdefault(w, []).append(tid)
    ids: list[int] = []
    words: list[int] = []
    for w in range(n_words):
        pieces = by_word.get(w) if w in present else None
        for tid in pieces or [unk]:
            ids.append(tid)
            words.append(w)
    return ids, words


def first_token_positions(window: Window) -> list[tuple[int, int]]:
    """(token position, word index) of every word whose first sub-token lies in `window`.

    A word cut at the window's start (its first sub-token in the previous
    window) is not scored here: the model reads a word's label off its first token.
    """
    return [(pos, w) for pos, (w, first) in enumerate(zip(window.word_index, window.first_token)) if first]


def pad_batch(windows: Sequence[Window], pad_id: int, n_labels: int | None = None) -> dict[str, np.ndarray]:
    """Stack windows into arrays padded to the longest one (dynamic padding).

    With `n_labels`, also "open_labels": (batch, n_labels) booleans, the labels
    acceptable for that window's OPEN_LABEL words (all True where it has none).
    """
    longest = max(len(w) for w in windows)
    n = len(windows)
    input_ids = np.full((n, longest), pad_id, dtype=np.int64)
    bbox = np.zeros((n, longest, 4), dtype=np.int64)
    attention = np.zeros((n, longest), dtype=np.int64)
    labels = np.full((n, longest), IGNORE_INDEX, dtype=np.int64)
    for i, w in enumerate(windows):
        k = len(w)
        input_ids[i, :k] = w.input_ids
        bbox[i, :k] = w.bbox
        attention[i, :k] = 1
        labels[i, :k] = w.labels
    batch = {"input_ids": input_ids, "bbox": bbox, "attention_mask": attention, "labels": labels}
    if n_labels is not None:
        allowed = np.ones((n, n_labels), dtype=bool)
        for i, w in enumerate(windows):
            if w.open_labels is not None:
                allowed[i] = w.open_labels
        batch["open_labels"] = allowed
    return batch


def merge_window_probabilities(page: EncodedPage, window_probs: Iterable[np.ndarray], n_labels: int) -> np.ndarray:
    """Per-word probabilities (n_words x n_labels) from per-token probabilities of each window.

    A word covered by several windows gets the mean over them; a word no window
    scored (cannot happen with a valid encoding) gets a uniform row.
    """
    total = np.zeros((page.n_words, n_labels), dtype=np.float64)
    count = np.zeros(page.n_words, dtype=np.int64)
    for window, probs in zip(page.windows, window_probs):
        for pos, w in first_token_positions(window):
            total[w] += probs[pos]
            count[w] += 1
    unseen = count == 0
    total[unseen] = 1.0 / n_labels
    count[unseen] = 1
    return (total / count[:, None]).astype(np.float32)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return out


def read_labels_file(path: str | Path) -> list[str]:
    """The label order of a saved model (labels.json: a JSON list)."""
    try:
        labels = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read label map {path}: {exc}; the model folder must contain labels.json") from exc
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise ModelError(f"{path} must be a JSON list of label names")
    return labels
