"""faster-paddle (PP-OCRv6 in Rust with its own linked ONNX Runtime): the `paddle-fast` and `paddle-small` engines.

The `faster-paddle` wheel (MIT) carries the PP-OCRv6 tiny and small detector
and recogniser (Apache-2.0, from PaddleOCR) and runs detection, line cropping,
recognition and CTC decoding in Rust, spreading line crops over parallel
single-thread recogniser sessions itself. Nothing downloads at run time for
these two model sizes (only its `medium` size would, and tillroll does not
offer it). On the first SROIE and WildReceipt dev receipts `paddle-fast` took
less CPU per image than RapidOCR with the same tiny models (0.33 against 0.43
s, one thread; docs/benchmarks.md, "faster-paddle engines").

Two engine names, one per bundled model size:

- `paddle-fast`: the tiny models: the fastest engine tillroll has;
- `paddle-small`: the small models: fewer character errors than the default
  `rapidocr` and about six times the CPU of `paddle-fast`.

faster-paddle reports text *lines* only (an axis-aligned box, the text and one
confidence per line), while the classifier labels words. `split_line` cuts a
line at its spaces and gives each word the slice of the line's box that its
characters take up in the line's text, then moves each space onto the nearest
run of ink-free pixel columns in the line (`ink_gaps`) where the page shows
one per space; every word keeps the line's confidence.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..document import Box
from ..errors import EngineUnavailableError
from .base import OcrWord
from .memory import apply_lean_memory_policy
from .rapidocr import default_threads

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

# The wheel tested; its models and its post-processing decide the words, so it is part of the cache tag.
FASTER_PADDLE_VERSION = "1.0.4"
_INSTALL_HINT = f"pip install 'faster-paddle=={FASTER_PADDLE_VERSION}'"
# Names the rule of `split_line` in OCR cache keys: change it when the rule changes.
WORD_SPLIT_TAG = "split2"


def _char_weight(ch: str) -> int:
    """Width of a character in units of a Latin letter: CJK and full-width forms take two."""
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def split_line(text: str, box: Box, gaps: Sequence[tuple[float, float]] = ()) -> list[tuple[str, Box]]:
    """Cut the line `text` read in `box` into its space-separated words, each with its own box.

    The engine gives no position per character, so a word's x-extent first
    comes from its share of the line: the share of the box's width that its
    characters (spaces included, full-width ones counting double) take up in
    the line's text; its y-extent is the line's. That is close on evenly
    printed lines and far off where one space of text stands for a wide gap
    ("TOTAL" at the left edge, "12.30" at the right). So when `gaps` (blank
    column runs inside the box, left to right, from `ink_gaps`) offer at least
    one per space, every space between words moves to its own gap, chosen in
    order so that the gaps lie as close as they can to where the shares put
    the spaces (`_assign_gaps`), and each word runs from one gap to the next.

    Either way words come left to right, lie inside `box`, do not overlap,
    and joined with single spaces they give the line's text with runs of
    white space collapsed.
    """
    x0, y0, x1, y1 = box
    weights = [_char_weight(ch) for ch in text]
    total = sum(weights)
    if total == 0:
        return []
    width = max(0.0, x1 - x0)
    spans: list[tuple[str, float, float]] = []  # word, left, right
    offset = 0  # weight of the characters before position i
    start: int | None = None  # index where the current word began
    start_offset = 0
    for i, ch in enumerate([*text, " "]):  # a trailing space closes the last word
        if ch.isspace():
            if start is not None:
                spans.append((text[start:i], x0 + width * start_offset / total, x0 + width * offset / total))
                start = None
        elif start is None:
            start, start_offset = i, offset
        if i < len(weights):
            offset += weights[i]
    inside = sorted((max(x0, a), min(x1, b)) for a, b in gaps if min(x1, b) >= max(x0, a))
    if len(spans) > 1 and len(inside) >= len(spans) - 1:
        spaces = [(left[2] + right[1]) / 2 for left, right in zip(spans, spans[1:])]
        chosen = [inside[g] for g in _assign_gaps(spaces, inside)]
        lefts = [x0] + [gap[1] for gap in chosen]
        rights = [gap[0] for gap in chosen] + [x1]
        spans = [(word, left, right) for (word, _, _), left, right in zip(spans, lefts, rights)]
    words: list[tuple[str, Box]] = []
    for word, left, right in spans:
        # Rounded to 0.01 px (cache files stay short), clamped so that rounding stays inside the box.
        lo = max(x0, min(x1, round(left, 2)))
        words.append((word, (lo, y0, max(lo, min(x1, round(right, 2))), y1)))
    return words


def _assign_gaps(spaces: Sequence[float], gaps: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of one gap per space, increasing, with the least total distance from each space to its gap.

    Dynamic programming over (space, gap): `spaces` and `gaps` are sorted
    left to right and there are at least as many gaps as spaces.
    """

    def distance(x: float, gap: tuple[float, float]) -> float:
        return max(0.0, gap[0] - x, x - gap[1])

    n, m = len(spaces), len(gaps)
    inf = float("inf")
    # cost[j][g]: least cost of placing spaces 0..j with space j on gap g
    cost = [[inf] * m for _ in range(n)]
    back = [[-1] * m for _ in range(n)]
    for g in range(m):
        cost[0][g] = distance(spaces[0], gaps[g])
    for j in range(1, n):
        best, best_g = inf, -1
        for g in range(j, m):
            if cost[j - 1][g - 1] < best:
                best, best_g = cost[j - 1][g - 1], g - 1
            cost[j][g] = best + distance(spaces[j], gaps[g])
            back[j][g] = best_g
    g = min(range(n - 1, m), key=lambda k: cost[n - 1][k])
    out = [g]
    for j in range(n - 1, 0, -1):
        g = back[j][g]
        out.append(g)
    return out[::-1]


# A blank column run narrower than this share of the line box's height is the
# spacing between two letters, not a space between words (the box is about 1.4x
# the text's height, and a printed space is at least a third of it).
MIN_GAP_SHARE = 0.15
# A line whose pixels span fewer grey levels than this shows no ink to find gaps in.
MIN_CONTRAST = 40


def _otsu(values: Any) -> float:
    """Otsu's threshold of 8-bit grey values: the level that best separates ink from paper."""
    import numpy as np

    hist = np.bincount(values.ravel(), minlength=256).astype(np.float64)
    levels = np.arange(256, dtype=np.float64)
    weight = np.cumsum(hist)
    mass = np.cumsum(hist * levels)
    total_weight, total_mass = weight[-1], mass[-1]
    other = total_weight - weight
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (total_mass * weight - mass * total_weight) ** 2 / (weight * other)
    between[~np.isfinite(between)] = -1.0
    return float(np.argmax(between)) + 0.5


def ink_gaps(gray: Any, box: Box) -> list[tuple[float, float]]:
    """Runs of ink-free pixel columns inside `box` of the 8-bit grey page `gray`, in page x, left to right.

    Ink is the minority side of the line's Otsu threshold (dark print on paper,
    or light print on a dark band); a column with at most a speck of ink (4 %
    of the height) is blank. Runs narrower than MIN_GAP_SHARE of the box's
    height, and the margins at either end, are not gaps.
    """
    height_px, width_px = gray.shape[:2]
    left, top = max(0, int(box[0])), max(0, int(box[1]))
    right, bottom = min(width_px, int(round(box[2]))), min(height_px, int(round(box[3])))
    if right - left < 3 or bottom - top < 3:
        return []
    crop = gray[top:bottom, left:right]
    if int(crop.max()) - int(crop.min()) < MIN_CONTRAST:
        return []
    ink = crop < _otsu(crop)
    if ink.mean() > 0.5:
        ink = ~ink
    blank = ink.sum(axis=0) <= max(1.0, 0.04 * (bottom - top))
    min_width = MIN_GAP_SHARE * (box[3] - box[1])
    gaps: list[tuple[float, float]] = []
    run_start: int | None = None
    for x, is_blank in enumerate([*blank.tolist(), False]):
        if is_blank and run_start is None:
            run_start = x
        elif not is_blank and run_start is not None:
            if run_start > 0 and x < len(blank) and x - run_start >= min_width:
                gaps.append((float(left + run_start), float(left + x)))
            run_start = None
    return gaps


# Lines read with less confidence are dropped, as PaddleOCR (drop_score) and
# RapidOCR (text_score) drop them by default; faster-paddle keeps every line.
# Below it are mostly strings of CJK characters read from barcodes, logos and
# printed patterns: on the dev splits dropping them took page CER from 4.7 to
# 4.2 % on SROIE and from 17.8 to 15.8 % on WildReceipt (docs/benchmarks.md).
MIN_LINE_CONFIDENCE = 0.5


def words_of_lines(bounds: Mapping[Any, Mapping[str, Any]], gray: Any = None, min_confidence: float = 0.0) -> list[OcrWord]:
    """OcrWords from faster-paddle's `bounds` (its line results, keyed by line index).

    With `gray` (the page as an 8-bit grey numpy array) words are placed at
    the line's ink gaps (`split_line`). Lines below `min_confidence` are left out.
    """
    words: list[OcrWord] = []
    for line in bounds.values():
        if float(line.get("confidence") or 0.0) < min_confidence:
            continue
        text = str(line.get("text") or "")
        (left, top), (right, bottom) = line["topLeftCoord"], line["bottomRightCoord"]
        box = (float(min(left, right)), float(min(top, bottom)), float(max(left, right)), float(max(top, bottom)))
        confidence = round(min(1.0, max(0.0, float(line.get("confidence") or 0.0))), 5)
        gaps = ink_gaps(gray, box) if gray is not None and len(text.split()) > 1 else []
        for word, word_box in split_line(text, box, gaps):
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

    def __init__(self, threads: int | None = None, min_confidence: float = MIN_LINE_CONFIDENCE) -> None:
        try:
            from faster_paddle import OcrEngine
        except ImportError as exc:
            raise EngineUnavailableError(f"the {self.name} engine needs the faster-paddle wheel: {_INSTALL_HINT}") from exc
        # Every core, or TILLROLL_OCR_THREADS (set per batch worker): faster-paddle
        # splits them between its detector and its parallel recognisers.
        self.threads = threads or default_threads()
        apply_lean_memory_policy()
        try:
            self._engine: Any = OcrEngine(model_size=self.model_size, threads=self.threads)
        except Exception as exc:  # noqa: BLE001 - a broken install surfaces as whatever the Rust side raises
            raise EngineUnavailableError(
                f"the {self.name} engine could not load its models ({exc}); reinstall: pip install --force-reinstall 'faster-paddle=={FASTER_PADDLE_VERSION}'"
            ) from exc
        self.min_confidence = min_confidence
        self._tag = f"fp{FASTER_PADDLE_VERSION}-{self.model_size}-{WORD_SPLIT_TAG}-c{round(min_confidence * 100)}"

    def cache_tag(self, image: Image.Image) -> str:
        """The wheel, the model size, the word-splitting rule and the confidence cut decide the words besides the pixels (see `CachedEngine`)."""
        return self._tag

    def read(self, image: Image.Image) -> list[OcrWord]:
        if image.width < 2 or image.height < 2:
            return []  # nothing to read, and the detector cannot resize a page this small
        import numpy as np

        result = self._engine.ocr(encode_image(image))
        return words_of_lines(result.get("bounds") or {}, np.asarray(image.convert("L")), self.min_confidence)


class FasterPaddleSmallEngine(FasterPaddleEngine):
    """`--ocr paddle-small`: faster-paddle with the PP-OCRv6 small models."""

    name = "paddle-small"
    model_size = "small"
