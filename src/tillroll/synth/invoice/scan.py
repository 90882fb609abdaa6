"""Make a clean invoice page look like an office scan, moving its word boxes exactly along.

An A4 letter is scanned flat on a glass, so the receipt generator's photo
effects (thermal fading, perspective on a table) do not fit it. Here, scaled by
one `strength` in [0, 1]: a slight skew (a rotation of up to about 1.5 degrees
about the page centre), toner density that varies across the page, a grey
paper tone, blur, sensor noise and JPEG compression artefacts. The rotation is
the only step that moves pixels; every word box is sent through the same
affine map (the hull of its four corners), so it still holds its word.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..degrade import check_strength

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from PIL import Image

Box = tuple[float, float, float, float]


def scan_page(image: Image.Image, boxes: list[Box], strength: float, rng: np.random.Generator) -> tuple[Image.Image, list[Box], list[str]]:
    """The page (greyscale) as scanned at `strength`, its boxes moved along, and the effects applied."""
    import cv2
    import numpy as np
    from PIL import Image

    s = check_strength(strength)
    if s == 0.0:
        return image, list(boxes), []
    effects = []
    page = np.asarray(image.convert("L"), dtype=np.float32)
    h, w = page.shape
    ink = 1.0 - page / 255.0
    # Toner: a little lighter or darker overall, unevenly across the page.
    grid = rng.random((4, 3)).astype(np.float32)
    density = cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
    ink *= np.clip(1.0 - s * (0.1 + 0.25 * density), 0.4, 1.0)
    paper = 255.0 - s * rng.uniform(4.0, 22.0)
    page = paper * (1.0 - ink)
    effects.append("toner")
    angle = float(np.clip(rng.normal(0.0, 0.7 * s), -1.5, 1.5))
    matrix = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    page = np.asarray(cv2.warpAffine(page, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=float(paper)), dtype=np.float32)
    moved: list[Box] = []
    for x0, y0, x1, y1 in boxes:
        corners = np.array([[x0, y0, 1.0], [x1, y0, 1.0], [x0, y1, 1.0], [x1, y1, 1.0]]) @ matrix.T
        moved.append(
            (
                round(float(max(0.0, corners[:, 0].min())), 1),
                round(float(max(0.0, corners[:, 1].min())), 1),
                round(float(min(w, corners[:, 0].max())), 1),
                round(float(min(h, corners[:, 1].max())), 1),
            )
        )
    effects.append(f"skew {angle:.2f}")
    sigma = s * rng.uniform(0.3, 0.9)
    if sigma > 0.2:
        page = np.asarray(cv2.GaussianBlur(page, (0, 0), sigma), dtype=np.float32)
        effects.append("blur")
    page = page + rng.normal(0.0, 1.0 + 6.0 * s, page.shape).astype(np.float32)
    effects.append("noise")
    result = Image.fromarray(np.clip(page, 0, 255).astype(np.uint8), "L")
    if s >= 0.3:
        import io

        quality = int(rng.integers(55, 90))
        buffer = io.BytesIO()
        result.save(buffer, format="JPEG", quality=quality)
        with Image.open(io.BytesIO(buffer.getvalue())) as jpeg:
            result = jpeg.convert("L")
        effects.append(f"jpeg {quality}")
    return result, moved, effects
