"""An OCR engine that returns words read from JSON instead of pixels.

It lets every stage after OCR be tested without OCR (as httpx ships a mock
transport), and replays datasets that come with their own OCR.
Accepted JSON: a schema-v1 document, or a list of {"text", "box", "confidence"?}.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DataError
from .base import OcrWord

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image


def words_from_json(data: Any) -> list[OcrWord]:
    items = data.get("words", []) if isinstance(data, dict) else data
    try:
        return [OcrWord(str(w["text"]), tuple(w["box"]), float(w.get("confidence", w.get("ocr_confidence", 1.0)))) for w in items]
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"static OCR words must be objects with 'text' and 'box': {exc!r}") from exc


class StaticEngine:
    name = "static"

    def __init__(self, words: list[OcrWord] | None = None, path: str | Path | None = None) -> None:
        if path is not None:
            words = words_from_json(json.loads(Path(path).read_text(encoding="utf-8")))
        self.words = list(words or [])

    def read(self, image: Image.Image | None = None) -> list[OcrWord]:
        return [OcrWord(w.text, w.box, w.confidence) for w in self.words]
