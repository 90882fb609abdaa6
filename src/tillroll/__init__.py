"""tillroll: receipts and invoices in, structured checkable JSON out.

    >>> import tillroll
    >>> doc = tillroll.extract("receipt.jpg")
    >>> doc.to_dict()["fields"]["total"]["value"]

`import tillroll` stays fast: heavy libraries (OCR engines, onnxruntime, OpenCV)
load only when a pipeline is built.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["Document", "Pipeline", "PipelineConfig", "extract", "__version__"]


def __getattr__(name: str) -> Any:  # PEP 562 lazy exports
    if name in ("Pipeline", "extract"):
        from . import pipeline

        return getattr(pipeline, name)
    if name == "PipelineConfig":
        from .config import PipelineConfig

        return PipelineConfig
    if name == "Document":
        from .document import Document

        return Document
    raise AttributeError(f"module 'tillroll' has no attribute {name!r}")
