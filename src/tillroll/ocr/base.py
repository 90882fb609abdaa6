"""The OCR engine interface and the name registry.

An engine turns one page image into words with pixel boxes and confidences.
Engines are looked up by name (`get_engine("rapidocr")`) so front ends can offer
`--ocr NAME` without importing every engine; heavy imports happen inside the
engine's constructor, and an engine whose dependency is missing raises
`EngineUnavailableError` saying exactly what to install.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ..errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image


@dataclass
class OcrWord:
    """A word as an engine reports it, before it joins a Document."""

    text: str
    box: tuple[float, float, float, float]  # x0, y0, x1, y1, pixels
    confidence: float


@runtime_checkable
class OcrEngine(Protocol):
    name: str

    def read(self, image: Image.Image) -> list[OcrWord]:
        """Words on one page image, in any order (lines are built afterwards)."""
        ...


# name -> "module:factory" so that listing engines imports nothing heavy.
_REGISTRY: dict[str, str] = {
    "rapidocr": "tillroll.ocr.rapidocr:RapidOcrEngine",
    "rapidocr-fast": "tillroll.ocr.rapidocr:RapidOcrFastEngine",
    "rapidocr-tuned": "tillroll.ocr.rapidocr:RapidOcrTunedEngine",
    "rapidocr-tinydet": "tillroll.ocr.rapidocr:RapidOcrTinyDetEngine",
    "paddle-fast": "tillroll.ocr.faster_paddle:FasterPaddleEngine",
    "paddle-small": "tillroll.ocr.faster_paddle:FasterPaddleSmallEngine",
    "tesseract": "tillroll.ocr.tesseract:TesseractEngine",
    "static": "tillroll.ocr.static:StaticEngine",
}
_INSTANCES: dict[tuple[str, tuple[tuple[str, object], ...]], OcrEngine] = {}


def register_engine(name: str, target: str | Callable[..., OcrEngine]) -> None:
    """Register an engine factory under `name` ("pkg.module:Class" or a callable)."""
    if callable(target):
        module = f"{target.__module__}:{target.__qualname__}"
        _REGISTRY[name] = module
    else:
        _REGISTRY[name] = target


def engine_names() -> list[str]:
    return sorted(_REGISTRY)


def get_engine(name: str, **options: object) -> OcrEngine:
    """Return a (cached) engine instance; engines are expensive to build, cheap to reuse."""
    if name not in _REGISTRY:
        raise ConfigError(f"unknown OCR engine {name!r}; available: {', '.join(engine_names())}")
    key = (name, tuple(sorted(options.items())))
    if key not in _INSTANCES:
        module_name, _, attr = _REGISTRY[name].partition(":")
        factory = getattr(importlib.import_module(module_name), attr)
        _INSTANCES[key] = factory(**options)
    return _INSTANCES[key]
