"""RapidOCR (PP-OCR models in ONNX, bundled in the wheel): tillroll's default engine.

RapidOCR detects text *lines*; with `return_word_box=True` it also splits each
line into words with their own boxes, which is the granularity the classifier
labels. No model is downloaded: the wheel ships the ONNX files.
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from ..document import box_of_points
from ..errors import EngineUnavailableError
from .base import OcrWord
from .strips import detect_in_strips, plan_strips, plan_tag

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image


class _StripDetector:
    """Stands in for RapidOCR's text detector and runs it strip by strip on tall pages (see `strips`)."""

    def __init__(self, detector: Any) -> None:
        self._detector = detector

    def __getattr__(self, name: str) -> Any:  # postprocess_op, limit_side_len, ... of the real one
        if name == "_detector":  # not set yet (a copy being built): no endless lookup
            raise AttributeError(name)
        return getattr(self._detector, name)

    def __call__(self, img: Any) -> Any:
        import numpy as np

        height, width = img.shape[:2]
        strips = plan_strips(height, width, int(getattr(self._detector, "limit_side_len", 736)))
        if len(strips) == 1:
            return self._detector(img)

        def detect(part: Any) -> tuple[Any, Any]:
            found = self._detector(part)
            if found.boxes is None or len(found.boxes) == 0:
                return [], []
            scores = found.scores if found.scores is not None else [1.0] * len(found.boxes)
            return list(found.boxes), list(scores)

        quads, scores = detect_in_strips(img, detect, strips)
        from rapidocr.ch_ppocr_det.utils import TextDetOutput

        if not quads:
            return TextDetOutput()
        boxes = np.array(quads, dtype=np.float32)
        # RapidOCR reads lines in the order its own sort gives; keep each score with its box.
        by_position = {box.tobytes(): score for box, score in zip(boxes, scores)}
        ordered = self._detector.sorted_boxes(boxes)
        return TextDetOutput(img, ordered, [by_position.get(box.tobytes(), 1.0) for box in ordered])


# Names the word-grouping rule below in OCR cache keys; change it when the rule changes.
WORD_GROUPING_TAG = "words2"


def _install_word_grouping(ocr: Any) -> bool:
    """Make RapidOCR split every line into words the way it splits Latin-only lines.

    RapidOCR gives word boxes for a line only when all of it is Latin letters
    and digits; one CJK character anywhere in the line (a full-width colon
    "：", a bracket "（", or OCR noise such as "本") and the *whole line* comes
    back one character per "word": "Tanggal：21-09-15" became 16 words, so no
    date pattern or classifier could see the date. Here the Latin rule (split
    at spaces, at a change between CJK and Latin, and at wide gaps) applies to
    every line; a run of CJK characters becomes one word, as it has no spaces.

    It also gives each word the mean confidence of its own characters: RapidOCR
    pairs the i-th word with the i-th *character's* confidence.
    Returns False when this RapidOCR release lacks the hook (words as RapidOCR gives them).
    """
    boxes = getattr(ocr, "cal_rec_boxes", None)
    original = getattr(boxes, "cal_ocr_word_box", None)
    try:
        from rapidocr.ch_ppocr_rec.typings import WordType
    except ImportError:  # pragma: no cover - another rapidocr layout
        return False
    if original is None:  # pragma: no cover
        return False

    def word_boxes(rec_txt: str, bbox: Any, word_info: Any, return_single_char_box: bool = False) -> Any:
        if return_single_char_box or not getattr(word_info, "words", None):
            return original(rec_txt, bbox, word_info, return_single_char_box)
        as_latin = dataclasses.replace(word_info, word_types=[WordType.EN_NUM] * len(word_info.word_types))
        contents, word_quads, _ = original(rec_txt, bbox, as_latin, False)
        return contents, word_quads, _word_confidences(rec_txt, list(word_info.confs), [len(w) for w in word_info.words])

    boxes.cal_ocr_word_box = word_boxes
    return True


def _word_confidences(line_text: str, char_confidences: list[float], word_lengths: list[int]) -> list[float]:
    """Mean confidence of each word's characters; `char_confidences` has one value per character of
    `line_text`, spaces included, and the words are the line's non-space characters in order."""
    if len(char_confidences) != len(line_text):  # not per character: nothing better than the line mean
        mean = sum(char_confidences) / len(char_confidences) if char_confidences else 0.0
        return [mean] * len(word_lengths)
    non_space = [conf for ch, conf in zip(line_text, char_confidences) if not ch.isspace()]
    out, start = [], 0
    for length in word_lengths:
        part = non_space[start : start + length] or [0.0]
        out.append(round(sum(part) / len(part), 5))
        start += length
    return out


def _install_strip_detector(ocr: Any) -> bool:
    """Wrap the loaded RapidOCR detector in `_StripDetector`; False if this release lacks the hooks."""
    loader = getattr(ocr, "_load_det_model", None)
    if loader is None or not hasattr(ocr, "text_det"):
        return False  # pragma: no cover - another rapidocr layout: whole-page detection
    ocr.text_det = _StripDetector(loader())
    return True


def _detector_input_size(height: int, width: int, ocr: Any) -> tuple[int, int]:
    """The page size RapidOCR hands its detector: the longer side capped at max_side_len, in multiples of 32."""
    max_side = float(getattr(ocr, "max_side_len", 2000))
    if max(height, width) > max_side:
        ratio = max_side / max(height, width)
        height, width = int(round(int(height * ratio) / 32) * 32), int(round(int(width * ratio) / 32) * 32)
    return height, width


# "0": detect text on the whole page in one pass however large it is (more
# memory; see `strips`). Default "1".
STRIPS_ENV = "TILLROLL_OCR_STRIPS"
# "1": serve large buffers from their own mappings (see _serve_large_buffers_from_mmap).
# `tillroll extract` turns it on; batch workers and the server leave it off by default.
LEAN_MEMORY_ENV = "TILLROLL_LEAN_MEMORY"
# glibc option number of M_MMAP_THRESHOLD (malloc.h).
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 1 << 20


def _serve_large_buffers_from_mmap() -> None:
    """Have glibc give every buffer of 1 MiB or more its own mapping, returned to the OS on free.

    By default glibc raises its mmap threshold each time a large mapped block is
    freed, after which the detector's big tensors come from the heap, where
    freed blocks are fragmented and cannot all be reused: the peak of one OCR
    call then varied from 431 to 556 MiB between identical runs. With a fixed
    threshold it was 281-289 MiB every time, and the whole `tillroll extract`
    peaked at 299 MiB in each of its runs (one SROIE receipt, X00016469612).
    The price is page faults on every fresh mapping: about a second more wall
    time per page on the 2-core VM, and 30-45 % more OCR CPU time over a run of
    receipts, which is why only the one-off `extract` command asks for it.
    """
    if os.environ.get(LEAN_MEMORY_ENV, "0") != "1":
        return
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or not sys.platform.startswith("linux"):
        return  # the user chose a policy; respect it
    try:
        ctypes.CDLL("libc.so.6").mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    except (OSError, AttributeError):  # pragma: no cover - musl or another libc
        pass


class RapidOcrEngine:
    name = "rapidocr"

    def __init__(self, threads: int | None = None, strips: bool | None = None) -> None:
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EngineUnavailableError(
                "the rapidocr engine needs the packages rapidocr and onnxruntime: pip install 'rapidocr==3.10.*' onnxruntime"
            ) from exc
        # RapidOCR logs every model path at INFO; users only need warnings.
        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        threads = threads or int(os.environ.get("TILLROLL_OCR_THREADS", "0")) or None
        params: dict[str, Any] = {"Global.log_level": "warning"}
        if threads:
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = threads
            params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
        _serve_large_buffers_from_mmap()
        try:
            self._ocr = RapidOCR(params=params)
        except Exception:  # older/newer releases may not know the log_level key
            params.pop("Global.log_level", None)
            self._ocr = RapidOCR(params=params)
        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        if strips is None:  # on unless the user asks for RapidOCR's own whole-page detection
            strips = os.environ.get(STRIPS_ENV, "1") != "0"
        self._strips = strips and _install_strip_detector(self._ocr)
        self._words = _install_word_grouping(self._ocr)

    def cache_tag(self, image: Image.Image) -> str:
        """What, besides the pixels, decides this engine's words for `image` (see `CachedEngine`).

        The word-grouping rule always; pages the detector reads in strips get
        their own entries too.
        """
        tags = [WORD_GROUPING_TAG] if self._words else []
        if self._strips:
            height, width = _detector_input_size(image.size[1], image.size[0], self._ocr)
            limit = int(getattr(self._ocr.text_det, "limit_side_len", 736))
            cut = plan_tag(plan_strips(height, width, limit))
            if cut:
                tags.append(cut)
        return "-".join(tags)

    def read(self, image: Image.Image) -> list[OcrWord]:
        import numpy as np

        rgb = np.asarray(image.convert("RGB"))
        # RapidOCR expects OpenCV's BGR channel order for arrays.
        result = self._ocr(rgb[:, :, ::-1].copy(), return_word_box=True)
        if result is None or getattr(result, "txts", None) is None:
            return []
        words: list[OcrWord] = []
        word_results = getattr(result, "word_results", None) or ()
        for line_index, line_text in enumerate(result.txts):
            line_words = word_results[line_index] if line_index < len(word_results) else ()
            if line_words:
                for text, score, quad in line_words:
                    if str(text).strip():
                        words.append(OcrWord(str(text), box_of_points(quad), float(score)))
            else:  # no word split for this line: keep the line as one word
                words.append(OcrWord(str(line_text), box_of_points(result.boxes[line_index]), float(result.scores[line_index])))
        return words
