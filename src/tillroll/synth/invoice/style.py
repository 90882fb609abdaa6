"""What an invoice layout is made of: A4 geometry, the layout families and item-table column sets,
the `Style` drawn once per invoice, text measuring, and the placed words and rules of its pages.

`tillroll.synth.invoice.layout` places the blocks with these and re-exports the public names.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...labels import MISC
from .content import Invoice, InvoiceLocale, fill

MM = 72.0 / 25.4
PAGE_W, PAGE_H = 595.28, 841.89  # A4 in points

LAYOUTS: tuple[str, ...] = ("din_left", "modern_right", "boxed_grid", "letter_fr", "compact_center", "minimal_banner")
# Each layout family as its parts (header, buyer block, details, column sets, totals, footer).
LAYOUT_PARTS: dict[str, dict[str, Any]] = {
    "din_left": {
        "header": "letterhead_left",
        "buyer": "window_left",
        "meta": "right_column",
        "columns": ["full", "simple"],
        "totals": "right_stack",
        "footer": "three_columns",
    },
    "modern_right": {
        "header": "letterhead_right",
        "buyer": "window_left",
        "meta": "under_title",
        "columns": ["simple", "qty_first"],
        "totals": "right_stack",
        "footer": "single_line",
    },
    "boxed_grid": {
        "header": "banner",
        "buyer": "bill_ship",
        "meta": "grid_row",
        "columns": ["with_discount", "full"],
        "totals": "tax_table",
        "footer": "bank_block",
    },
    "letter_fr": {
        "header": "letterhead_left",
        "buyer": "window_right",
        "meta": "under_title",
        "columns": ["full", "with_discount"],
        "totals": "tax_table",
        "footer": "single_line",
    },
    "compact_center": {
        "header": "letterhead_center",
        "buyer": "bill_ship",
        "meta": "right_column",
        "columns": ["qty_first", "simple"],
        "totals": "right_stack",
        "footer": "three_columns",
    },
    "minimal_banner": {
        "header": "banner",
        "buyer": "window_left",
        "meta": "grid_row",
        "columns": ["simple", "full"],
        "totals": "right_stack",
        "footer": "bank_block",
    },
}
# Column sets: (column key, left edge as a share of the content width, alignment).
COLUMN_SETS: dict[str, list[tuple[str, float, str]]] = {
    "full": [
        ("pos", 0.0, "left"),
        ("article", 0.06, "left"),
        ("description", 0.2, "left"),
        ("quantity", 0.6, "right"),
        ("unit", 0.62, "left"),
        ("unit_price", 0.82, "right"),
        ("vat", 0.88, "right"),
        ("amount", 1.0, "right"),
    ],
    "simple": [("description", 0.0, "left"), ("quantity", 0.6, "right"), ("unit_price", 0.8, "right"), ("amount", 1.0, "right")],
    "with_discount": [
        ("pos", 0.0, "left"),
        ("description", 0.07, "left"),
        ("quantity", 0.52, "right"),
        ("unit", 0.54, "left"),
        ("unit_price", 0.72, "right"),
        ("discount", 0.8, "right"),
        ("vat", 0.88, "right"),
        ("amount", 1.0, "right"),
    ],
    "qty_first": [("quantity", 0.05, "right"), ("unit", 0.07, "left"), ("description", 0.16, "left"), ("unit_price", 0.8, "right"), ("amount", 1.0, "right")],
}
# Right edge of a left-aligned column: the next column's left edge (or its right-aligned cell's start).
_NUMERIC_WIDTH = 0.13


@dataclass
class PlacedWord:
    text: str
    page: int
    box: tuple[float, float, float, float]  # points, origin top left
    baseline: float
    size: float
    bold: bool
    label: str
    roles: tuple[str, ...] = ()
    segment: int = 0  # words placed by one call share it: the PDF draws them as one string with spaces


@dataclass
class PlacedRule:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    width: float = 0.6


@dataclass
class Style:
    """Every random choice of one invoice's look, drawn before layout."""

    layout: str
    parts: dict[str, Any]
    columns: str
    regular: Path
    bold: Path
    face: str
    size: float
    leading: float
    left: float
    right: float
    labels: dict[str, str]
    date_format: str
    flags: dict[str, bool]
    extras: dict[str, str] = field(default_factory=dict)


def choose_style(inv: Invoice, locale: InvoiceLocale, rng: random.Random, faces: list[Any], layouts: tuple[str, ...] = LAYOUTS) -> Style:
    layout = rng.choice(list(layouts))
    parts = LAYOUT_PARTS[layout]
    face = rng.choice(faces)
    labels = {key: rng.choice(values) for key, values in locale["labels"].items()}
    a = locale["address"]
    flags = {
        "return_line": rng.random() < 0.7,
        "bill_to_label": rng.random() < 0.5,
        "phone": rng.random() < 0.85,
        "email": rng.random() < 0.6,
        "vat_in_header": rng.random() < 0.5,
        "delivery": inv.delivery_date is not None,
        "due_in_meta": rng.random() < 0.75,
        "intro": rng.random() < 0.4,
        "thanks": rng.random() < 0.6,
        "terms": rng.random() < 0.85,
        "tax_total_line": rng.random() < 0.5,
        "amount_due_line": inv.prepaid != 0 or rng.random() < 0.3,
        "carry": rng.random() < 0.7,
        "thousands": rng.random() < 0.8,
        "currency_in_header": rng.random() < 0.4,
        "currency_after_total": rng.random() < 0.5,
        "page_numbers": rng.random() < 0.8,
        "managing": rng.random() < 0.4,
    }
    extras = {
        "ship_street": fill(rng.choice(a["street"]), rng),
        "ship_city": fill(rng.choice(a["city"]), rng),
        "managing": fill(rng.choice(locale["labels"]["managing"]), rng, {"person": rng.choice(locale["people"]), "town": "", "street": ""}).replace("  ", " "),
    }
    return Style(
        layout=layout,
        parts=parts,
        columns=rng.choice(parts["columns"]),
        regular=face.regular,
        bold=face.bold,
        face=face.name,
        size=round(rng.uniform(8.6, 10.4), 1),
        leading=round(rng.uniform(1.3, 1.5), 2),
        left=round(rng.uniform(18, 25), 1) * MM,
        right=PAGE_W - round(rng.uniform(14, 20), 1) * MM,
        labels=labels,
        date_format=rng.choice(locale["dates"]),
        flags=flags,
        extras=extras,
    )


class Measure:
    """Advance widths and vertical metrics of a face, in points per point of font size."""

    def __init__(self, regular: Path, bold: Path) -> None:
        from PIL import ImageFont

        self._fonts = {False: ImageFont.truetype(str(regular), 100), True: ImageFont.truetype(str(bold), 100)}
        ascent, descent = self._fonts[False].getmetrics()
        self.ascent, self.descent = ascent / 100.0, descent / 100.0
        self._cache: dict[tuple[str, bool], float] = {}

    def width(self, text: str, size: float, bold: bool = False) -> float:
        key = (text, bold)
        if key not in self._cache:
            self._cache[key] = self._fonts[bold].getlength(text) / 100.0
        return self._cache[key] * size


Token = tuple[str, str, tuple[str, ...]]  # (text, label, roles)


def tokens(text: str, label: str = MISC, roles: tuple[str, ...] = ()) -> list[Token]:
    return [(w, label, roles) for w in text.split()]


class Pages:
    """Words and rules placed page by page."""

    def __init__(self, style: Style) -> None:
        self.style = style
        self.measure = Measure(style.regular, style.bold)
        self.words: list[PlacedWord] = []
        self.rules: list[PlacedRule] = []
        self.page = 0
        self.segments = 0

    def width(self, toks: list[Token], size: float, bold: bool = False) -> float:
        space = self.measure.width(" ", size, bold)
        return sum(self.measure.width(t, size, bold) for t, _, _ in toks) + space * max(0, len(toks) - 1)

    def put(self, x: float, baseline: float, toks: list[Token], size: float | None = None, bold: bool = False, align: str = "left") -> float:
        """Place `toks` on one line; `x` is the left edge, right edge or centre by `align`. Returns the right edge."""
        size = size or self.style.size
        total = self.width(toks, size, bold)
        if align == "right":
            x -= total
        elif align == "center":
            x -= total / 2
        space = self.measure.width(" ", size, bold)
        self.segments += 1
        for text, label, roles in toks:
            w = self.measure.width(text, size, bold)
            box = (x, baseline - self.measure.ascent * size, x + w, baseline + self.measure.descent * size)
            self.words.append(PlacedWord(text, self.page, box, baseline, size, bold, label, roles, self.segments))
            x += w + space
        return x - space

    def rule(self, x0: float, y: float, x1: float, width: float = 0.6) -> None:
        self.rules.append(PlacedRule(self.page, x0, y, x1, y, width))

    def box(self, x0: float, y0: float, x1: float, y1: float) -> None:
        for a, b, c, d in ((x0, y0, x1, y0), (x0, y1, x1, y1), (x0, y0, x0, y1), (x1, y0, x1, y1)):
            self.rules.append(PlacedRule(self.page, a, b, c, d, 0.6))

    def wrap(self, toks: list[Token], width: float, size: float, bold: bool = False) -> list[list[Token]]:
        lines: list[list[Token]] = [[]]
        for tok in toks:
            if lines[-1] and self.width([*lines[-1], tok], size, bold) > width:
                lines.append([])
            lines[-1].append(tok)
        return lines
