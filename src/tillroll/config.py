"""Options of the extraction pipeline, with defaults, in one dataclass.

Front ends (CLI, server, batch) build a `PipelineConfig` and hand it to
`tillroll.pipeline.build_pipeline`; nothing reads options from elsewhere.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError, DataDirError
from .labels import DOCUMENT_TYPES

MODELS = ("rules", "neural", "joint")
PREPROCESS_MODES = ("none", "auto")
ORIENTATION_MODES = ("auto", "none")


def user_data_dir() -> Path:
    """Where tillroll keeps per-user state (entity database, review DB) unless told otherwise.

    `TILLROLL_HOME` overrides it (tests and servers point it at their own folder).
    """
    env = os.environ.get("TILLROLL_HOME")
    if env:
        return Path(env)
    from platformdirs import user_data_dir as _udd

    return Path(_udd("tillroll", appauthor=False))


def check_writable_dir(folder: Path, what: str) -> Path:
    """Create `folder` if needed and prove a file can be written in it; DataDirError if not.

    Runs before any receipt is read: otherwise an unwritable TILLROLL_HOME
    surfaced only when the rules first opened the entity database, after the OCR
    had run, as an internal error.
    """
    import tempfile

    hint = "set TILLROLL_HOME to a folder you can write to" if os.environ.get("TILLROLL_HOME") else "set TILLROLL_HOME to a writable folder"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise DataDirError(f"cannot write {what} in {folder} ({exc.strerror or exc}); {hint}") from exc
    return folder


@dataclass(frozen=True)
class LoadLimits:
    """Guards against hostile or accidental huge inputs."""

    max_pixels: int = 60_000_000  # per page, after decoding (decompression bombs)
    max_pages: int = 20  # PDF / multi-page TIFF
    max_bytes: int = 50 * 1024 * 1024
    pdf_dpi: float = 200.0  # receipt text is small; 200 dpi reads well without huge pages


# The OCR engine every front end uses unless told otherwise (extract, batch, serve,
# evaluate, train): the engine whose words the shipped classifier was trained on
# (MX12: rapidocr-tuned; fewer character errors and less CPU than RapidOCR's own
# settings, and higher field scores on the test split, docs/benchmarks.md "Session 8");
# since sessions 10-11 its detector is int8 (words within noise of the fp32 detector's,
# docs/benchmarks.md "Sessions 10-11: an int8 text detector for the default engine").
# One place, so a change of default is one line (docs/benchmarks.md says why it is this one).
DEFAULT_ENGINE = "rapidocr-tuned"
# The OCR engines users may choose (--ocr of every command; ocr.base registers
# their factories, and the CLI's choice lists must equal this, which a test checks).
OCR_ENGINES: tuple[str, ...] = ("rapidocr", "rapidocr-tuned", "rapidocr-tinydet", "rapidocr-fast", "paddle-fast", "paddle-small", "tesseract")


@dataclass(frozen=True)
class PipelineConfig:
    ocr: str = DEFAULT_ENGINE
    model: str = "joint"  # classifier (shipped model) then rules, paper 6.5; "rules" needs no model
    preprocess: str = "none"
    # "auto": turn pages photographed sideways or upside down upright before OCR
    # (tillroll.io.orientation); "none": OCR the pages as loaded.
    orientation: str = "auto"
    limits: LoadLimits = field(default_factory=LoadLimits)
    # Joint policy (paper 6.5): a model label at or above this confidence is kept by the
    # line-item processor; below it, the rules may replace it.
    replace_threshold: float = 0.6
    entity_db: Path | None = None  # None: <user data dir>/entities.sqlite3
    model_dir: Path | None = None  # None: the model shipped inside the package
    # Hints for normalisation where the receipt itself is ambiguous (e.g. "MY", "MT", "GB").
    country_hint: str | None = None
    # Joint model: let the learned span scorer (tillroll.extract.span_scorer, issue 20)
    # re-decide the shop-name and address spans among candidates around the rules' choice
    # (its shipped weights hold addresses only; its dev and test scores are in docs/benchmarks.md,
    # "Learned span assembly, cross-fitted"). TILLROLL_SPAN_SCORER=1/0 overrides.
    span_scorer: bool = True
    # Key-value pairs: "heuristic" (the default) pairs keys and values on the same line;
    # "model" uses the learned linker (models/kv/model) and fails without it; "auto" uses the
    # model when it is installed. The shipped model is opt-in: it is trained on FUNSD
    # (non-commercial licence), costs ~50-100 ms CPU a page, and its link F1 from OCR is
    # still low (docs/benchmarks.md). TILLROLL_KV overrides this. kv_model_dir: another folder.
    key_values: str = "heuristic"
    kv_model_dir: Path | None = None
    # "auto": decide receipt / invoice / credit note from the document; or force one of those.
    document_type: str = "auto"
    # Read the machine-readable invoice a PDF carries (Factur-X / ZUGFeRD / XRechnung CII)
    # instead of trusting the page alone; False scores the visual extraction by itself.
    read_embedded_xml: bool = True

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ConfigError(f"unknown model {self.model!r}; choose one of {', '.join(MODELS)}")
        if self.preprocess not in PREPROCESS_MODES:
            raise ConfigError(f"unknown preprocess mode {self.preprocess!r}; choose one of {', '.join(PREPROCESS_MODES)}")
        if self.orientation not in ORIENTATION_MODES:
            raise ConfigError(f"unknown orientation mode {self.orientation!r}; choose one of {', '.join(ORIENTATION_MODES)}")
        if self.document_type != "auto" and self.document_type not in DOCUMENT_TYPES:
            raise ConfigError(f"unknown document type {self.document_type!r}; choose auto or one of {', '.join(DOCUMENT_TYPES)}")
        if self.key_values not in ("auto", "model", "heuristic"):
            raise ConfigError(f"unknown key-values mode {self.key_values!r}; choose auto, model or heuristic")
        if not 0.0 <= self.replace_threshold <= 1.0:
            raise ConfigError("replace_threshold must be between 0 and 1")

    def with_(self, **changes: Any) -> PipelineConfig:
        return replace(self, **changes)

    def resolved_entity_db(self) -> Path:
        return Path(self.entity_db) if self.entity_db else user_data_dir() / "entities.sqlite3"

    def check_data_dir(self) -> None:
        """DataDirError now, rather than after the OCR, when the entity database's folder is unusable."""
        check_writable_dir(self.resolved_entity_db().parent, "the entity database")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["entity_db"] = str(self.entity_db) if self.entity_db else None
        d["model_dir"] = str(self.model_dir) if self.model_dir else None
        d["kv_model_dir"] = str(self.kv_model_dir) if self.kv_model_dir else None
        return d
