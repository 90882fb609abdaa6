"""Fuzzing kit shared by tests/integration/test_fuzz.py (hypothesis, bounded) and benchmarks/fuzz.py (a long run).

Seeds are small valid receipts in every format tillroll reads, built here; a
mutation damages one the way files get damaged (cut off while copying, a bit
flipped on a bad card, a header edited by a broken tool, a chunk lost or
duplicated). The targets are the entry points: the loader, the CLI's per-file
step, and the HTTP API; an "outcome" is what the target did, so both harnesses
judge runs by one rule (`check_outcome`).
"""

from __future__ import annotations

import io
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from samplekit import image_bytes, image_pdf, render_lines, text_pdf  # noqa: E402
from tillroll.config import LoadLimits  # noqa: E402

# Small limits keep every case cheap and memory bounded, whatever the mutation claims.
FUZZ_LIMITS = LoadLimits(max_pixels=4_000_000, max_pages=4, max_bytes=2 * 1024 * 1024, pdf_dpi=72.0)
MUTATIONS = ("truncate", "flip", "header", "splice", "duplicate", "zero_run")


def seed_files() -> dict[str, bytes]:
    """One small valid file per format: JPEG, PNG, TIFF (two pages), WebP, a scanned PDF and a digital PDF."""
    img = render_lines(["CAFE", "TOTAL 3.50"], size=14, margin=6)
    tiff = io.BytesIO()
    img.save(tiff, format="TIFF", save_all=True, append_images=[img.convert("L")], compression="tiff_deflate")
    return {
        "jpeg": image_bytes(img, "JPEG", quality=70),
        "png": image_bytes(img, "PNG"),
        "tiff": tiff.getvalue(),
        "webp": image_bytes(img, "WEBP", quality=60),
        "pdf_scan": image_pdf(img, size=(100.0, 60.0)),
        "pdf_text": text_pdf([[(5, 5, "SHOP"), (5, 25, "TOTAL 3.50")]], size=(100.0, 60.0), font_size=8),
    }


@dataclass(frozen=True)
class Mutation:
    kind: str
    position: float  # 0..1 of the file length
    length: int
    value: int

    def apply(self, data: bytes) -> bytes:
        n = len(data)
        at = min(n - 1, int(self.position * n)) if n else 0
        if self.kind == "truncate":
            return data[:at]
        if self.kind == "flip":  # xor a few bytes from `at` with a nonzero value
            out = bytearray(data)
            for i in range(at, min(n, at + self.length)):
                out[i] ^= self.value or 1
            return bytes(out)
        if self.kind == "header":  # overwrite bytes where formats keep sizes, offsets and counts
            out = bytearray(data)
            start = min(n, int(self.position * 64))
            for i in range(start, min(n, start + self.length)):
                out[i] = (self.value + 37 * i) & 0xFF
            return bytes(out)
        if self.kind == "splice":  # lose a chunk
            return data[:at] + data[at + self.length * 16 :]
        if self.kind == "duplicate":  # a chunk written twice
            return data[:at] + data[at : at + self.length * 16] * 2 + data[at + self.length * 16 :]
        if self.kind == "zero_run":
            return data[:at] + b"\x00" * (self.length * 8) + data[at + self.length * 8 :]
        raise ValueError(self.kind)


def mutations() -> st.SearchStrategy[Mutation]:
    return st.builds(
        Mutation,
        kind=st.sampled_from(MUTATIONS),
        position=st.floats(0.0, 1.0, allow_nan=False),
        length=st.integers(1, 24),
        value=st.integers(0, 255),
    )


def random_mutation(rng: random.Random) -> Mutation:
    return Mutation(rng.choice(MUTATIONS), rng.random(), rng.randint(1, 24), rng.randint(0, 255))


def mutated(seed: bytes, chain: list[Mutation]) -> bytes:
    for m in chain:
        seed = m.apply(seed)
    return seed


# ---- targets ---------------------------------------------------------------------------


def load_outcome(data: bytes) -> str:
    """ "ok", or the code of the typed error the loader raised; any other exception propagates."""
    from tillroll.errors import TillrollError
    from tillroll.io.load import load_document

    try:
        doc = load_document(data, limits=FUZZ_LIMITS, name="fuzz")
    except TillrollError as exc:
        assert exc.message and "\n" not in exc.message, repr(exc.message)
        return exc.code
    for page in doc.pages:
        assert page.image is not None and page.image.mode == "RGB"
        assert page.width * page.height <= FUZZ_LIMITS.max_pixels
    return "ok"


def static_pipeline(preprocess: str = "auto") -> Any:
    """The full pipeline with OCR replaced by an engine that reads no words: every stage runs, none costs OCR."""
    from tillroll.config import PipelineConfig
    from tillroll.ocr.stage import OcrStage
    from tillroll.ocr.static import StaticEngine
    from tillroll.pipeline import STAGES_FOR_MODEL, Pipeline, make_stage

    config = PipelineConfig(model="rules", ocr="static", preprocess=preprocess, limits=FUZZ_LIMITS, entity_db=Path(":memory:"))
    stages = [OcrStage(config, engine=StaticEngine()) if name == "ocr" else make_stage(name, config) for name in STAGES_FOR_MODEL["rules"]]
    return Pipeline(config, stages=stages)


def cli_outcome(pipeline: Any, data: bytes) -> str:
    """What `tillroll extract` does with one file: a document, or an error record (never an internal error)."""
    from tillroll.cli.extract import process_one

    doc, record = process_one(pipeline, "fuzz.bin", data)
    if doc is not None:
        doc.to_dict()  # the JSON the CLI would print
        return "ok"
    assert record is not None and record["error"] != "internal_error", record
    return str(record["error"])


def multipart_body(rng: random.Random, file_bytes: bytes) -> tuple[bytes, str]:
    """A multipart body of random shape: maybe a file part, maybe option fields, maybe broken framing.

    About a third are well formed (one file part, maybe an option), so damaged
    files also reach the extraction behind the HTTP layer, not only its parser.
    """
    if rng.random() < 0.35:
        options = rng.choice([b"", b'--B\r\nContent-Disposition: form-data; name="model"\r\n\r\nrules\r\n'])
        head = b'--B\r\nContent-Disposition: form-data; name="file"; filename="r.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
        return options + head + file_bytes + b"\r\n--B--\r\n", "multipart/form-data; boundary=B"
    boundary = rng.choice(["b0undary", "x" * rng.randint(1, 70), "--", "a b", "ü"])
    parts: list[bytes] = []
    for _ in range(rng.randint(0, 4)):
        name = rng.choice(["file", "ocr", "model", "store", "", 'file"', "x" * 300])
        disposition = f'form-data; name="{name}"'
        if rng.random() < 0.6:
            disposition += f'; filename="{rng.choice(["r.jpg", "", "../../etc/passwd", "a" * 500, "ü.png"])}"'
        headers = f"Content-Disposition: {disposition}\r\n"
        if rng.random() < 0.5:
            headers += f"Content-Type: {rng.choice(['image/png', 'application/pdf', 'text/plain', '', 'x/y; charset=zz'])}\r\n"
        value = file_bytes if rng.random() < 0.6 else rng.choice([b"rules", b"joint", b"true", b"nope", b"", bytes(rng.randrange(256) for _ in range(20))])
        parts.append(headers.encode("utf-8", "replace") + b"\r\n" + value)
    body = b"".join(b"--" + boundary.encode("utf-8", "replace") + b"\r\n" + p + b"\r\n" for p in parts)
    if rng.random() < 0.8:
        body += b"--" + boundary.encode("utf-8", "replace") + b"--\r\n"
    if rng.random() < 0.2:  # cut anywhere
        body = body[: rng.randint(0, len(body))]
    content_type = rng.choice(
        [f"multipart/form-data; boundary={boundary}", "multipart/form-data", "application/octet-stream", f'multipart/form-data; boundary="{boundary}"']
    )
    return body, content_type


def check_response(status: int, content_type: str, body: bytes) -> None:
    assert status < 500, (status, body[:300])
    if status >= 400:
        assert content_type.startswith("application/json"), (status, content_type, body[:200])


def max_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
