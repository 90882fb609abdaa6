"""The document model: one `Document` travels through the pipeline and every stage enriches it.

Serialised form is schema version 1 of docs/schema.md (DESIGN.md): `to_dict()` and
`from_dict()` round-trip exactly. Page images are runtime-only and never serialised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter, lt
from typing import TYPE_CHECKING, Any

from .errors import DataError
from .labels import DEFAULT_DOCUMENT_TYPE, DOCUMENT_TYPES

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

SCHEMA_VERSION = 1

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels of the page image as OCR'd


def _box(value: Iterable[float]) -> Box:
    x0, y0, x1, y1 = value
    return (x0, y0, x1, y1)


def box_of_points(points: Iterable[Sequence[float]]) -> Box:
    """Axis-aligned box around (x, y) points, such as an OCR engine's four corners."""
    pts = [(float(p[0]), float(p[1])) for p in points]
    xs, ys = [x for x, _ in pts], [y for _, y in pts]
    return (min(xs), min(ys), max(xs), max(ys))


def box_area(box: Sequence[float]) -> float:
    """Area of an (x0, y0, x1, y1) box; 0 for an empty or inverted one."""
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def box_intersection(a: Sequence[float], b: Sequence[float]) -> float:
    """Area the two (x0, y0, x1, y1) boxes share."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    inter = box_intersection(a, b)
    union = box_area(a) + box_area(b) - inter
    return inter / union if union > 0 else 0.0


def _document_type(value: Any) -> str:
    if value not in DOCUMENT_TYPES:
        raise ValueError(f"document_type {value!r} is not one of {', '.join(DOCUMENT_TYPES)}")
    return str(value)


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


@dataclass
class Word:
    """One OCR word. `label*` are filled by the classifier, the rules or a human."""

    id: int
    page: int
    text: str
    box: Box
    line: int | None = None
    ocr_confidence: float = 1.0
    label: str | None = None
    label_confidence: float | None = None
    label_source: str | None = None  # "model" | "rule" | "human"
    # Runtime only: the classifier's probability per label, kept so the rules can
    # weigh alternatives (paper 6.4/6.5). Not part of schema v1.
    label_scores: dict[str, float] | None = field(default=None, repr=False, compare=False)

    @property
    def x0(self) -> float:
        return self.box[0]

    @property
    def y0(self) -> float:
        return self.box[1]

    @property
    def x1(self) -> float:
        return self.box[2]

    @property
    def y1(self) -> float:
        return self.box[3]

    @property
    def cx(self) -> float:
        return (self.box[0] + self.box[2]) / 2

    @property
    def cy(self) -> float:
        return (self.box[1] + self.box[3]) / 2

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    def set_label(self, label: str, confidence: float, source: str) -> None:
        self.label, self.label_confidence, self.label_source = label, confidence, source

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "page": self.page,
            "text": self.text,
            "box": list(self.box),
            "line": self.line,
            "ocr_confidence": self.ocr_confidence,
            "label": self.label,
            "label_confidence": self.label_confidence,
            "label_source": self.label_source,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Word:
        return cls(
            id=d["id"],
            page=d.get("page", 0),
            text=d["text"],
            box=_box(d["box"]),
            line=d.get("line"),
            ocr_confidence=d.get("ocr_confidence", 1.0),
            label=d.get("label"),
            label_confidence=d.get("label_confidence"),
            label_source=d.get("label_source"),
        )


@dataclass
class Page:
    """A page as OCR'd. `coordinates` says which image the word boxes refer to."""

    index: int
    width: int
    height: int
    # "original": the loaded image; "preprocessed": after deskew/crop (see `preprocess`);
    # "pdf": a rendered PDF page (`dpi` says at what resolution).
    coordinates: str = "original"
    text_source: str = "ocr"  # "ocr" | "pdf_text_layer" | "annotation"
    dpi: float | None = None
    preprocess: list[str] = field(default_factory=list)
    # Clockwise quarter turns (0, 90, 180, 270) applied to the loaded image before OCR
    # so its text is upright; tillroll.io.orientation.box_to_original maps boxes back.
    rotation: int = 0
    image: Image.Image | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "index": self.index,
            "width": self.width,
            "height": self.height,
            "coordinates": self.coordinates,
            "text_source": self.text_source,
        }
        if self.dpi is not None:
            d["dpi"] = self.dpi
        if self.preprocess:
            d["preprocess"] = list(self.preprocess)
        if self.rotation:
            d["rotation"] = self.rotation
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Page:
        return cls(
            index=d["index"],
            width=d["width"],
            height=d["height"],
            coordinates=d.get("coordinates", "original"),
            text_source=d.get("text_source", "ocr"),
            dpi=d.get("dpi"),
            preprocess=list(d.get("preprocess", [])),
            rotation=int(d.get("rotation", 0)),
        )

    def render_on_demand(self, render: Callable[[], Image.Image]) -> None:
        """Make `image` the result of `render()`, called the first time something reads it.

        A PDF page with a text layer needs no picture to be read: the loader hands
        its renderer here, and only OCR, preprocessing, an overlay or the review
        store pay for the pixels.
        """
        self.__dict__["_image"] = None
        self.__dict__["_render"] = render

    @property
    def has_image(self) -> bool:
        """Whether `image` is or can be had (without rendering it)."""
        return self.__dict__.get("_image") is not None or self.__dict__.get("_render") is not None


def _page_image(page: Page) -> Image.Image | None:
    image: Image.Image | None = page.__dict__.get("_image")
    if image is None:
        render = page.__dict__.pop("_render", None)
        if render is not None:
            image = render()
            page.__dict__["_image"] = image
    return image


def _set_page_image(page: Page, image: Image.Image | None) -> None:
    page.__dict__["_image"] = image
    page.__dict__.pop("_render", None)


# `image` is a dataclass field (constructor argument, not compared, not printed) read
# through a property, so a page rendered on demand looks like any other page.
Page.image = property(_page_image, _set_page_image)  # type: ignore[assignment]


@dataclass
class Field:
    """An extracted field: `text` as printed, `value` normalised (ISO dates, decimal strings...)."""

    text: str
    value: str
    confidence: float
    word_ids: list[int]
    source: str  # "model" | "rule" | "human"
    currency: str | None = None  # ISO 4217, on amount fields

    def to_dict(self) -> dict[str, Any]:
        return _drop_none(
            {
                "text": self.text,
                "value": self.value,
                "confidence": self.confidence,
                "word_ids": list(self.word_ids),
                "source": self.source,
                "currency": self.currency,
            }
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Field:
        return cls(
            text=d["text"],
            value=d["value"],
            confidence=d.get("confidence", 1.0),
            word_ids=list(d.get("word_ids", [])),
            source=d.get("source", "human"),
            currency=d.get("currency"),
        )


@dataclass
class LineItem:
    description: str | None = None
    quantity: str | None = None
    unit_price: str | None = None
    amount: str | None = None
    word_ids: list[int] = field(default_factory=list)
    confidence: float = 1.0
    source: str = "rule"
    # Invoice tables print more columns than a till roll; absent on receipts.
    position: str | None = None  # the row's number as printed ("1", "10.2")
    article_number: str | None = None  # seller's item id / SKU / EAN
    unit: str | None = None  # unit of measure as printed ("Stk", "h", "kg")
    tax_rate: str | None = None  # VAT rate of the row, percent as a decimal string ("19.00")
    discount: str | None = None  # discount amount taken off this row, decimal string

    def to_dict(self) -> dict[str, Any]:
        return _drop_none(
            {
                "description": self.description,
                "quantity": self.quantity,
                "unit_price": self.unit_price,
                "amount": self.amount,
                "position": self.position,
                "article_number": self.article_number,
                "unit": self.unit,
                "tax_rate": self.tax_rate,
                "discount": self.discount,
                "word_ids": list(self.word_ids),
                "confidence": self.confidence,
                "source": self.source,
            }
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LineItem:
        return cls(
            description=d.get("description"),
            quantity=d.get("quantity"),
            unit_price=d.get("unit_price"),
            amount=d.get("amount"),
            word_ids=list(d.get("word_ids", [])),
            confidence=d.get("confidence", 1.0),
            source=d.get("source", "rule"),
            position=d.get("position"),
            article_number=d.get("article_number"),
            unit=d.get("unit"),
            tax_rate=d.get("tax_rate"),
            discount=d.get("discount"),
        )


@dataclass
class TaxRow:
    """One row of an invoice's tax breakdown: the tax charged at one rate on one base."""

    rate: str | None = None  # percent as a decimal string: "19.00"
    base: str | None = None  # taxable amount (net) at this rate
    tax: str | None = None  # tax amount at this rate
    category: str | None = None  # EN 16931 VAT category code (S, Z, E, AE, K, G, O, L, M) when known
    word_ids: list[int] = field(default_factory=list)
    confidence: float = 1.0
    source: str = "rule"

    def to_dict(self) -> dict[str, Any]:
        return _drop_none(
            {
                "rate": self.rate,
                "base": self.base,
                "tax": self.tax,
                "category": self.category,
                "word_ids": list(self.word_ids),
                "confidence": self.confidence,
                "source": self.source,
            }
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TaxRow:
        return cls(
            rate=d.get("rate"),
            base=d.get("base"),
            tax=d.get("tax"),
            category=d.get("category"),
            word_ids=list(d.get("word_ids", [])),
            confidence=d.get("confidence", 1.0),
            source=d.get("source", "rule"),
        )


@dataclass
class KeyValue:
    key: str
    value: str
    key_word_ids: list[int] = field(default_factory=list)
    value_word_ids: list[int] = field(default_factory=list)
    confidence: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": self.value,
            "key_word_ids": list(self.key_word_ids),
            "value_word_ids": list(self.value_word_ids),
            "confidence": self.confidence,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> KeyValue:
        return cls(
            key=d["key"],
            value=d["value"],
            key_word_ids=list(d.get("key_word_ids", [])),
            value_word_ids=list(d.get("value_word_ids", [])),
            confidence=d.get("confidence", 1.0),
        )


@dataclass
class Check:
    name: str
    passed: bool
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "detail": self.detail}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Check:
        return cls(name=d["name"], passed=bool(d["passed"]), detail=d.get("detail", ""))


@dataclass
class Document:
    """A receipt or invoice and everything tillroll learned about it."""

    source: str | None = None
    pages: list[Page] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    fields: dict[str, Field] = field(default_factory=dict)
    line_items: list[LineItem] = field(default_factory=list)
    key_values: list[KeyValue] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    # "receipt" | "invoice" | "credit_note" (labels.DOCUMENT_TYPES)
    document_type: str = DEFAULT_DOCUMENT_TYPE
    tax_breakdown: list[TaxRow] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    # What produced this document: {"ocr": "rapidocr", "model": "joint", "version": "0.1.0", ...}
    meta: dict[str, Any] = field(default_factory=dict)

    # ---- navigation helpers -------------------------------------------------
    def word(self, word_id: int) -> Word:
        """Word by id (ids are list positions, kept so by `renumber_words`)."""
        w = self.words[word_id]
        if w.id != word_id:  # pragma: no cover - defensive, ids drifted
            w = next(x for x in self.words if x.id == word_id)
        return w

    def lines(self, page: int | None = None) -> list[list[Word]]:
        """Words grouped by line id, lines in reading order, words left to right."""
        words = self.words if page is None else [w for w in self.words if w.page == page]
        groups: dict[tuple[int, int], list[Word]] = {}
        for w in words:
            key = (w.page, w.line) if w.line is not None else (w.page, -1 - w.id)
            group = groups.get(key)
            if group is None:
                groups[key] = [w]
            else:
                group.append(w)
        # Lines go by page, then by their first word. Words are normally kept in id order
        # (OCR writes them in reading order), and then the groups already are in that order
        # (the rules call this several times per receipt, so the sort is worth skipping).
        ids = [w.id for w in words]
        if all(map(lt, ids, ids[1:])):
            ordered = sorted(groups.items(), key=lambda kv: kv[0][0])  # stable: keeps first-word order per page
        else:
            ordered = sorted(groups.items(), key=lambda kv: (kv[0][0], min(x.id for x in kv[1])))
        return [sorted(ws, key=attrgetter("x0")) for _, ws in ordered]

    def text(self) -> str:
        """Plain text, one printed line per line."""
        return "\n".join(" ".join([w.text for w in line]) for line in self.lines())

    def renumber_words(self) -> None:
        """Make word ids equal list positions (after stages add or remove words)."""
        for i, w in enumerate(self.words):
            w.id = i

    # ---- schema v1 ----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "source": self.source,
            "document_type": self.document_type,
            "pages": [p.to_dict() for p in self.pages],
            "words": [w.to_dict() for w in self.words],
            "fields": {name: f.to_dict() for name, f in self.fields.items()},
            "line_items": [li.to_dict() for li in self.line_items],
            "tax_breakdown": [row.to_dict() for row in self.tax_breakdown],
            "key_values": [kv.to_dict() for kv in self.key_values],
            "checks": [c.to_dict() for c in self.checks],
            "timings_ms": dict(self.timings_ms),
        }
        if self.meta:
            d["meta"] = dict(self.meta)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Document:
        version = d.get("schema_version")
        if version != SCHEMA_VERSION:
            raise DataError(f"schema_version {version!r} is not supported (expected {SCHEMA_VERSION}); re-export the document with this version of tillroll")
        try:
            return cls(
                source=d.get("source"),
                pages=[Page.from_dict(p) for p in d.get("pages", [])],
                words=[Word.from_dict(w) for w in d.get("words", [])],
                fields={k: Field.from_dict(v) for k, v in d.get("fields", {}).items()},
                document_type=_document_type(d.get("document_type", DEFAULT_DOCUMENT_TYPE)),
                line_items=[LineItem.from_dict(x) for x in d.get("line_items", [])],
                tax_breakdown=[TaxRow.from_dict(x) for x in d.get("tax_breakdown", [])],
                key_values=[KeyValue.from_dict(x) for x in d.get("key_values", [])],
                checks=[Check.from_dict(x) for x in d.get("checks", [])],
                timings_ms=dict(d.get("timings_ms", {})),
                meta=dict(d.get("meta", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"not a valid schema-v1 document: {exc!r}") from exc
