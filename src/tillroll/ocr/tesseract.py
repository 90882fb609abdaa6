"""Tesseract (Debian's `tesseract-ocr`) through pytesseract: the second OCR engine.

Tesseract is faster than RapidOCR on clean scans but reads phone photos worse;
it is here so users can trade accuracy for speed and so the two can be compared
(benchmarks/ocr_engines.py). Words come from `image_to_data`, which already
splits text into words with their own boxes and a 0-100 confidence.
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

from ..errors import EngineUnavailableError
from .base import OcrWord

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

_INSTALL_HINT = "install it with: sudo apt-get install tesseract-ocr tesseract-ocr-eng (or run: bash scripts/install-system-deps.sh)"


class TesseractEngine:
    name = "tesseract"

    def __init__(self, lang: str = "eng", psm: int = 6, binary: str | None = None) -> None:
        """`psm` 6 ("one uniform block of text") suits receipts: one narrow column of lines.

        Tesseract's default page segmentation (3) hunts for columns and splits
        "TOTAL ....... 12.30" into separate blocks, losing the pairing.
        """
        # OpenMP threads inside Tesseract fight each other on small images; one
        # thread per process halves the time per receipt on a 2-core machine.
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        try:
            import pytesseract
        except ImportError as exc:  # pragma: no cover - core dependency
            raise EngineUnavailableError("the tesseract engine needs pytesseract: pip install pytesseract") from exc
        cmd = binary or os.environ.get("TILLROLL_TESSERACT_CMD") or shutil.which("tesseract")
        if not cmd or not (os.path.isfile(cmd) and os.access(cmd, os.X_OK)):
            raise EngineUnavailableError(f"the tesseract OCR program is not installed; {_INSTALL_HINT}")
        pytesseract.pytesseract.tesseract_cmd = cmd
        self._tess = pytesseract
        try:
            languages = set(pytesseract.get_languages(config=""))
        except Exception as exc:  # noqa: BLE001 - any failure to run the binary means it is unusable
            raise EngineUnavailableError(f"the tesseract program at {cmd} does not run ({exc}); {_INSTALL_HINT}") from exc
        missing = [code for code in lang.split("+") if code not in languages]
        if missing:
            raise EngineUnavailableError(
                f"tesseract has no language data for {', '.join(missing)}; install it with: "
                f"sudo apt-get install {' '.join('tesseract-ocr-' + m for m in missing)}"
            )
        self.lang = lang
        self.config = f"--psm {psm}"

    def read(self, image: Image.Image) -> list[OcrWord]:
        if image.width < 2 or image.height < 2:
            return []  # Tesseract refuses images this small; they hold no text anyway
        data = self._tess.image_to_data(image.convert("RGB"), lang=self.lang, config=self.config, output_type=self._tess.Output.DICT)
        words: list[OcrWord] = []
        for text, conf, left, top, width, height in zip(data["text"], data["conf"], data["left"], data["top"], data["width"], data["height"]):
            text = str(text).strip()
            confidence = float(conf)
            if not text or confidence < 0:  # -1 marks block/line rows, not words
                continue
            words.append(OcrWord(text, (float(left), float(top), float(left + width), float(top + height)), round(confidence / 100.0, 4)))
        return words
