"""Lay a receipt's content out as printed lines, following a template's block sequence.

The output is font-independent: each `Line` holds `Segment`s anchored at a
fraction of the printable width (left, centre or right aligned), and each
segment holds `Token`s (the future OCR words) with their label and the role
they play in the output fields. `render` measures and places them.

Labelling follows the paper's semantics and the dataset mappings of
`tillroll.labels`: a key word that announces a value carries the value's label
where the paper's rules label the whole line ("TOTAL 12.30", "VAT 18% 1.83",
"Tel: 2123 4567", "VAT No: MT12345678"), while column headers, date/time keys,
subtotals, payment and change lines are `misc`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..errors import ConfigError
from ..labels import (
    ADDRESS,
    AMOUNT,
    DATE_TIME,
    FIELD_NAMES,
    LINE_ITEM,
    MISC,
    QUANTITY,
    SHOP_NAME,
    TELEPHONE,
    TOTAL,
    UNIT_PRICE,
    VAT_INCLUDED,
    VAT_INFO,
)
from .content import Item, Receipt
from .localedata import Locale
from .templates import Template

(F_SHOP_NAME, F_ADDRESS, F_TELEPHONE, F_VAT_INFO, F_DATE, F_TIME, F_SUBTOTAL, F_VAT_INCLUDED, F_TOTAL) = FIELD_NAMES


@dataclass
class Token:
    text: str
    label: str
    # Which output value this word belongs to: a field name, "<field>:key" for a
    # cue word that is labelled but not part of the value, or "item:<i>:<attr>".
    role: str | None = None


@dataclass
class Segment:
    tokens: list[Token]
    anchor: float | None = 0.0  # fraction of the printable width; None: right after the previous segment
    align: str = "left"  # left | center | right (relative to the anchor)
    scale: float = 1.0
    bold: bool = False
    fill: str | None = None  # "line": repeat fill_char over the width; "gap": fill up to the next segment
    fill_char: str = "-"
    shrinkable: bool = False  # may be shortened (item descriptions) instead of pushing others to a new line


@dataclass
class Line:
    segments: list[Segment] = field(default_factory=list)


def _tokens(text: str, label: str, role: str | None = None) -> list[Token]:
    return [Token(t, label, role) for t in text.split()]


def _choose(value: Any, rng: random.Random) -> Any:
    """Template values may be a fixed value, a list of choices, or a [low, high] float range."""
    if isinstance(value, list):
        if len(value) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            low, high = value
            return rng.uniform(low, high) if isinstance(low, float) or isinstance(high, float) else rng.randint(low, high)
        return rng.choice(value)
    return value


def _prob(value: Any, rng: random.Random, default: float = 1.0) -> bool:
    p = default if value is None else float(value)
    return rng.random() < p


class Composer:
    """Builds the lines of one receipt; one instance per receipt (it carries that receipt's choices)."""

    def __init__(self, template: Template, receipt: Receipt, locale: Locale, rng: random.Random) -> None:
        self.t, self.r, self.loc, self.rng = template, receipt, locale, rng
        self.lines: list[Line] = []
        self.printed: set[str] = set()  # names of the blocks printed so far
        items = template.items
        self.tax_codes = _prob(items.get("tax_codes", 0.0), rng)
        self.thousands = _prob(template.data.get("thousands", 0.0), rng)
        mark_style = rng.choice(("none", "none", "separate", "attached"))
        self.currency_mark = rng.choice(locale["currency_marks"])
        self.mark_style = mark_style
        position = locale["currency_position"]
        self.mark_before = position == "prefix" or (position == "either" and rng.random() < 0.5)
        self.leaders = _prob(template.data.get("leaders", 0.0), rng)
        self.value_anchor = 1.0
        self.key_anchor = float(_choose(template.data.get("summary_key_at", 0.0), rng))
        self.times_sign = rng.choice(("x", "x", "X", "*", "@"))

    # ---- helpers ------------------------------------------------------------
    def money(self, amount: Decimal) -> str:
        return self.loc.money(amount, thousands=self.thousands)

    def money_with_mark(self, amount: Decimal, label: str, role: str) -> list[Token]:
        text = self.money(amount)
        mark = self.currency_mark
        if self.mark_style == "attached":
            return [Token(f"{mark}{text}" if self.mark_before else f"{text}{mark}", label, role)]
        if self.mark_style == "separate":
            pair = [Token(mark, label, role), Token(text, label, role)]
            return pair if self.mark_before else pair[::-1]
        return [Token(text, label, role)]

    def emit(self, *segments: Segment, same_line: bool = False) -> None:
        if same_line and self.lines:
            self.lines[-1].segments.extend(segments)
        else:
            self.lines.append(Line(list(segments)))

    def key_value(self, key: list[Token], value: list[Token], *, scale: float = 1.0, bold: bool = False, leaders: bool | None = None) -> None:
        segs = [Segment(key, anchor=self.key_anchor, align="left", scale=scale, bold=bold)]
        if self.leaders if leaders is None else leaders:
            segs.append(Segment([], anchor=None, fill="gap", fill_char=".", scale=scale))
        segs.append(Segment(value, anchor=self.value_anchor, align="right", scale=scale, bold=bold))
        self.emit(*segs)

    def rate_text(self, rate: Decimal) -> str:
        text = f"{rate.normalize():f}"
        return text.replace(".", self.loc["decimal"])

    # ---- blocks -------------------------------------------------------------
    def block_shop_name(self, spec: dict[str, Any]) -> list[Segment]:
        return [Segment(_tokens(self.r.shop_name, SHOP_NAME, F_SHOP_NAME))]

    def block_company_id(self, spec: dict[str, Any]) -> list[Segment]:
        return [Segment(_tokens(self.r.company_id, MISC))] if self.r.company_id else []

    def block_address(self, spec: dict[str, Any]) -> list[list[Segment]]:
        lines = self.r.address_lines
        if spec.get("one_line") and _prob(spec["one_line"], self.rng):
            lines = [", ".join(lines)]
        return [[Segment(_tokens(text, ADDRESS, F_ADDRESS))] for text in lines]

    def block_telephone(self, spec: dict[str, Any]) -> list[Segment]:
        key = _tokens(self.r.phone_key, TELEPHONE, F_TELEPHONE) if _prob(spec.get("keyed"), self.rng, 0.9) else []
        return [Segment(key + _tokens(self.r.phone.printed, TELEPHONE, F_TELEPHONE))]

    def block_vat_info(self, spec: dict[str, Any]) -> list[Segment]:
        tax_id = self.r.tax_id
        if tax_id is None:
            return []
        return [Segment(_tokens(tax_id.key, VAT_INFO, F_VAT_INFO) + _tokens(tax_id.printed, VAT_INFO, F_VAT_INFO))]

    def _keyed(self, key_word: str, text: str, label: str, role: str, spec: dict[str, Any]) -> list[Token]:
        key = _tokens(self.rng.choice(self.loc.words(key_word)), MISC) if _prob(spec.get("keyed"), self.rng, 0.5) else []
        return key + _tokens(text, label, role)

    def block_date(self, spec: dict[str, Any]) -> list[Segment]:
        return [Segment(self._keyed("date_key", self.r.date_text, DATE_TIME, F_DATE, spec))]

    def block_time(self, spec: dict[str, Any]) -> list[Segment]:
        return [Segment(self._keyed("time_key", self.r.time_text, DATE_TIME, F_TIME, spec))]

    def block_datetime(self, spec: dict[str, Any]) -> list[Segment]:
        date = _tokens(self.r.date_text, DATE_TIME, F_DATE)
        time = _tokens(self.r.time_text, DATE_TIME, F_TIME)
        return [Segment(date + time if self.rng.random() < 0.5 else time + date)]

    def block_misc(self, spec: dict[str, Any]) -> list[list[Segment]]:
        return [[Segment(_tokens(text, MISC))] for text in self.r.misc_lines]

    def block_items_count(self, spec: dict[str, Any]) -> list[Segment]:
        text = self.rng.choice(self.loc.words("items_count")).format(count=len(self.r.items))
        return [Segment(_tokens(text, MISC))]

    def block_footer(self, spec: dict[str, Any]) -> list[list[Segment]]:
        return [[Segment(_tokens(text, MISC))] for text in self.r.footer_lines]

    def block_separator(self, spec: dict[str, Any]) -> list[Segment]:
        char = _choose(spec.get("chars", ["-", "=", "*", "-", "_"]), self.rng)
        return [Segment([], fill="line", fill_char=char)]

    def block_blank(self, spec: dict[str, Any]) -> list[Segment]:
        return [Segment([])]

    def block_subtotal(self, spec: dict[str, Any]) -> None:
        key = _tokens(self.rng.choice(self.loc.words("subtotal")), MISC, f"{F_SUBTOTAL}:key")
        self.key_value(key, [Token(self.money(self.r.subtotal), MISC, F_SUBTOTAL)])

    def block_tax_lines(self, spec: dict[str, Any]) -> None:
        taxes = [t for t in self.r.taxes if t.rate > 0]
        fmt = self.rng.choice(self.loc["tax"]["line_formats"])
        for t in taxes:
            key = fmt.format(rate=self.rate_text(t.rate), code=t.code)
            self.key_value(_tokens(key, VAT_INCLUDED, f"{F_VAT_INCLUDED}:key"), [Token(self.money(t.tax), VAT_INCLUDED, F_VAT_INCLUDED)])
        if len(taxes) > 1 and _prob(spec.get("total_line", 0.5), self.rng):
            key = self.rng.choice(self.loc["tax"]["total_lines"])
            self.key_value(_tokens(key, VAT_INCLUDED, f"{F_VAT_INCLUDED}:key"), [Token(self.money(self.r.tax_total), VAT_INCLUDED, f"{F_VAT_INCLUDED}:total")])

    def block_total(self, spec: dict[str, Any]) -> None:
        key = _tokens(self.rng.choice(self.loc.words("total")), TOTAL, f"{F_TOTAL}:key")
        value = self.money_with_mark(self.r.total, TOTAL, F_TOTAL)
        scale = float(_choose(spec.get("scale", 1.0), self.rng))
        self.key_value(key, value, scale=scale, bold=_prob(spec.get("bold", 0.0), self.rng))

    def block_payment(self, spec: dict[str, Any]) -> None:
        pay = self.r.payment
        self.key_value(_tokens(pay.method, MISC), [Token(self.money(pay.tendered), MISC)])
        if not pay.cash and _prob(spec.get("card_number", 0.4), self.rng):
            self.emit(Segment(_tokens(f"**** **** **** {self.rng.randint(1000, 9999)}", MISC)))

    def block_change(self, spec: dict[str, Any]) -> None:
        if self.r.payment.cash and "payment" in self.printed:  # change without the cash line reads as nonsense
            self.key_value(_tokens(self.rng.choice(self.loc.words("change")), MISC), [Token(self.money(self.r.payment.change), MISC)])

    def block_vat_summary(self, spec: dict[str, Any]) -> None:
        anchors = [0.0, 0.45, 0.72, 1.0]
        header = self.loc.words("vat_summary_header")
        self.emit(*[Segment(_tokens(h, MISC), anchor=a, align="left" if i == 0 else "right") for i, (h, a) in enumerate(zip(header, anchors))])
        for t in self.r.taxes:
            # The rate and the tax it yields are VAT information; the net and gross columns are other amounts.
            cells = [
                (f"{t.code} {self.rate_text(t.rate)}%", VAT_INCLUDED),
                (self.money(t.net), MISC),
                (self.money(t.tax), VAT_INCLUDED),
                (self.money(t.gross), MISC),
            ]
            self.emit(*[Segment(_tokens(c, label), anchor=a, align="left" if i == 0 else "right") for i, ((c, label), a) in enumerate(zip(cells, anchors))])

    def block_invoice_info(self, spec: dict[str, Any]) -> list[list[Segment]]:
        number = self.rng.choice(
            (f"INV-{self.rng.randint(1000, 99999)}", f"{self.rng.randint(1, 999)}/{self.r.date.year}", str(self.rng.randint(10000, 999999)))
        )
        lines = [f"{self.rng.choice(self.loc.words('invoice_no'))} {number}", f"{self.rng.choice(self.loc.words('customer'))} {self.rng.randint(100, 99999)}"]
        return [[Segment(_tokens(text, MISC))] for text in lines]

    # ---- line items -----------------------------------------------------------
    def _cell(self, item: Item, index: int, attr: str) -> list[Token]:
        role = f"item:{index}:{attr}"
        if attr == "description":
            return _tokens(item.name, LINE_ITEM, role)
        if attr == "quantity":
            tokens = [Token(self.loc.quantity(item.quantity), QUANTITY, role)]
            return tokens + ([Token(item.unit, QUANTITY, role)] if item.unit else [])
        if attr == "unit_price":
            return [Token(self.money(item.unit_price), UNIT_PRICE, role)]
        return [Token(self.money(item.amount), AMOUNT, role)]

    def _amount_segment(self, item: Item, index: int) -> Segment:
        tokens = self._cell(item, index, "amount")
        if self.tax_codes:
            tokens.append(Token(item.tax_code, MISC))
        return Segment(tokens, anchor=1.0, align="right")

    def _qty_times_price(self, item: Item, index: int) -> list[Token]:
        # "2 x 6,50": the multiplication sign reads as part of the quantity ("two times").
        qty = self._cell(item, index, "quantity")
        qty.append(Token(self.times_sign, QUANTITY, f"item:{index}:quantity"))
        return qty + self._cell(item, index, "unit_price")

    def block_items(self, spec: dict[str, Any]) -> None:
        items_spec = self.t.items
        layouts = items_spec.get("layouts", {"table": 1})
        layout = self.rng.choices(list(layouts), weights=list(layouts.values()), k=1)[0]
        if layout not in ("table", "two_line", "inline", "simple", "qty_first"):
            raise ConfigError(f"template {self.t.name}: unknown item layout {layout!r}")
        if layout == "table":
            columns = _choose(items_spec["columns"], self.rng) if isinstance(items_spec["columns"][0][0], list) else items_spec["columns"]
            if _prob(items_spec.get("headers", 0.7), self.rng):
                headers = self.loc["words"]["headers"]
                self.emit(*[Segment(_tokens(self.rng.choice(headers[attr]), MISC), anchor=a, align=al) for attr, a, al in columns])
            for i, item in enumerate(self.r.items):
                if item.unit is not None:
                    # Weighed goods do not fit a quantity column: tills print "0,512 kg x 3,99" under the name.
                    self.emit(Segment(self._cell(item, i, "description"), anchor=0.0))
                    self.emit(Segment(self._qty_times_price(item, i), anchor=0.06), self._amount_segment(item, i))
                    continue
                segs = []
                for attr, anchor, align in columns:
                    if attr == "amount":
                        seg = self._amount_segment(item, i)
                        seg.anchor, seg.align = anchor, align
                    else:
                        seg = Segment(self._cell(item, i, attr), anchor=anchor, align=align, shrinkable=attr == "description")
                    segs.append(seg)
                self.emit(*segs)
            return
        for i, item in enumerate(self.r.items):
            single = item.quantity == 1 and item.unit is None
            if layout == "qty_first":
                qty = Segment(self._cell(item, i, "quantity"), anchor=0.0)
                desc = Segment(self._cell(item, i, "description"), anchor=None, shrinkable=True)
                self.emit(qty, desc, self._amount_segment(item, i))
            elif layout == "inline":
                desc = Segment(self._cell(item, i, "description"), anchor=0.0, shrinkable=True)
                middle = Segment(self._qty_times_price(item, i), anchor=0.74, align="right")
                self.emit(desc, middle, self._amount_segment(item, i))
            elif single:
                self.emit(Segment(self._cell(item, i, "description"), anchor=0.0, shrinkable=True), self._amount_segment(item, i))
            else:  # two_line, or simple with a quantity: the "2 x 6,50" line goes under the description
                self.emit(Segment(self._cell(item, i, "description"), anchor=0.0))
                self.emit(Segment(self._qty_times_price(item, i), anchor=0.06), self._amount_segment(item, i))

    # ---- driver ---------------------------------------------------------------
    def compose(self) -> list[Line]:
        upper = _prob(self.t.data.get("upper_case", 0.0), self.rng)
        previous_printed = False
        printed = self.printed
        for spec in self.t.blocks:
            name = spec["block"]
            # `unless`: alternatives such as a combined date-time line versus separate date and time lines
            if spec.get("unless") in printed or not _prob(spec.get("p"), self.rng):
                previous_printed = False
                continue
            method: Callable[[dict[str, Any]], Any] | None = getattr(self, f"block_{name}", None)
            if method is None:
                raise ConfigError(f"template {self.t.name}: unknown block {name!r}")
            before = len(self.lines)
            produced = method(spec)
            if produced is not None:  # blocks returning segments get the template's alignment and styling
                groups = produced if produced and isinstance(produced[0], list) else ([produced] if produced else [])
                align = _choose(spec.get("align", "left"), self.rng)
                anchor = {"left": 0.0, "center": 0.5, "right": 1.0}[align]
                scale = float(_choose(spec.get("scale", 1.0), self.rng))
                bold = _prob(spec.get("bold", 0.0), self.rng)
                for j, segs in enumerate(groups):
                    for seg in segs:
                        if seg.fill != "line":
                            seg.anchor, seg.align = anchor, align
                        seg.scale, seg.bold = scale, bold
                    # "same line as its predecessor" only makes sense when the predecessor was printed
                    self.emit(*segs, same_line=bool(spec.get("same_line")) and j == 0 and previous_printed)
            previous_printed = len(self.lines) > before
            if previous_printed or produced:
                printed.add(name)
            if spec.get("gap_after") and previous_printed:
                self.emit(Segment([]))
        if upper:
            for line in self.lines:
                for seg in line.segments:
                    for tok in seg.tokens:
                        tok.text = tok.text.upper()
        return self.lines


def compose(template: Template, receipt: Receipt, locale: Locale, rng: random.Random) -> list[Line]:
    return Composer(template, receipt, locale, rng).compose()
