"""A disk cache in front of any OCR engine, keyed by the pixels it is given.

OCR dominates the cost of evaluation and training-data preparation (seconds per
receipt against milliseconds for everything else), so re-scoring a model must
not re-run OCR. The key is a hash of the decoded pixels plus the engine name, so
the same image under another path hits the cache, and an edited image does not.
An engine whose words for a page also depend on its own settings says so with
an optional `cache_tag(image) -> str`; a non-empty tag gives the page its own entry.
Entries live in a folder named after the engine, or after its optional
`cache_name` when two engines share one (rapidocr and rapidocr-tuned share the
"rapidocr" folder; their tags differ).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from .base import OcrEngine, OcrWord

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

CACHE_FORMAT = 1


def default_cache_dir() -> Path:
    env = os.environ.get("TILLROLL_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("tillroll", appauthor=False))


def image_key(image: Image.Image) -> str:
    h = hashlib.sha256()
    h.update(f"{image.mode}:{image.size[0]}x{image.size[1]}:".encode())
    h.update(image.tobytes())
    return h.hexdigest()[:40]


class CachedEngine:
    """Wraps `engine`; `read` returns cached words when this image was read before."""

    def __init__(self, engine: OcrEngine, cache_dir: str | Path | None = None) -> None:
        self.engine = engine
        self.name = engine.name
        self.dir = Path(cache_dir or default_cache_dir()) / "ocr" / str(getattr(engine, "cache_name", "") or engine.name)
        self.hits = 0
        self.misses = 0

    def path_for(self, image: Image.Image) -> Path:
        tag_for = getattr(self.engine, "cache_tag", None)
        tag = tag_for(image) if callable(tag_for) else ""
        return self.dir / (f"{image_key(image)}-{tag}.json" if tag else f"{image_key(image)}.json")

    def read(self, image: Image.Image) -> list[OcrWord]:
        path = self.path_for(image)
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if data.get("format") == CACHE_FORMAT:
                    self.hits += 1
                    return [OcrWord(w[0], tuple(w[1]), w[2]) for w in data["words"]]
            except (OSError, ValueError, KeyError):
                pass  # unreadable entry: recompute and overwrite
        self.misses += 1
        words = self.engine.read(image)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"format": CACHE_FORMAT, "words": [[w.text, list(w.box), w.confidence] for w in words]}), encoding="utf-8")
        os.replace(tmp, path)  # atomic: parallel workers never see half a file
        return words
