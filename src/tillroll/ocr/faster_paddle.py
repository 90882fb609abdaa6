"""faster-paddle (PP-OCRv6 in Rust with its own linked ONNX Runtime): the `paddle-fast` and `paddle-small` engines.

The `faster-paddle` wheel (MIT) carries the PP-OCRv6 tiny and small detector
and recogniser (Apache-2.0, from PaddleOCR) and runs detection, line cropping,
recognition and CTC decoding in Rust, spreading line crops over parallel
single-thread recogniser sessions itself. Nothing downloads at run time for
these two model sizes (only its `medium` size would, and tillroll does not
offer it). On the same receipts it needs about two thirds of the CPU time of
RapidOCR with the same tiny models (docs/benchmarks.md).

Two engine names, one per bundled model size:

- `paddle-fast`: the tiny models: the fastest engine tillroll has;
- `paddle-small`: the small models: fewer character errors, about three
  times the time of `paddle-fast`.

faster-paddle reports text *lines* only (an axis-aligned box, the text and one
confidence per line), while the classifier labels words. `split_line` cuts a
line at its spaces and gives each word the slice of the line's box that its
characters take up in the line's text; every word keeps the line's confidence.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..document import Box
from ..errors import EngineUnavailableError
from .base import OcrWord
from .rapidocr import default_threads

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

# The wheel tested; its models and its post-processing decide the words, so it is part of the cache tag.
FASTER_PADDLE_VERSION = "1.0.4"
_INSTALL_HINT = f"pip install 'faster-paddle=={FASTER_PADDLE_VERSION}'"
# Names the rule of `split_line` in OCR cache keys: change it when the rule changes.
WORD_SPLIT_TAG = "split1"


def _char_weight(ch: str) -> int:
    """Width of a character in units of a Latin letter: CJK and full-width forms take two."""
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def split_line(text: str, box: Box) -> list[tuple[str, Box]]:
    """Cut the line `text` read in `box` into its space-separated words, each with its own box.

    An approximation, since the engine gives no position per character: a
    word's x-extent is the share of the box's width that its characters
    (spaces included, full-width ones counting double) take up in the line's
    text, and its y-extent is the line's. Words come left to right, lie inside
    `box`, do not overlap (the spaces between them become gaps), and joined
    with single spaces they give the line's text with runs of white space
    collapsed.
    """
    x0, y0, x1, y1 = box
    weights = [_char_weight(ch) for ch in text]
    total = sum(weights)
    if total == 0:
        return []
    width = max(0.0, x1 - x0)
    words: list[tuple[str, Box]] = []
    offset = 0  # weight of the characters before position i
    start: int | None = None  # index where the current word began
    start_offset = 0
    for i, ch in enumerate([*text, " "]):  # a trailing space closes the last word
        if ch.isspace():
            if start is not None:
                # Rounded to 0.01 px (cache files stay short); `min` keeps rounding inside the box.
                left = max(x0, min(x1, round(x0 + width * start_offset / total, 2)))
                right = max(left, min(x1, round(x0 + width * offset / total, 2)))
                words.append((text[start:i], (left, y0, right, y1)))
                start = None
        elif start is None:
            start, start_offset = i, offset
        if i < len(weights):
            offset += weights[i]
    return words


def words_of_lines(bounds: Mapping[Any, Mapping[str, Any]]) -> list[OcrWord]:
    """OcrWords from faster-paddle's `bounds` (its line results, keyed by line index)."""
    words: list[OcrWord] = []
    for line in bounds.values():
        text = str(line.get("text") or "")
        (left, top), (right, bottom) = line["topLeftCoord"], line["bottomRightCoord"]
        box = (float(min(left, right)), float(min(top, bottom)), float(max(left, right)), float(max(top, bottom)))
        confidence = round(min(1.0, max(0.0, float(line.get("confidence") or 0.0))), 5)
        for word, word_box in split_line(text, box):
            words.append(OcrWord(word, word_box, confidence))
    return words


def encode_image(image: Image.Image) -> bytes:
    """The page as BMP bytes, the form faster-paddle reads.

    BMP, not PNG or JPEG: it is lossless like PNG (the engine sees exactly the
    pixels tillroll oriented and checked) and costs almost nothing to write
    (12 ms for a SROIE receipt against 36-68 ms for PNG).
    """
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    buf = io.BytesIO()
    rgb.save(buf, format="BMP")
    return buf.getvalue()


class FasterPaddleEngine:
    """`--ocr paddle-fast`: faster-paddle with the PP-OCRv6 tiny models."""

    name = "paddle-fast"
    model_size = "tiny"

    def __init__(self, threads: int | None = None) -> None:
        try:
            from faster_paddle import OcrEngine
        except ImportError as exc:
            raise EngineUnavailableError(f"the {self.name} engine needs the faster-paddle wheel: {_INSTALL_HINT}") from exc
        # Every core, or TILLROLL_OCR_THREADS (set per batch worker): faster-paddle
        # splits them between its detector and its parallel recognisers.
        self.threads = threads or default_threads()
        try:
            self._engine: Any = OcrEngine(model_size=self.model_size, threads=self.threads)
        except Exception as exc:  # noqa: BLE001 - a broken install surfaces as whatever the Rust side raises
            raise EngineUnavailableError(
                f"the {self.name} engine could not load its models ({exc}); reinstall: pip install --force-reinstall 'faster-paddle=={FASTER_PADDLE_VERSION}'"
            ) from exc
        self._tag = f"fp{FASTER_PADDLE_VERSION}-{self.model_size}-{WORD_SPLIT_TAG}"

    def cache_tag(self, image: Image.Image) -> str:
        """The wheel, the model size and the word-splitting rule decide the words besides the pixels (see `CachedEngine`)."""
        return self._tag

    def read(self, image: Image.Image) -> list[OcrWord]:
        if image.width < 2 or image.height < 2:
            return []  # nothing to read, and the detector cannot resize a page this small
        result = self._engine.ocr(encode_image(image))
        return words_of_lines(result.get("bounds") or {})


class FasterPaddleSmallEngine(FasterPaddleEngine):
    """`--ocr paddle-small`: faster-paddle with the PP-OCRv6 small models."""

    name = "paddle-small"
    model_size = "small"
