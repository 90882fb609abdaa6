"""Run a text detector over horizontal strips of a tall page, to bound its peak memory.

The PP-OCR detector is fully convolutional: its working memory grows with the
pixels it is given, about 215 bytes per pixel for RapidOCR's PP-OCRv6 "small"
detector (a 1088 x 1984 phone photo of a receipt took 466 MiB on top of the
loaded models). Receipts are tall and narrow, so a page can be cut into
overlapping horizontal strips, each detected on its own at *the same scale*
as the whole page, and the boxes joined again. Peak memory then follows the
strip, not the page.

Two rules keep the joined boxes the same as one pass would give:

- scale: the detector enlarges a page whose shorter side is below
  `limit_side_len` (736 px). A strip is never shorter than
  `min(page width, limit_side_len)`, so its shorter side gives the detector the
  same enlargement factor as the page's, and text is seen at the same size;
- cuts: strips overlap by more than a tall text line. A box that touches a cut
  is a fragment of a line the neighbouring strip sees whole, and gives way to
  it; a line seen whole by both strips is kept once.

This module is pure geometry (numpy only) so it is tested without an engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..document import Box, box_area, box_intersection, box_iou, box_of_points

# Pages up to this many detector-scale pixels are read in one pass, as RapidOCR
# reads them itself (a 1000 x 1748 photo: `tillroll extract` peaked at 430 MiB).
MAX_DETECTOR_PIXELS = 1_750_000
# Larger pages are cut into strips of at most this many pixels (about 250 MiB
# of detector memory each).
STRIP_PIXELS = 1_200_000
# Overlap between neighbouring strips, in pixels at the detector's scale:
# receipt text lines are 15-60 px tall as the detector sees them, and headings
# rarely exceed 120 px.
MIN_OVERLAP = 160
# A box within this many pixels of a cut touches it.
CUT_MARGIN = 2.0


# Names the way pages are cut, in OCR cache keys: change it when the plan changes.
PLAN_VERSION = 3


@dataclass(frozen=True)
class Strip:
    top: int
    bottom: int  # exclusive
    cut_above: bool  # the page continues above `top`
    cut_below: bool  # ...or below `bottom`


def plan_tag(strips: Sequence[Strip]) -> str:
    """A short name for a cut of a page (empty for a page read whole), for cache keys."""
    if len(strips) <= 1:
        return ""
    import hashlib

    cuts = ",".join(f"{s.top}-{s.bottom}" for s in strips)
    return f"strips{PLAN_VERSION}-" + hashlib.sha1(cuts.encode()).hexdigest()[:10]


def detector_scale(height: int, width: int, limit_side_len: int) -> float:
    """The enlargement a PP-OCR detector (limit_type "min") applies to a page of this size."""
    shorter = min(height, width)
    return limit_side_len / shorter if 0 < shorter < limit_side_len else 1.0


def plan_strips(
    height: int,
    width: int,
    limit_side_len: int = 736,
    max_pixels: int = MAX_DETECTOR_PIXELS,
    strip_pixels: int = STRIP_PIXELS,
) -> list[Strip]:
    """Horizontal strips covering a `height` x `width` page; one strip when the page fits one pass."""
    scale = detector_scale(height, width, limit_side_len)
    if height <= 0 or width <= 0 or scale * scale * height * width <= max_pixels:
        return [Strip(0, max(height, 0), False, False)]
    # Tall enough to keep the page's detector scale (module docstring), else as
    # tall as the pixel budget allows; as few strips as the overlap allows.
    min_rows = min(width, limit_side_len)
    max_rows = max(min_rows, int(strip_pixels / (scale * scale * width)))
    overlap = math.ceil(MIN_OVERLAP / scale)
    if max_rows >= height or max_rows <= overlap:
        return [Strip(0, height, False, False)]
    count = math.ceil((height - overlap) / (max_rows - overlap))
    rows = max(min_rows, math.ceil((height + (count - 1) * overlap) / count))
    # The detector resizes its input to a multiple of 32 rows. A strip whose
    # enlarged height is not one would be squeezed or stretched (up to 1.5 %)
    # unlike the page, and its lines read differently: align it.
    rows = min(height, math.ceil(math.ceil(rows * scale / 32) * 32 / scale))
    strips = []
    for index in range(count):
        top = round(index * (height - rows) / (count - 1))  # spread evenly; the last ends at the bottom
        strips.append(Strip(top, top + rows, top > 0, top + rows < height))
    return strips


def merge_strip_boxes(
    per_strip: Sequence[tuple[Strip, Sequence[Any], Sequence[float]]],
) -> tuple[list[Any], list[float]]:
    """Join the boxes found on each strip (already in page coordinates) into one set.

    `per_strip` holds (strip, quads, scores). Whole boxes come first, the
    higher score winning among near-duplicates (IoU >= 0.5, a line both strips
    saw whole); a box touching a cut is kept only when neither a kept box nor a
    larger fragment covers half of it (a line taller than the overlap, cut in
    every strip, survives as its largest fragment).
    """
    whole: list[tuple[float, int, Any, Box]] = []
    fragments: list[tuple[float, int, Any, Box, float]] = []
    order = 0
    for strip, quads, scores in per_strip:
        for quad, score in zip(quads, scores):
            ext = box_of_points(quad)
            touches_cut = (strip.cut_above and ext[1] <= strip.top + CUT_MARGIN) or (strip.cut_below and ext[3] >= strip.bottom - 1 - CUT_MARGIN)
            order += 1
            if touches_cut:
                fragments.append((float(score), order, quad, ext, box_area(ext)))
            else:
                whole.append((float(score), order, quad, ext))

    kept: list[tuple[Any, float, Box]] = []
    for score, _, quad, ext in sorted(whole, key=lambda item: (-item[0], item[1])):
        if not any(box_iou(ext, other) >= 0.5 for _, _, other in kept):
            kept.append((quad, score, ext))
    # Largest fragments first; a fragment covered by a kept box or by a larger
    # fragment (the same tall line, as another strip saw it) is dropped.
    larger: list[Box] = []
    for score, _, quad, ext, area in sorted(fragments, key=lambda item: (-item[4], item[1])):
        covered = any(box_intersection(ext, other) >= 0.5 * area for other in larger) or any(box_intersection(ext, other) >= 0.5 * area for _, _, other in kept)
        if area > 0 and not covered:
            kept.append((quad, score, ext))
        larger.append(ext)
    return [quad for quad, _, _ in kept], [score for _, score, _ in kept]


def detect_in_strips(
    image: Any,
    detect: Callable[[Any], tuple[Sequence[Any], Sequence[float]]],
    strips: Sequence[Strip],
) -> tuple[list[Any], list[float]]:
    """Run `detect` (an array -> (quads, scores) function) on each strip of `image` and merge.

    Quads come back in page coordinates. `image` is a numpy array (H x W x C).
    """
    per_strip = []
    for strip in strips:
        quads, scores = detect(image[strip.top : strip.bottom])
        shifted = []
        for quad in quads:
            moved = quad.copy()
            moved[:, 1] += strip.top
            shifted.append(moved)
        per_strip.append((strip, shifted, list(scores)))
    return merge_strip_boxes(per_strip)
