"""The invoice as EN 16931 sees it, between a tillroll `Document` and the two XML syntaxes.

Readers fill an `Invoice` from CII or UBL and turn it into a `Document`
(`Invoice.to_document`); writers get an `Invoice` back from any `Document`
(`Invoice.from_document`). Keeping the mapping from tillroll's field names to
business terms here, once, means CII and UBL cannot disagree about it, and the
list of missing mandatory terms (`terms.missing_terms`) reads the same object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from ..document import Document, Field, LineItem, TaxRow

AMOUNT_FIELDS = ("subtotal", "vat_included", "total", "amount_due")

# UN/ECE Recommendation 20 unit codes for units as commonly printed; unknown units become C62 ("one").
_UNIT_CODES = {
    "h": "HUR",
    "std": "HUR",
    "std.": "HUR",
    "hour": "HUR",
    "hours": "HUR",
    "hr": "HUR",
    "stunde": "HUR",
    "stunden": "HUR",
    "stk": "H87",
    "stk.": "H87",
    "st": "H87",
    "st.": "H87",
    "pcs": "H87",
    "pc": "H87",
    "piece": "H87",
    "pieces": "H87",
    "ea": "H87",
    "kg": "KGM",
    "g": "GRM",
    "l": "LTR",
    "ltr": "LTR",
    "m": "MTR",
    "km": "KMT",
    "day": "DAY",
    "days": "DAY",
    "tag": "DAY",
    "tage": "DAY",
    "month": "MON",
    "monat": "MON",
}
REC20 = re.compile(r"^[A-Z0-9]{2,3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_POSTCODE_CITY = re.compile(r"^((?:[A-Z]{1,2}-)?\d[\dA-Z-]{2,9})\s+(.+)$")
VAT_ID = re.compile(r"^[A-Z]{2}[0-9A-Z+*.]{2,13}$")


def unit_code(unit: str | None) -> str:
    """The Rec 20 code for a printed unit; a unit that already is a code is kept."""
    if not unit:
        return "C62"
    if REC20.match(unit):
        return unit
    return _UNIT_CODES.get(unit.strip().lower(), "C62")


def dec(value: str | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


@dataclass
class Address:
    lines: list[str] = field(default_factory=list)
    postcode: str | None = None
    city: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2

    def to_text(self) -> str | None:
        """One line, the way tillroll's address field holds it: "street, postcode city, CC"."""
        parts = [p for p in self.lines if p]
        place = " ".join(p for p in (self.postcode, self.city) if p)
        if place:
            parts.append(place)
        if self.country:
            parts.append(self.country)
        return ", ".join(parts) or None

    @classmethod
    def from_text(cls, text: str | None) -> Address:
        """Split an address field back into its parts; the inverse of `to_text` for what it wrote."""
        if not text:
            return cls()
        parts = [p.strip() for p in text.split(",") if p.strip()]
        country = None
        if len(parts) > 1 and _COUNTRY.match(parts[-1]):
            country = parts.pop()
        postcode = city = None
        if parts:
            m = _POSTCODE_CITY.match(parts[-1])
            if m:
                postcode, city = m.group(1), m.group(2)
                parts.pop()
            elif len(parts) > 1:
                city = parts.pop()
        return cls(lines=parts, postcode=postcode, city=city, country=country)


@dataclass
class Party:
    name: str | None = None
    vat_id: str | None = None  # BT-31 / BT-48, "VA" scheme
    tax_number: str | None = None  # BT-32, a national tax number ("FC" scheme)
    address: Address = field(default_factory=Address)

    @property
    def tax_text(self) -> str | None:
        return self.vat_id or self.tax_number

    def set_tax_text(self, value: str | None) -> None:
        if not value:
            return
        compact = re.sub(r"[\s.-]", "", value).upper()
        if VAT_ID.match(compact) and compact[:2].isalpha():
            self.vat_id = value.strip()
        else:
            self.tax_number = value.strip()

    def country(self) -> str | None:
        """The party's country: from its address, else the prefix of its VAT id."""
        if self.address.country:
            return self.address.country
        if self.vat_id and self.vat_id[:2].isalpha():
            prefix = self.vat_id[:2].upper()
            return "GR" if prefix == "EL" else prefix
        return None


@dataclass
class Line:
    line_id: str | None = None  # BT-126
    name: str | None = None  # BT-153
    article_number: str | None = None  # BT-155
    quantity: str | None = None  # BT-129
    unit: str | None = None  # BT-130 (Rec 20 code when read from XML)
    net_price: str | None = None  # BT-146
    amount: str | None = None  # BT-131
    category: str | None = None  # BT-151
    rate: str | None = None  # BT-152
    price_base_quantity: str | None = None  # BT-149 (the quantity BT-146 is the price of; 1 when absent)
    # BG-28 minus BG-27: the line's charges less its allowances (None when the XML states none).
    charges_less_allowances: str | None = None


@dataclass
class VatRow:
    category: str | None = None  # BT-118
    rate: str | None = None  # BT-119
    base: str | None = None  # BT-116
    tax: str | None = None  # BT-117


@dataclass
class Invoice:
    """The business terms tillroll reads and writes (BT numbers of EN 16931-1)."""

    number: str | None = None  # BT-1
    issue_date: str | None = None  # BT-2, ISO
    type_code: str = "380"  # BT-3: 380 commercial invoice, 381 credit note
    currency: str | None = None  # BT-5
    due_date: str | None = None  # BT-9, ISO
    purchase_order: str | None = None  # BT-13
    payment_terms: str | None = None  # BT-20
    seller: Party = field(default_factory=Party)  # BG-4
    buyer: Party = field(default_factory=Party)  # BG-7
    iban: str | None = None  # BT-84
    bic: str | None = None  # BT-86
    line_total: str | None = None  # BT-106
    tax_basis: str | None = None  # BT-109
    tax_total: str | None = None  # BT-110
    grand_total: str | None = None  # BT-112
    due_payable: str | None = None  # BT-115
    vat_rows: list[VatRow] = field(default_factory=list)  # BG-23
    lines: list[Line] = field(default_factory=list)  # BG-25
    # What the reader saw: "CII" | "UBL", and the profile / specification identifier (BT-24).
    syntax: str = "CII"
    guideline: str | None = None

    # ---- Invoice -> Document ---------------------------------------------------
    def to_document(self, source: str) -> Document:
        """The schema-v1 document: every value is the issuer's own, so confidence is 1.0."""
        doc = Document(document_type="credit_note" if self.type_code in CREDIT_NOTE_CODES else "invoice")
        values: dict[str, str | None] = {
            "invoice_number": self.number,
            "date": self.issue_date,
            "due_date": self.due_date,
            "purchase_order": self.purchase_order,
            "payment_terms": self.payment_terms,
            "currency": self.currency,
            "shop_name": self.seller.name,
            "address": self.seller.address.to_text(),
            "vat_info": self.seller.tax_text,
            "buyer_name": self.buyer.name,
            "buyer_address": self.buyer.address.to_text(),
            "buyer_vat_info": self.buyer.tax_text,
            "iban": self.iban,
            "bic": self.bic,
            "subtotal": self.tax_basis,
            "vat_included": self.tax_total,
            "total": self.grand_total,
            "amount_due": self.due_payable,
        }
        for name, value in values.items():
            if value:
                currency = self.currency if name in AMOUNT_FIELDS else None
                # Account ids are compared and exported in their electronic form, without the print spaces.
                normal = re.sub(r"\s", "", value).upper() if name in ("iban", "bic") else value
                doc.fields[name] = Field(text=value, value=normal, confidence=1.0, word_ids=[], source=source, currency=currency)
        for line in self.lines:
            doc.line_items.append(
                LineItem(
                    description=line.name,
                    quantity=line.quantity,
                    unit_price=line.net_price,
                    amount=line.amount,
                    confidence=1.0,
                    source=source,
                    position=line.line_id,
                    article_number=line.article_number,
                    unit=line.unit,
                    tax_rate=line.rate,
                )
            )
        for row in self.vat_rows:
            doc.tax_breakdown.append(TaxRow(rate=row.rate, base=row.base, tax=row.tax, category=row.category, confidence=1.0, source=source))
        doc.meta["einvoice"] = {"syntax": self.syntax, "guideline": self.guideline, "type_code": self.type_code}
        return doc

    # ---- Document -> Invoice ---------------------------------------------------
    @classmethod
    def from_document(cls, doc: Document) -> Invoice:
        """Business terms from any extraction; what the document lacks stays None (see terms.missing_terms)."""

        def value(name: str) -> str | None:
            f = doc.fields.get(name)
            return f.value.strip() if f is not None and f.value and f.value.strip() else None

        inv = cls()
        inv.number = value("invoice_number")
        inv.issue_date = value("date")
        inv.type_code = "381" if doc.document_type == "credit_note" else "380"
        inv.currency = value("currency") or next((doc.fields[n].currency for n in AMOUNT_FIELDS if n in doc.fields and doc.fields[n].currency), None)
        inv.due_date = value("due_date")
        inv.purchase_order = value("purchase_order")
        inv.payment_terms = value("payment_terms")
        inv.seller = Party(name=value("shop_name"), address=Address.from_text(value("address")))
        inv.seller.set_tax_text(value("vat_info"))
        inv.buyer = Party(name=value("buyer_name"), address=Address.from_text(value("buyer_address")))
        inv.buyer.set_tax_text(value("buyer_vat_info"))
        inv.iban = value("iban")
        inv.bic = value("bic")
        inv.tax_total = _amount(value("vat_included"))
        inv.grand_total = _amount(value("total"))
        inv.tax_basis = _amount(value("subtotal"))
        if inv.tax_basis is None and inv.grand_total is not None and inv.tax_total is not None:
            # Net = gross - tax: arithmetic on two printed amounts, not a guess.
            inv.tax_basis = str(Decimal(inv.grand_total) - Decimal(inv.tax_total))
        inv.due_payable = _amount(value("amount_due")) or inv.grand_total
        for row in doc.tax_breakdown:
            rate = dec(row.rate)
            category = row.category or (None if rate is None else ("S" if rate > 0 else "Z"))
            inv.vat_rows.append(VatRow(category=category, rate=row.rate, base=_amount(row.base), tax=_amount(row.tax)))
        single = inv.vat_rows[0] if len(inv.vat_rows) == 1 else None
        for i, item in enumerate(doc.line_items, start=1):
            line = Line(
                line_id=item.position or str(i),
                name=item.description,
                article_number=item.article_number,
                quantity=item.quantity,
                unit=unit_code(item.unit),
                net_price=_amount(item.unit_price, places=None),
                amount=_amount(item.amount),
                rate=item.tax_rate,
            )
            if line.quantity is None and line.amount is not None and line.net_price in (None, line.amount):
                # A till line prints one amount: one unit at that price.
                line.quantity, line.net_price = "1", line.amount
            if line.rate is None and single is not None:
                line.rate, line.category = single.rate, single.category
            elif line.rate is not None:
                r = dec(line.rate)
                match = next((v for v in inv.vat_rows if dec(v.rate) == r), None)
                line.category = match.category if match else (None if r is None else ("S" if r > 0 else "Z"))
            inv.lines.append(line)
        amounts = [dec(line.amount) for line in inv.lines]
        if inv.lines and all(a is not None for a in amounts):
            inv.line_total = str(sum(a for a in amounts if a is not None))
        elif not inv.lines:
            inv.line_total = inv.tax_basis
        return inv


CREDIT_NOTE_CODES = frozenset({"381", "396", "532", "261", "262", "83"})


def _amount(value: str | None, places: int | None = 2) -> str | None:
    """A decimal string fit for an XML amount (no exponent); None when it is not a number."""
    d = dec(value)
    if d is None:
        return None
    if places is not None and d.as_tuple().exponent > -places:  # type: ignore[operator]
        d = d.quantize(Decimal(1).scaleb(-places))
    return format(d, "f")
