"""Generate synthetic A4 invoices: page images and/or text-layer PDFs plus schema-v1 JSON ground truth.

Invoice i of a run depends only on (seed, i), as receipts do. Per invoice the
output is `<id>.json` (a `tillroll.document.Document`: every word with its box
in pixels of the page at 200 dpi, its label, `label_source` "human"; the
fields, line items and tax rows with the ids of the words that print them;
`document_type` invoice or credit_note) next to its file:

- form "image": `<id>.tif`, every page a greyscale 200 dpi picture (OCR reads it),
  clean or, with `degrade` > 0, as an office scan (skew, toner, blur, noise, JPEG);
- form "pdf": `<id>.pdf`, a text-layer PDF (needs reportlab);
- form "both": the two, in `<out>/image/` and `<out>/pdf/`, each folder a complete dataset.

`tillroll evaluate --data synth:<out>` (or `synth:<out>/pdf`) scores them.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ...document import Document, Field, LineItem, Page, TaxRow, Word
from ...errors import ConfigError
from ...labels import ALL_FIELD_NAMES
from ...ocr.lines import assign_lines
from ..degrade import check_strength
from ..render import available_faces
from .content import Invoice, load_invoice_locale, make_invoice, parse_invoice_locales
from .layout import LAYOUTS, Pages, choose_style, layout_invoice, positions_to_pixels
from .render import DPI, render_images, render_pdf, tiff_bytes
from .scan import scan_page

GENERATOR_VERSION = 1  # bump when the same seed starts giving different invoices
# Bump when the same invoices get different gold (2: payment_terms leave a colon-set label out).
GOLD_VERSION = 2
FORMS = ("image", "pdf", "both")


def invoice_seed(seed: int, index: int) -> int:
    digest = hashlib.sha256(f"tillroll-synth-invoice:{GENERATOR_VERSION}:{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def invoice_id(seed: int, index: int) -> str:
    return f"inv-s{seed}-{index:06d}"


def parse_layouts(spec: str | Sequence[str] | None) -> tuple[str, ...]:
    if spec is None:
        return LAYOUTS
    items = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    unknown = [s for s in items if s not in LAYOUTS]
    if unknown or not items:
        raise ConfigError(f"unknown invoice layout(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(LAYOUTS)}")
    return tuple(items)


@dataclass
class SyntheticInvoice:
    id: str
    document: Document
    invoice: Invoice
    pages: Pages
    page_count: int

    def image_bytes(self) -> bytes:
        return tiff_bytes(render_images(self.pages, self.page_count))

    def scanned(self, strength: float) -> tuple[bytes, Document]:
        """The page images as an office scan at `strength` (see `scan`), and the document with its boxes moved."""
        import numpy as np

        images = render_images(self.pages, self.page_count)
        if strength == 0:
            return tiff_bytes(images), self.document
        doc = Document.from_dict(self.document.to_dict())
        doc.meta["scan"] = {}
        for page, image in enumerate(images):
            on_page = [w for w in doc.words if w.page == page]
            rng = np.random.default_rng([self.document.meta["invoice_seed"], page])
            images[page], boxes, effects = scan_page(image, [w.box for w in on_page], strength, rng)
            for w, box in zip(on_page, boxes):
                w.box = box
            doc.meta["scan"][str(page)] = effects
        doc.meta["degrade"] = strength
        return tiff_bytes(images), doc

    def pdf_bytes(self) -> bytes:
        return render_pdf(self.pages, self.page_count, title=self.id)

    def json_text(self, source: str) -> str:
        data = self.document.to_dict()
        data["source"] = source
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def _money(value: Decimal) -> str:
    return f"{value:f}"


def _build_document(inv: Invoice, pages: Pages, count: int, rid: str) -> Document:
    scale_w, scale_h = round(595.28 * DPI / 72), round(841.89 * DPI / 72)
    doc = Document(source=rid, pages=[Page(index=i, width=scale_w, height=scale_h, text_source="annotation") for i in range(count)])
    # Words in placement order, which is the order a field's words are printed in; the
    # document lists them in reading order (lines as the OCR stage groups them).
    placed_words: list[tuple[Word, tuple[str, ...]]] = []
    words: list[Word] = []
    next_line = 0
    for page in range(count):
        on_page = []
        for placed in (p for p in pages.words if p.page == page):
            w = Word(id=-1, page=page, text=placed.text, box=positions_to_pixels(placed.box, DPI), ocr_confidence=1.0)
            w.set_label(placed.label, 1.0, "human")
            placed_words.append((w, placed.roles))
            on_page.append(w)
        ordered = assign_lines(on_page, first_line_id=next_line)
        next_line = max((w.line for w in ordered if w.line is not None), default=next_line - 1) + 1
        words += ordered
    doc.words = words
    doc.renumber_words()
    by_role: dict[str, list[Word]] = {}
    for w, roles in placed_words:
        for role in roles:
            by_role.setdefault(role, []).append(w)

    def add(name: str, role: str | list[Word], value: str, currency: str | None = None) -> None:
        ws = by_role.get(role, []) if isinstance(role, str) else role
        if ws:
            doc.fields[name] = Field(" ".join(w.text for w in ws), value, 1.0, [w.id for w in ws], "human", currency)

    def joined(role: str) -> str:
        return " ".join(w.text for w in by_role.get(role, []))

    cur = inv.currency
    add("shop_name", "shop_name", inv.seller.name)
    add("address", "address", joined("address"))
    if inv.seller.phone_e164:
        add("telephone", "telephone", inv.seller.phone_e164)
    if inv.seller.vat_id:
        add("vat_info", "vat_info", inv.seller.vat_id)
    add("date", "date", inv.date.isoformat())
    add("subtotal", "subtotal", _money(inv.net), cur)
    add("vat_included", "vat_included" if "vat_included" in by_role else "vat_included:lines", _money(inv.tax), cur)
    add("total", "total", _money(inv.gross), cur)
    add("invoice_number", "invoice_number", inv.number)
    add("due_date", "due_date", inv.due_date.isoformat())
    if inv.order_ref:
        add("purchase_order", "purchase_order", inv.order_ref)
    add("buyer_name", "buyer_name", inv.buyer.name)
    add("buyer_address", "buyer_address", joined("buyer_address"))
    if inv.buyer.vat_id:
        add("buyer_vat_info", "buyer_vat_info", inv.buyer.vat_id)
    add("iban", "iban", inv.iban)
    add("bic", "bic", inv.bic)
    add("currency", "currency", inv.currency)
    # The amount to pay is printed on its own line, or is the gross total when nothing was prepaid.
    add("amount_due", "amount_due" if "amount_due" in by_role else "total", _money(inv.amount_due), cur)
    add("payment_terms", "payment_terms", joined("payment_terms"))

    for i, row in enumerate(inv.rows):
        role = f"item:{i}:"
        desc = by_role.get(role + "description", [])
        if not desc:
            continue
        ids = sorted({w.id for r, ws in by_role.items() if r.startswith(role) for w in ws})
        printed = {attr for attr in ("quantity", "unit_price", "position", "article_number", "unit", "tax_rate", "discount") if role + attr in by_role}
        taken = (row.quantity * row.unit_price - row.amount).quantize(Decimal("0.01")) if row.discount_pct is not None else None
        doc.line_items.append(
            LineItem(
                description=" ".join(w.text for w in desc),
                quantity=format(row.quantity.normalize(), "f") if "quantity" in printed else None,
                unit_price=_money(row.unit_price) if "unit_price" in printed else None,
                amount=_money(row.amount),
                position=str(row.position) if "position" in printed else None,
                article_number=row.article if "article_number" in printed else None,
                unit=row.unit if "unit" in printed else None,
                tax_rate=f"{row.rate:.2f}" if "tax_rate" in printed else None,
                discount=_money(taken) if taken is not None and "discount" in printed else None,
                word_ids=ids,
                confidence=1.0,
                source="human",
            )
        )
    for i, line in enumerate(inv.tax_lines):
        ids = sorted({w.id for r, ws in by_role.items() if r.startswith(f"tax:{i}:") for w in ws})
        doc.tax_breakdown.append(TaxRow(rate=f"{line.rate:.2f}", base=_money(line.base), tax=_money(line.tax), word_ids=ids, confidence=1.0, source="human"))
    doc.document_type = inv.kind
    return doc


def make_one_invoice(seed: int, index: int, locales: Sequence[str], layouts: Sequence[str] | None = None) -> SyntheticInvoice:
    """Invoice `index` of the run (seed, locales, layouts), in memory."""
    rid = invoice_id(seed, index)
    iseed = invoice_seed(seed, index)
    rng = random.Random(iseed)
    locale = load_invoice_locale(rng.choice(list(locales)))
    inv = make_invoice(locale, rng)
    style = choose_style(inv, locale, rng, available_faces("proportional"), tuple(layouts or LAYOUTS))
    pages, count = layout_invoice(inv, locale, style)
    doc = _build_document(inv, pages, count, rid)
    doc.meta = {
        "generator": "tillroll.synth.invoice",
        "generator_version": GENERATOR_VERSION,
        "gold_version": GOLD_VERSION,
        "locale": locale.code,
        "layout": style.layout,
        "columns": style.columns,
        "font": style.face,
        "font_pt": style.size,
        "seed": seed,
        "index": index,
        "invoice_seed": iseed,
        "pages": count,
        "rows": len(inv.rows),
        "currency": inv.currency,
        "dpi": DPI,
        # Every schema field is known for a synthetic invoice: one the page does not print is absent on purpose.
        "annotated_fields": list(ALL_FIELD_NAMES),
        "document_type_annotated": True,
    }
    return SyntheticInvoice(rid, doc, inv, pages, count)


def write_invoice(item: SyntheticInvoice, out_dir: Path, form: str, degrade: float = 0.0) -> list[Path]:
    """Write the invoice's file(s) and JSON (last, so a reader never finds JSON without its file).

    `degrade` > 0 scans the page images (`scan.scan_page`); the PDF stays clean, as digital invoices are.
    """
    written = []
    targets = {"image": [(out_dir, "image")], "pdf": [(out_dir, "pdf")], "both": [(out_dir / "image", "image"), (out_dir / "pdf", "pdf")]}[form]
    for folder, kind in targets:
        folder.mkdir(parents=True, exist_ok=True)
        if kind == "image":
            name = f"{item.id}.tif"
            data, doc = item.scanned(degrade)
        else:
            name, data, doc = f"{item.id}.pdf", item.pdf_bytes(), item.document
        (folder / name).write_bytes(data)
        payload = doc.to_dict()
        payload["source"] = name
        (folder / f"{item.id}.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        written.append(folder / name)
    return written


def _job(args: tuple[int, int, tuple[str, ...], tuple[str, ...] | None, str, str, float]) -> list[str]:
    seed, index, locales, layouts, out_dir, form, degrade = args
    return [str(p) for p in write_invoice(make_one_invoice(seed, index, locales, layouts), Path(out_dir), form, degrade)]


def iter_generate_invoices(
    n: int,
    locales: Sequence[str] | str = "all",
    seed: int = 0,
    out_dir: str | Path = "synth-invoices",
    layouts: Sequence[str] | str | None = None,
    form: str = "image",
    workers: int = 1,
    start: int = 0,
    degrade: float = 0.0,
) -> Iterator[list[Path]]:
    """Write invoices start .. start+n-1; yields the paths written per invoice, in index order."""
    degrade = check_strength(degrade)
    if not isinstance(n, int) or n < 0:
        raise ConfigError(f"the number of invoices must be a whole number >= 0, got {n!r}")
    if form not in FORMS:
        raise ConfigError(f"unknown invoice form {form!r}; choose one of {', '.join(FORMS)}")
    if form in ("pdf", "both"):
        from .render import reportlab_available

        if not reportlab_available():
            raise ConfigError("--form pdf needs reportlab: pip install 'tillroll[synth]'; --form image needs only Pillow")
    codes = parse_invoice_locales(locales if isinstance(locales, str) else tuple(locales))
    names = parse_layouts(layouts)
    available_faces("proportional")  # a missing font fails here, with the package to install
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the output folder {out}: {exc.strerror}; choose a writable --out") from exc
    jobs = [(seed, i, codes, names, str(out), form, degrade) for i in range(start, start + n)]
    if workers <= 1 or n < 2:
        return ([Path(p) for p in _job(job)] for job in jobs)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
    results = pool.map(_job, jobs, chunksize=2)

    def drain() -> Iterator[list[Path]]:
        try:
            for paths in results:
                yield [Path(p) for p in paths]
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    return drain()
