"""Generate synthetic receipts: image files plus schema-v1 JSON with perfect word labels.

`generate(n, locales, seed, out_dir)` writes `<id>.png` (or `<id>.jpg` when the
degradation chose JPEG artefacts) and `<id>.json` per receipt, where the JSON is
a `tillroll.document.Document`: every word with its box in pixels of the saved
image, its line, label (`label_source` "human": it is ground truth), the output
fields and line items, and `meta` saying how it was made.

Receipt i of a run depends only on (seed, i): its random state is seeded with a
hash of both, so output is byte-identical for the same arguments whatever the
number of worker processes, and a run can be extended with `start`.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..document import Document, Field, LineItem, Page, Word
from ..errors import ConfigError
from ..labels import FIELD_NAMES, LABELS
from .compose import compose
from .content import Receipt, make_receipt
from .degrade import check_strength, degrade
from .localedata import load_locale, parse_locales
from .render import available_faces, choose_style, render
from .templates import load_template, parse_templates

(F_SHOP_NAME, F_ADDRESS, F_TELEPHONE, F_VAT_INFO, F_DATE, F_TIME, F_SUBTOTAL, F_VAT_INCLUDED, F_TOTAL) = FIELD_NAMES
GENERATOR_VERSION = 1  # bump when the same seed starts giving different receipts


def receipt_seed(seed: int, index: int) -> int:
    """The seed of receipt `index` of a run seeded with `seed` (stable across Python runs and machines)."""
    digest = hashlib.sha256(f"tillroll-synth:{GENERATOR_VERSION}:{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def receipt_id(seed: int, index: int) -> str:
    return f"synth-s{seed}-{index:06d}"


@dataclass
class SyntheticReceipt:
    id: str
    image_bytes: bytes
    extension: str  # ".png" | ".jpg"
    document: Document
    # Boxes of drawn rules and dot leaders, which are ink but not words (see `render`); not saved.
    decoration_boxes: list[tuple[float, float, float, float]] = field(default_factory=list)

    def json_text(self) -> str:
        return json.dumps(self.document.to_dict(), ensure_ascii=False, indent=1) + "\n"


def _decimal_text(value: Decimal) -> str:
    return f"{value:f}"


def _build_document(receipt: Receipt, words: list[Word], word_roles: list[str | None], image_name: str, size: tuple[int, int]) -> Document:
    """Fields and line items from the words' roles (so they quote exactly what was printed)."""
    doc = Document(source=image_name, pages=[Page(index=0, width=size[0], height=size[1], text_source="annotation")], words=words)
    roles: dict[str, list[Word]] = {}
    for w, role in zip(words, word_roles):
        if role:
            roles.setdefault(role, []).append(w)

    def add(name: str, role: str, value: str, currency: str | None = None) -> None:
        ws = roles.get(role)
        if ws:
            doc.fields[name] = Field(" ".join(w.text for w in ws), value, 1.0, [w.id for w in ws], "human", currency)

    add(F_SHOP_NAME, F_SHOP_NAME, " ".join(w.text for w in roles.get(F_SHOP_NAME, [])))
    add(F_ADDRESS, F_ADDRESS, " ".join(w.text for w in roles.get(F_ADDRESS, [])))
    add(F_TELEPHONE, F_TELEPHONE, receipt.phone.e164)
    if receipt.tax_id is not None:
        add(F_VAT_INFO, F_VAT_INFO, receipt.tax_id.value)
    add(F_DATE, F_DATE, receipt.date.isoformat())
    add(F_TIME, F_TIME, receipt.time.isoformat())
    add(F_SUBTOTAL, F_SUBTOTAL, _decimal_text(receipt.subtotal), receipt.currency)
    if f"{F_VAT_INCLUDED}:total" in roles:  # a printed tax total is the field; else the single/summed tax lines
        add(F_VAT_INCLUDED, f"{F_VAT_INCLUDED}:total", _decimal_text(receipt.tax_total), receipt.currency)
    else:
        add(F_VAT_INCLUDED, F_VAT_INCLUDED, _decimal_text(receipt.tax_total), receipt.currency)
    add(F_TOTAL, F_TOTAL, _decimal_text(receipt.total), receipt.currency)

    for i, item in enumerate(receipt.items):
        desc = roles.get(f"item:{i}:description", [])
        if not desc:
            continue
        ids = sorted({w.id for attr in ("description", "quantity", "unit_price", "amount") for w in roles.get(f"item:{i}:{attr}", [])})
        doc.line_items.append(
            LineItem(
                description=" ".join(w.text for w in desc),
                quantity=_decimal_text(item.quantity) if f"item:{i}:quantity" in roles else None,
                unit_price=_decimal_text(item.unit_price) if f"item:{i}:unit_price" in roles else None,
                amount=_decimal_text(item.amount) if f"item:{i}:amount" in roles else None,
                word_ids=ids,
                confidence=1.0,
                source="human",
            )
        )
    return doc


def make_one(seed: int, index: int, locales: Sequence[str], degrade_strength: float = 0.0, templates: Sequence[str] | None = None) -> SyntheticReceipt:
    """Receipt `index` of the run (seed, locales, strength, templates), fully in memory."""
    import numpy as np

    rid = receipt_id(seed, index)
    rseed = receipt_seed(seed, index)
    rng = random.Random(rseed)
    locale = load_locale(rng.choice(list(locales)))
    names = [n for n in parse_templates(templates) if load_template(n).allows(locale.code)]
    if not names:
        raise ConfigError(f"none of the templates {', '.join(parse_templates(templates))} allows locale {locale.code!r}")
    template = load_template(rng.choice(names))
    item_count = tuple(template.items.get("count", (1, 9)))
    receipt = make_receipt(locale, rng, item_count=(int(item_count[0]), int(item_count[1])))
    lines = compose(template, receipt, locale, rng)
    style = choose_style(template, rng)
    clean, placed, decorations = render(lines, style)

    boxes = [p.box for p in placed] + decorations
    result = degrade(clean, boxes, degrade_strength, np.random.default_rng(rseed))
    word_boxes, decoration_boxes = result.boxes[: len(placed)], result.boxes[len(placed) :]
    extension = ".jpg" if result.jpeg_quality else ".png"
    buffer = io.BytesIO()
    if result.jpeg_quality:
        result.image.save(buffer, format="JPEG", quality=result.jpeg_quality)
    else:
        result.image.save(buffer, format="PNG", compress_level=3)

    # Line ids: consecutive over lines that hold words, in reading order.
    line_ids: dict[int, int] = {}
    words: list[Word] = []
    roles: list[str | None] = []
    for k, (p, box) in enumerate(zip(placed, word_boxes)):
        line = line_ids.setdefault(p.line, len(line_ids))
        assert p.label in LABELS
        words.append(
            Word(
                id=k,
                page=0,
                text=p.text,
                box=(round(box[0], 1), round(box[1], 1), round(box[2], 1), round(box[3], 1)),
                line=line,
                ocr_confidence=1.0,
                label=p.label,
                label_confidence=1.0,
                label_source="human",
            )
        )
        roles.append(p.role)
    doc = _build_document(receipt, words, roles, rid + extension, result.image.size)
    doc.meta = {
        "generator": "tillroll.synth",
        "generator_version": GENERATOR_VERSION,
        "locale": locale.code,
        "template": template.name,
        "seed": seed,
        "index": index,
        "receipt_seed": rseed,
        "degrade": degrade_strength,
        "effects": result.effects,
        "font": style.face.name,
        "font_px": style.font_px,
        "tax_mode": receipt.tax_mode,
        "currency": receipt.currency,
    }
    return SyntheticReceipt(rid, buffer.getvalue(), extension, doc, decoration_boxes)


def write_receipt(receipt: SyntheticReceipt, out_dir: Path) -> Path:
    """Write image and JSON; the JSON goes last so a reader never finds JSON without its image."""
    image_path = out_dir / f"{receipt.id}{receipt.extension}"
    image_path.write_bytes(receipt.image_bytes)
    (out_dir / f"{receipt.id}.json").write_text(receipt.json_text(), encoding="utf-8")
    return image_path


def _job(args: tuple[int, int, tuple[str, ...], float, tuple[str, ...] | None, str]) -> str:
    seed, index, locales, strength, templates, out_dir = args
    return str(write_receipt(make_one(seed, index, locales, strength, templates), Path(out_dir)))


def iter_generate(
    n: int,
    locales: Sequence[str] | str = ("mt", "uk", "my"),
    seed: int = 0,
    out_dir: str | Path = "synth",
    degrade: float = 0.0,
    templates: Sequence[str] | str | None = None,
    workers: int = 1,
    start: int = 0,
) -> Iterator[Path]:
    """Like `generate`, returning an iterator over each image path as it is written (in index order).

    Arguments are checked (and worker processes started) before this returns.
    """
    if not isinstance(n, int) or n < 0:
        raise ConfigError(f"the number of receipts must be a whole number >= 0, got {n!r}")
    if not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers must be at least 1, got {workers!r}")
    codes = parse_locales(locales)
    names = parse_templates(templates) if templates is not None else None
    strength = check_strength(degrade)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the output folder {out}: {exc.strerror}; choose a writable --out") from exc
    for name in parse_templates(names):  # warm the caches once before workers fork; missing fonts fail here
        for family in load_template(name).data["fonts"]:
            available_faces(family)
    jobs = [(seed, i, codes, strength, names, str(out)) for i in range(start, start + n)]
    if workers == 1 or n < 2:
        return (Path(_job(job)) for job in jobs)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork: workers inherit the loaded fonts and tables; each receipt reseeds itself, so order does not
    # matter. `map` submits every job now, which forks all workers here, before a caller starts threads
    # (a progress bar), since forking a threaded process can deadlock.
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
    results = pool.map(_job, jobs, chunksize=4)

    def drain() -> Iterator[Path]:
        try:
            for path in results:
                yield Path(path)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    return drain()


def generate(
    n: int,
    locales: Sequence[str] | str = ("mt", "uk", "my"),
    seed: int = 0,
    out_dir: str | Path = "synth",
    degrade: float = 0.0,
    templates: Sequence[str] | str | None = None,
    workers: int = 1,
    progress: bool = True,
    start: int = 0,
) -> list[Path]:
    """Write receipts `start` .. `start + n - 1` of the run `seed` to `out_dir`; returns the image paths."""
    paths: list[Path] = []
    iterator = iter_generate(n, locales, seed, out_dir, degrade, templates, workers, start)
    if not progress:
        return list(iterator)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = (TextColumn("synth"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("receipts", total=n)
        for path in iterator:
            paths.append(path)
            bar.advance(task)
    return paths
