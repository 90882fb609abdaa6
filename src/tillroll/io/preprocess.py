"""Optional image clean-up before OCR: crop a receipt out of a photo, deskew, denoise.

Phone photos of receipts show the paper on a table, a little rotated, with
sensor noise. OCR engines cope with some of that, but words come out in a
slanted order and background clutter becomes junk words. Each step here runs
only when it is confident it helps, because a wrong crop loses text and a wrong
rotation is worse than none:

- crop: the largest bright four-sided region, clearly brighter than what
  surrounds it and covering a sensible part of the picture, is warped to an
  upright rectangle (this also removes its rotation and perspective);
- deskew: otherwise, small rotations (up to `MAX_DESKEW_DEGREES`) are measured
  from the text lines themselves (projection profiles) and undone;
- denoise: non-local-means, only when the estimated noise level is high.

After any step the page's image is replaced, word boxes refer to the new image
(`page.coordinates == "preprocessed"`) and `page.preprocess` lists the steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..config import PipelineConfig
from ..document import Document

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from PIL import Image

MAX_DESKEW_DEGREES = 10.0
MIN_DESKEW_DEGREES = 0.3  # below this, rotating blurs more than it straightens
NOISE_SIGMA_TO_DENOISE = 6.0  # grey levels; clean scans and most photos are below 3
# A crop must keep between these fractions of the picture: smaller is likely a
# label or logo, larger is the whole frame (nothing to crop).
CROP_MIN_AREA, CROP_MAX_AREA = 0.12, 0.92
# ...and the paper must be this much brighter (grey levels) than its surroundings.
CROP_MIN_CONTRAST = 35.0


@dataclass
class PreprocessResult:
    image: Image.Image
    steps: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def preprocess_image(image: Image.Image, steps: tuple[str, ...] = ("crop", "deskew", "denoise")) -> PreprocessResult:
    """Apply the confident subset of `steps` to an RGB image; returns the new image and what was done."""
    import numpy as np
    from PIL import Image

    rgb = np.asarray(image.convert("RGB"))
    result = PreprocessResult(image=image)
    if min(rgb.shape[:2]) < 32:
        return result  # too small to hold a receipt worth straightening

    if "crop" in steps:
        quad = find_receipt_quad(rgb)
        if quad is not None:
            rgb = warp_quad(rgb, quad)
            result.steps.append("crop")
            result.details["crop_quad"] = [[round(float(x), 1), round(float(y), 1)] for x, y in quad]
    if "deskew" in steps and "crop" not in result.steps:
        angle = estimate_skew(rgb)
        if angle is not None and MIN_DESKEW_DEGREES <= abs(angle) <= MAX_DESKEW_DEGREES:
            rgb = rotate(rgb, angle)
            result.steps.append("deskew")
            result.details["deskew_degrees"] = round(float(angle), 2)
    if "denoise" in steps:
        sigma = estimate_noise(rgb)
        result.details["noise_sigma"] = round(float(sigma), 2)
        if sigma >= NOISE_SIGMA_TO_DENOISE:
            import cv2

            strength = float(min(15.0, sigma * 1.2))
            rgb = cv2.fastNlMeansDenoisingColored(np.ascontiguousarray(rgb), None, strength, strength, 7, 21)
            result.steps.append("denoise")
    if result.steps:
        result.image = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
    return result


# ---------------------------------------------------------------------------
# crop


def _order_corners(pts: np.ndarray) -> np.ndarray:
    """Top-left, top-right, bottom-right, bottom-left (receipts are never turned past 45 degrees here)."""
    import numpy as np

    pts = pts.reshape(4, 2).astype(np.float32)
    s = pts.sum(axis=1)
    d = np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], dtype=np.float32)


def find_receipt_quad(rgb: np.ndarray) -> np.ndarray | None:
    """Corners of a bright paper region on a darker background, or None when not confident."""
    import cv2
    import numpy as np

    h, w = rgb.shape[:2]
    scale = min(1.0, 800.0 / max(h, w))  # contours do not need full resolution
    small = cv2.resize(rgb, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    gray = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (5, 5), 0)
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # close the gaps printed text leaves in the paper's mask
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel, iterations=2)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    contour = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(contour)
    frame = float(small.shape[0] * small.shape[1])
    if not CROP_MIN_AREA * frame <= area <= CROP_MAX_AREA * frame:
        return None
    quad = None
    perimeter = cv2.arcLength(contour, True)
    for eps in (0.02, 0.03, 0.04, 0.05):
        approx = cv2.approxPolyDP(contour, eps * perimeter, True)
        if len(approx) == 4 and cv2.isContourConvex(approx):
            quad = approx.reshape(4, 2).astype(np.float32)
            break
    if quad is None:
        # torn or curled paper: accept its bounding rotated rectangle if the
        # contour fills it almost entirely
        rect = cv2.minAreaRect(contour)
        if area < 0.9 * rect[1][0] * rect[1][1]:
            return None
        quad = cv2.boxPoints(rect).astype(np.float32)
    if not _plausible_paper(quad, area, small.shape[1], small.shape[0]):
        return None
    # the paper must be clearly brighter than the rest of the picture
    inside = np.zeros(gray.shape, np.uint8)
    cv2.fillConvexPoly(inside, quad.astype(np.int32), 1)
    inner, outer = gray[inside == 1], gray[inside == 0]
    if outer.size < 0.05 * gray.size or float(np.median(inner)) - float(np.median(outer)) < CROP_MIN_CONTRAST:
        return None
    return _order_corners(quad / scale)


def _plausible_paper(quad: np.ndarray, contour_area: float, width: int, height: int) -> bool:
    """Reject quads that are not the paper's own corners.

    When the receipt runs off the photo, the "corners" lie on the frame's edge
    and warping them shears the text; when the outline is ragged, the quad
    covers much more or less than the paper. Both crop worse than not at all.
    """
    import cv2
    import numpy as np

    margin = 0.01 * max(width, height) + 1
    for x, y in quad:
        if x <= margin or y <= margin or x >= width - 1 - margin or y >= height - 1 - margin:
            return False
    quad_area = float(cv2.contourArea(quad.astype(np.float32)))
    if quad_area <= 0 or not 0.9 <= contour_area / quad_area <= 1.1:
        return False
    ordered = _order_corners(quad)
    for i in range(4):
        a, b, c = ordered[i - 1], ordered[i], ordered[(i + 1) % 4]
        v1, v2 = a - b, c - b
        cos = float(np.dot(v1, v2) / (np.linalg.norm(v1) * np.linalg.norm(v2) + 1e-9))
        if abs(cos) > 0.5:  # interior angle outside 60..120 degrees: too sheared to be a photo of paper
            return False
    return True


def warp_quad(rgb: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Warp the four-sided region to an upright rectangle with the quad's own side lengths."""
    import cv2
    import numpy as np

    tl, tr, br, bl = quad
    width = int(round(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))))
    height = int(round(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))))
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    return cv2.warpPerspective(rgb, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


# ---------------------------------------------------------------------------
# deskew


def _ink_mask(rgb: np.ndarray, max_side: int = 1000) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if scale < 1:
        gray = cv2.resize(gray, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    _, ink = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return ink


def _profile_score(ink: np.ndarray, angle: float) -> float:
    """Sharpness of the row-sum profile after rotating by `angle`: peaks when text lines are level."""
    import cv2
    import numpy as np

    h, w = ink.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    rotated = cv2.warpAffine(ink, matrix, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
    rows = rotated.sum(axis=1).astype(np.float64)
    return float(np.sum(np.diff(rows) ** 2))


def estimate_skew(rgb: np.ndarray) -> float | None:
    """Counter-clockwise rotation in degrees that levels the text lines, or None when unclear."""
    import numpy as np

    ink = _ink_mask(rgb)
    ink_fraction = float(ink.mean())
    if not 0.002 <= ink_fraction <= 0.5:
        return None  # blank page, or mostly dark: no text lines to measure
    coarse = np.arange(-MAX_DESKEW_DEGREES, MAX_DESKEW_DEGREES + 0.01, 0.5)
    scores = [_profile_score(ink, a) for a in coarse]
    best = float(coarse[int(np.argmax(scores))])
    fine = np.arange(best - 0.5, best + 0.51, 0.1)
    fine_scores = [_profile_score(ink, a) for a in fine]
    angle = float(fine[int(np.argmax(fine_scores))])
    level = _profile_score(ink, 0.0)
    # rotate only when it makes the lines clearly sharper than leaving them be
    if max(fine_scores) < 1.15 * level:
        return 0.0
    return angle


def rotate(rgb: np.ndarray, angle: float) -> np.ndarray:
    """Rotate counter-clockwise by `angle` degrees, growing the canvas and filling with the paper's colour."""
    import cv2
    import numpy as np

    h, w = rgb.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(round(h * sin + w * cos)), int(round(h * cos + w * sin))
    matrix[0, 2] += new_w / 2 - w / 2
    matrix[1, 2] += new_h / 2 - h / 2
    paper = tuple(int(v) for v in np.median(rgb.reshape(-1, 3), axis=0))
    return cv2.warpAffine(rgb, matrix, (new_w, new_h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=paper)


# ---------------------------------------------------------------------------
# denoise


def estimate_noise(rgb: np.ndarray) -> float:
    """Standard deviation of pixel noise (Immerkaer 1996): a Laplacian-like mask cancels image structure."""
    import cv2
    import numpy as np

    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float64)
    h, w = gray.shape
    if h < 3 or w < 3:
        return 0.0
    mask = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float64)
    response = cv2.filter2D(gray, -1, mask)[1:-1, 1:-1]
    return float(np.sqrt(np.pi / 2) * np.abs(response).sum() / (6.0 * (w - 2) * (h - 2)))


# ---------------------------------------------------------------------------
# pipeline stage


class PreprocessStage:
    """`--preprocess auto` cleans each OCR'd page; `none` leaves the pages as loaded."""

    name = "preprocess"

    def __init__(self, config: PipelineConfig) -> None:
        self.config = config
        self.enabled = config.preprocess == "auto"

    def __call__(self, doc: Document) -> Document:
        if not self.enabled:
            return doc
        details = {}
        for page in doc.pages:
            # Pages whose words came from a PDF text layer keep their image: the
            # boxes already refer to it.
            if page.text_source != "ocr" or page.image is None:
                continue
            result = preprocess_image(page.image)
            if result.steps:
                page.image = result.image
                page.width, page.height = result.image.size
                page.coordinates = "preprocessed"
                page.preprocess = list(result.steps)
            details[str(page.index)] = result.details
        doc.meta["preprocess"] = details
        return doc
