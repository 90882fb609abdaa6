"""Make a clean synthetic receipt look scanned or photographed, moving its word boxes exactly along.

Effects, each scaled by one `strength` in [0, 1] (0 returns the image untouched):
uneven and faded thermal print (low-frequency fading, print-head streaks),
tinted paper, creases, a perspective and rotation on a photo-like background,
uneven lighting, blur, sensor noise and JPEG artefacts.

Only the geometric step moves pixels. It is a single homography H applied to the
whole receipt; every word box is mapped by sending its four corners through the
same H and taking their axis-aligned hull, so a box still contains its word.
Pixel-wise effects (blur included) widen the ink by at most a pixel or two,
which the boxes' padding absorbs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from PIL import Image

Box = tuple[float, float, float, float]


@dataclass
class Degraded:
    image: Image.Image  # RGB, or the untouched greyscale page when strength is 0
    boxes: list[Box]
    jpeg_quality: int | None  # save as JPEG at this quality; None (clean pages): save as PNG
    effects: list[str] = field(default_factory=list)


def check_strength(strength: float) -> float:
    if not (isinstance(strength, (int, float)) and 0.0 <= float(strength) <= 1.0) or math.isnan(float(strength)):
        raise ConfigError(f"degradation strength must be a number between 0 and 1, got {strength!r}")
    return float(strength)


def _smooth_field(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Low-frequency noise in [0, 1]: a small random grid upsampled with bicubic interpolation."""
    import cv2
    import numpy as np

    h, w = shape
    grid = rng.random((max(2, cells * h // max(h, w) + 1), max(2, cells * w // max(h, w) + 1))).astype(np.float32)
    out = cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
    lo, hi = float(out.min()), float(out.max())
    return (out - lo) / (hi - lo + 1e-6)


def transform_boxes(boxes: list[Box], matrix: np.ndarray, size: tuple[int, int], pad: float = 0.0) -> list[Box]:
    """Map boxes through a 3x3 homography: axis-aligned hull of the four mapped corners, clipped to `size`."""
    import numpy as np

    if not boxes:
        return []
    arr = np.asarray(boxes, dtype=np.float64)
    corners = np.stack([arr[:, [0, 1]], arr[:, [2, 1]], arr[:, [2, 3]], arr[:, [0, 3]]], axis=1)  # (n, 4, 2)
    ones = np.ones(corners.shape[:2] + (1,))
    mapped = np.concatenate([corners, ones], axis=2) @ matrix.T
    xy = mapped[:, :, :2] / mapped[:, :, 2:3]
    w, h = size
    x0 = np.clip(np.floor(xy[:, :, 0].min(axis=1) - pad), 0, w)
    y0 = np.clip(np.floor(xy[:, :, 1].min(axis=1) - pad), 0, h)
    x1 = np.clip(np.ceil(xy[:, :, 0].max(axis=1) + pad), 0, w)
    y1 = np.clip(np.ceil(xy[:, :, 1].max(axis=1) + pad), 0, h)
    return [(float(a), float(b), float(c), float(d)) for a, b, c, d in zip(x0, y0, x1, y1)]


def random_homography(size: tuple[int, int], strength: float, rng: np.random.Generator, border: float) -> tuple[np.ndarray, tuple[int, int]]:
    """A homography that scales, rotates and tilts a page of `size`, and the canvas that holds the result.

    `border` is the margin of background around the receipt, as a fraction of its longer side.
    """
    import cv2
    import numpy as np

    w, h = size
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    # Camera resolution: photographed receipts come out smaller than our 200 dpi rendering.
    scale = 1.0 - strength * rng.uniform(0.0, 0.35)
    # Up to 2.5 degrees at strength 0.5: beyond that, line detectors start merging neighbouring lines,
    # which real flat-bed scans (SROIE) rarely provoke.
    angle = math.radians(rng.uniform(-1.0, 1.0) * (0.5 + 4.0 * strength))
    cos, sin = math.cos(angle), math.sin(angle)
    centred = (src - [w / 2, h / 2]) * scale
    rotated = centred @ np.array([[cos, sin], [-sin, cos]], dtype=np.float32)
    jitter = rng.uniform(-1.0, 1.0, size=(4, 2)) * strength * 0.03 * max(w, h) * scale
    dst = (rotated + jitter).astype(np.float32)
    margin = border * max(w, h) * scale
    dst -= dst.min(axis=0) - margin
    canvas = (int(math.ceil(dst[:, 0].max() + margin)), int(math.ceil(dst[:, 1].max() + margin)))
    return cv2.getPerspectiveTransform(src, dst), canvas


def _background(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A table-top-like background: a random base colour with soft blotches and grain.

    Built at a quarter of the resolution and enlarged: it is smooth anyway, and
    full-size float work here dominated the generator's run time.
    """
    import cv2
    import numpy as np

    h, w = shape
    small = (max(2, h // 4), max(2, w // 4))
    palettes = [(120, 85, 55), (165, 125, 85), (90, 90, 95), (60, 60, 65), (190, 185, 175), (40, 45, 60), (140, 150, 120)]
    base = np.array(palettes[int(rng.integers(len(palettes)))], dtype=np.float32) * rng.uniform(0.8, 1.15)
    blotches = _smooth_field(rng, small, int(rng.integers(4, 12)))[..., None]
    grain = _smooth_field(rng, small, int(rng.integers(30, 80)))[..., None]
    bg = np.clip(base * (0.75 + 0.35 * blotches) * (0.9 + 0.15 * grain), 0, 255).astype(np.float32)
    return cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)


def degrade(image: Image.Image, boxes: list[Box], strength: float, rng: np.random.Generator) -> Degraded:
    """Degrade a clean greyscale page and move `boxes` with it (see the module docstring).

    The receipt is processed as single-channel maps (ink coverage, paper shading,
    paper mask), warped together in one call, and coloured only at the end: the
    three-channel work happens once, on the final canvas.
    """
    import cv2
    import numpy as np
    from PIL import Image

    s = check_strength(strength)
    if s == 0.0:
        return Degraded(image, list(boxes), None, [])
    effects: list[str] = []
    ink = 1.0 - np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    h, w = ink.shape

    # Thermal print: the whole receipt a little faded, some regions more, print-head streaks.
    ink *= (1.0 - s * rng.uniform(0.0, 0.35)) * (1.0 - s * rng.uniform(0.15, 0.55) * _smooth_field(rng, (h, w), int(rng.integers(3, 9))))
    if rng.random() < 0.6 * s:
        streaks = rng.random(w) < rng.uniform(0.01, 0.05)
        ink[:, streaks] *= 1.0 - rng.uniform(0.3, 0.8) * s
        effects.append("streaks")
    effects.append("fade")

    # Creases: a dark fold line with a lighter or darker side, across the paper.
    shade = np.ones((h, w), np.float32)
    for _ in range(int(rng.random() < 0.7 * s) + int(rng.random() < 0.3 * s)):
        y0, y1 = rng.uniform(0.05, 0.95, 2) * h
        ys = np.arange(h, dtype=np.float32)[:, None]
        xs = np.arange(w, dtype=np.float32)[None, :]
        dist = (ys - (y0 + (y1 - y0) * xs / w)) / math.hypot(1.0, (y1 - y0) / w)
        shade *= 1.0 - rng.uniform(0.08, 0.25) * np.exp(-((dist / rng.uniform(1.0, 3.0)) ** 2))
        shade *= 1.0 - rng.uniform(-0.05, 0.08) * (dist > 0)
        effects.append("crease")

    # Geometry: on a background (photo) or on a scanner bed (light border, slight skew).
    photo = rng.random() < 0.25 + 0.6 * s
    border = rng.uniform(0.02, 0.12) if photo else rng.uniform(0.0, 0.02)
    matrix, canvas = random_homography((w, h), s if photo else s * 0.3, rng, border)
    cw, ch = canvas
    maps = cv2.merge([ink, shade, np.ones((h, w), np.float32)])
    ink_w, shade_w, mask = cv2.split(cv2.warpPerspective(maps, matrix, canvas, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0)))
    if photo:
        bg = _background(rng, (ch, cw))
        # Soft shadow of the paper on the table.
        shadow = cv2.GaussianBlur(mask, (0, 0), sigmaX=max(2.0, 0.01 * max(cw, ch)))
        shadow = cv2.warpAffine(shadow, np.array([[1, 0, rng.uniform(2, 10)], [0, 1, rng.uniform(2, 10)]], dtype=np.float32), canvas)
        bg *= (1.0 - 0.35 * shadow)[..., None]
        effects += ["photo", "perspective"]
    else:
        bg = np.full((ch, cw, 3), rng.uniform(235, 255), np.float32)
        effects += ["scan", "skew"]

    paper = np.array([rng.uniform(236, 255), rng.uniform(232, 252), rng.uniform(222, 248)], dtype=np.float32)
    ink_colour = np.float32(rng.uniform(10, 60)) + rng.uniform(-8, 8, 3).astype(np.float32)
    # Uneven lighting over the whole picture, folded into the paper's shading.
    light = 1.0 - s * rng.uniform(0.05, 0.3) * _smooth_field(rng, (ch, cw), 3)
    receipt = (paper - (paper - ink_colour) * ink_w[..., None]) * shade_w[..., None]
    out = (bg + (receipt - bg) * mask[..., None]) * light[..., None]

    sigma = s * rng.uniform(0.2, 1.1)
    if sigma > 0.3:
        out = cv2.GaussianBlur(out, (0, 0), sigmaX=sigma)
        effects.append("blur")
    # Sensor noise is mostly luminance: one noise plane shared by the three channels looks right and is cheap.
    out += (rng.standard_normal((ch, cw), dtype=np.float32) * (s * rng.uniform(1.0, 7.0)))[..., None]
    effects.append("noise")
    result = Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB")

    new_boxes = transform_boxes(boxes, matrix, canvas, pad=math.ceil(sigma))
    # Degraded pages are saved as JPEG, like the photos and scans of the public datasets; the
    # quality drops (and the blocking artefacts grow) with the strength, sometimes staying near-lossless.
    quality = 95
    if rng.random() < 0.3 + 0.7 * s:
        quality = int(round(rng.uniform(92 - 40 * s, 96 - 20 * s)))
    effects.append(f"jpeg{quality}")
    return Degraded(result, new_boxes, quality, effects)
