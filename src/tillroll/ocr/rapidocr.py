"""RapidOCR (PP-OCR models in ONNX, bundled in the wheel): tillroll's default engine.

RapidOCR detects text *lines*; with `return_word_box=True` it also splits each
line into words with their own boxes, which is the granularity the classifier
labels. No model is downloaded: the wheel ships the ONNX files.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from ..errors import EngineUnavailableError
from .base import OcrWord

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image


def _quad_to_box(quad: Any) -> tuple[float, float, float, float]:
    xs = [float(p[0]) for p in quad]
    ys = [float(p[1]) for p in quad]
    return (min(xs), min(ys), max(xs), max(ys))


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

    def __init__(self, threads: int | None = None) -> None:
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
                        words.append(OcrWord(str(text), _quad_to_box(quad), float(score)))
            else:  # no word split for this line: keep the line as one word
                words.append(OcrWord(str(line_text), _quad_to_box(result.boxes[line_index]), float(result.scores[line_index])))
        return words
