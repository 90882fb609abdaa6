"""What a synthetic invoice says: parties, numbers, dates, rows and exact money (all `Decimal`).

`make_invoice(locale, rng)` draws one invoice or credit note from a locale's
tables (`synth/invoice/locales/<code>.yaml`); `check_invoice` states the
arithmetic every invoice obeys, and the tests run it over many seeds:

- a row's amount is quantity x unit price less its discount, rounded half-up to cents;
- a discount row (a negative line) takes a percentage off the rows of one VAT rate;
- per VAT rate, the base is the sum of that rate's row amounts and the tax is
  base x rate / 100, rounded half-up (tax computed per rate on the net, as
  EN 16931 does);
- net total = sum of bases, tax total = sum of taxes, gross total = net + tax,
  amount due = gross - prepaid;
- a credit note has negative quantities, so every amount and total is negative.

The IBAN has valid ISO 13616 check digits, the VAT id its country's shape.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from typing import Any

from ...errors import ConfigError

CENT = Decimal("0.01")
HUNDRED = Decimal(100)

# Month names for the invoice languages the receipt tables do not carry.
MONTHS: dict[str, tuple[str, ...]] = {
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"),
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"),
    "pl": ("styczeń", "luty", "marzec", "kwiecień", "maj", "czerwiec", "lipiec", "sierpień", "wrzesień", "październik", "listopad", "grudzień"),
    "sv": ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"),
}


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- locale tables


@dataclass(frozen=True)
class InvoiceLocale:
    """One locale's invoice tables (see the YAML files for every key)."""

    code: str
    data: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def label(self, key: str, rng: random.Random) -> str:
        return str(rng.choice(self.data["labels"][key]))

    def number(self, value: Decimal, thousands: bool = True) -> str:
        """`value` printed with the locale's separators: 1.234,56 / 1 234,56 / 1,234.56."""
        sign = "-" if value < 0 else ""
        whole, _, frac = f"{abs(value):.2f}".partition(".")
        if thousands and len(whole) > 3:
            groups: list[str] = []
            while len(whole) > 3:
                groups.insert(0, whole[-3:])
                whole = whole[:-3]
            whole = self.data["thousands"].join([whole, *groups])
        return f"{sign}{whole}{self.data['decimal']}{frac}"

    def rate(self, rate: Decimal) -> str:
        """A VAT rate as printed: "19", "5,5"."""
        text = format(rate.normalize(), "f")
        return text.replace(".", self.data["decimal"])

    def quantity(self, qty: Decimal) -> str:
        if qty == qty.to_integral_value():
            return str(int(qty))
        return format(qty.normalize(), "f").replace(".", self.data["decimal"])

    def date(self, day: dt.date, fmt: str) -> str:
        months = MONTHS.get(self.data["language"], MONTHS["en"])
        return fmt.format(d=day.day, dd=f"{day.day:02d}", mm=f"{day.month:02d}", yyyy=f"{day.year:04d}", month=months[day.month - 1])


def available_invoice_locales() -> list[str]:
    folder = resources.files("tillroll.synth.invoice") / "locales"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


@cache
def load_invoice_locale(code: str) -> InvoiceLocale:
    import yaml

    codes = available_invoice_locales()
    if code not in codes:
        raise ConfigError(f"unknown invoice locale {code!r}; choose from {', '.join(codes)}")
    text = (resources.files("tillroll.synth.invoice") / "locales" / f"{code}.yaml").read_text(encoding="utf-8")
    return InvoiceLocale(code, yaml.safe_load(text))


def parse_invoice_locales(spec: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """ "all" or a comma-separated list; "en-GB"/"uk" name the gb tables, "se" the Swedish ones."""
    aliases = {"en-gb": "gb", "uk": "gb", "en": "gb", "se": "sv"}
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    codes: list[str] = []
    for item in items:
        code = aliases.get(item.strip().lower(), item.strip().lower())
        if code == "all":
            codes.extend(available_invoice_locales())
        elif code:
            load_invoice_locale(code)  # raises ConfigError naming the choices
            codes.append(code)
    if not codes:
        raise ConfigError("no invoice locale given; use e.g. --locales de,fr or all")
    return tuple(dict.fromkeys(codes))


# --------------------------------------------------------------------------- filling patterns


def fill(pattern: str, rng: random.Random, extra: dict[str, str] | None = None) -> str:
    """Replace {n}, {n1}..{n9} (digits), {dd}/{mm}/{yyyy}, # (digit) and A (capital) placeholders."""
    values = dict(extra or {})
    for k in range(1, 10):
        values.setdefault(f"n{k}", "".join(rng.choice(string.digits[1:] if i == 0 else string.digits) for i in range(k)))
    values.setdefault("n", str(rng.randint(1, 180)))
    out = pattern
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)
    return out


def fill_shape(shape: str, rng: random.Random) -> str:
    return "".join(rng.choice(string.digits) if ch == "#" else rng.choice(string.ascii_uppercase) if ch == "A" else ch for ch in shape)


def iban_check_digits(country: str, bban: str) -> str:
    """ISO 13616: 98 - (BBAN + country + "00" as a number) mod 97, letters as 10..35."""
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{98 - int(digits) % 97:02d}"


def iban_is_valid(iban: str) -> bool:
    compact = iban.replace(" ", "").upper()
    rotated = compact[4:] + compact[:4]
    return len(compact) > 4 and int("".join(str(int(ch, 36)) for ch in rotated)) % 97 == 1


def make_iban(locale: InvoiceLocale, rng: random.Random) -> str:
    """A valid IBAN of the locale's shape ("DE" + 2 check digits + BBAN), compact."""
    shape = str(locale["iban"])
    country, bban = shape[:2], fill_shape(shape[4:], rng)
    return country + iban_check_digits(country, bban) + bban


def group4(compact: str) -> str:
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


# --------------------------------------------------------------------------- the invoice


@dataclass
class Party:
    name: str
    street: str
    city: str
    country: str | None = None  # printed country line (foreign buyers)
    vat_id: str | None = None
    phone: str | None = None  # national form as printed
    phone_e164: str | None = None
    email: str | None = None

    @property
    def address_lines(self) -> list[str]:
        return [self.street, self.city] + ([self.country] if self.country else [])


@dataclass
class Row:
    position: int
    description: str
    detail: str | None
    article: str | None
    quantity: Decimal
    unit: str
    unit_price: Decimal
    rate: Decimal
    discount_pct: Decimal | None
    amount: Decimal
    is_discount: bool = False  # a negative line taking a discount off the rows of one rate


@dataclass
class TaxLine:
    rate: Decimal
    base: Decimal
    tax: Decimal


@dataclass
class Invoice:
    locale: str
    kind: str  # "invoice" | "credit_note"
    number: str
    date: dt.date
    due_date: dt.date
    delivery_date: dt.date | None
    seller: Party
    buyer: Party
    customer_no: str | None
    order_ref: str | None
    credit_ref: str | None  # the invoice a credit note corrects
    rows: list[Row]
    tax_lines: list[TaxLine]
    net: Decimal
    tax: Decimal
    gross: Decimal
    prepaid: Decimal
    amount_due: Decimal
    currency: str
    iban: str
    bic: str
    bank: str
    terms_days: int
    extras: dict[str, str] = field(default_factory=dict)


def _phone(locale: InvoiceLocale, rng: random.Random) -> tuple[str, str]:
    spec = locale["phone"]
    national = fill_shape(rng.choice(spec["national"]), rng)
    digits = "".join(ch for ch in national if ch.isdigit())
    trunk = spec.get("trunk", "")
    if trunk and digits.startswith(trunk):
        digits = digits[len(trunk) :]
    return national, f"+{spec['country']}{digits}"


def _company(locale: InvoiceLocale, rng: random.Random) -> str:
    c = locale["company"]
    surname = rng.choice(c["surname"])
    name = rng.choice(c["patterns"]).format(
        surname=surname,
        surname2=rng.choice([s for s in c["surname"] if s != surname]),
        trade=rng.choice(c["trade"]),
        place=rng.choice(c["place"]),
        legal=rng.choice(c["legal"]),
    )
    return " ".join(name.split())


def _party(locale: InvoiceLocale, rng: random.Random, company: bool = True) -> Party:
    a = locale["address"]
    name = _company(locale, rng) if company else rng.choice(locale["people"])
    return Party(name=name, street=fill(rng.choice(a["street"]), rng), city=fill(rng.choice(a["city"]), rng))


def _vat_id(locale: InvoiceLocale, rng: random.Random) -> str:
    return fill_shape(locale["vat_id"], rng)


def _row_count(rng: random.Random) -> int:
    """1-40 rows, most invoices short: a third 1-3 rows, a few long enough for two or three pages."""
    bucket = rng.random()
    if bucket < 0.35:
        return rng.randint(1, 3)
    if bucket < 0.75:
        return rng.randint(4, 10)
    if bucket < 0.9:
        return rng.randint(11, 22)
    return rng.randint(23, 40)


def make_invoice(locale: InvoiceLocale, rng: random.Random, credit_note: bool | None = None, rows: int | None = None) -> Invoice:
    """One invoice (or credit note, about one in seven) drawn from `locale`'s tables."""
    kind = "credit_note" if (credit_note if credit_note is not None else rng.random() < 0.15) else "invoice"
    sign = Decimal(-1) if kind == "credit_note" else Decimal(1)
    date = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 3 * 365))
    terms_days = rng.choice([7, 10, 14, 14, 30, 30, 30, 45, 60])
    due = date + dt.timedelta(days=terms_days if kind == "invoice" else rng.choice([0, 14]))
    delivery = date - dt.timedelta(days=rng.randint(0, 20)) if rng.random() < 0.5 else None
    date_values = {"dd": f"{date.day:02d}", "mm": f"{date.month:02d}", "yyyy": str(date.year)}
    number = fill(rng.choice(locale["credit_numbers" if kind == "credit_note" else "numbers"]), rng, date_values)
    seller = _party(locale, rng)
    seller.vat_id = _vat_id(locale, rng)
    seller.phone, seller.phone_e164 = _phone(locale, rng)
    domain = "".join(ch for ch in seller.name.split()[0].lower() if ch.isalnum() and ch.isascii()) or "firma"
    seller.email = f"{rng.choice(['info', 'billing', 'office', 'kontakt'])}@{domain}.example"
    buyer = _party(locale, rng, company=rng.random() < 0.8)
    if rng.random() < 0.45:
        buyer.vat_id = _vat_id(locale, rng)

    n_rows = rows if rows is not None else _row_count(rng)
    rates = [Decimal(r) for r in locale["vat_rates"]]
    multi_rate = rng.random() < 0.45
    catalogue = locale["items"]
    with_articles = rng.random() < 0.5
    line_discounts = rng.random() < 0.25
    out_rows: list[Row] = []
    for i in range(n_rows):
        name, unit, low, high, rate_text = rng.choice(catalogue)
        rate = Decimal(str(rate_text)) if multi_rate else rates[0]
        price = money(Decimal(str(rng.uniform(float(low), float(high)))))
        if unit in ("kg", "m", "h", "hrs", "Std.", "ore", "uur", "tim", "godz.") and rng.random() < 0.4:
            qty = Decimal(rng.randint(1, 40)) / Decimal(2) if rng.random() < 0.5 else Decimal(rng.randint(1, 99)) / Decimal(10)
        else:
            qty = Decimal(rng.choice([1, 1, 1, 2, 2, 3, 4, 5, 6, 10, 12, 20, 25, 50]))
        qty *= sign
        disc = Decimal(rng.choice([5, 10, 15, 20])) if line_discounts and rng.random() < 0.4 else None
        gross_row = qty * price
        amount = money(gross_row * (HUNDRED - (disc or 0)) / HUNDRED)
        detail = (
            fill(
                rng.choice(locale["details"]),
                rng,
                {
                    "date": locale.date(date - dt.timedelta(days=rng.randint(5, 60)), locale["dates"][0]),
                    "month": MONTHS.get(locale["language"], MONTHS["en"])[date.month - 1],
                    "yyyy": str(date.year),
                },
            )
            if rng.random() < 0.3
            else None
        )
        article = fill_shape(rng.choice(["#####", "A-####", "AA###-#", "########"]), rng) if with_articles else None
        out_rows.append(Row(i + 1, name, detail, article, qty, unit, price, rate, disc, amount))

    if kind == "invoice" and rng.random() < 0.2:  # a discount line on the rows of one rate
        rate = rng.choice(sorted({r.rate for r in out_rows}))
        pct = Decimal(rng.choice([2, 3, 5, 10]))
        base = sum((r.amount for r in out_rows if r.rate == rate), Decimal(0))
        cut = -money(base * pct / HUNDRED)
        if cut != 0:
            label = rng.choice(locale["labels"]["discount_line"]).replace("{pct}", locale.quantity(pct))
            out_rows.append(Row(len(out_rows) + 1, label, None, None, Decimal(1), "", cut, rate, None, cut, is_discount=True))

    tax_lines = []
    for rate in sorted({r.rate for r in out_rows}, reverse=True):
        base = sum((r.amount for r in out_rows if r.rate == rate), Decimal(0))
        tax_lines.append(TaxLine(rate, base, money(base * rate / HUNDRED)))
    net = sum((t.base for t in tax_lines), Decimal(0))
    tax = sum((t.tax for t in tax_lines), Decimal(0))
    gross = net + tax
    prepaid = Decimal(0)
    if kind == "invoice" and gross > 50 and rng.random() < 0.15:
        prepaid = money(gross * Decimal(rng.choice([20, 25, 30, 50])) / HUNDRED).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    bank_index = rng.randrange(len(locale["banks"]))
    invoice = Invoice(
        locale=locale.code,
        kind=kind,
        number=number,
        date=date,
        due_date=due,
        delivery_date=delivery,
        seller=seller,
        buyer=buyer,
        customer_no=fill(rng.choice(["{n5}", "K{n4}", "{n6}"]), rng) if rng.random() < 0.6 else None,
        order_ref=fill(rng.choice(["PO-{n5}", "{n6}", "B{n4}/{n2}"]), rng) if rng.random() < 0.4 else None,
        credit_ref=fill(rng.choice(locale["numbers"]), rng, date_values) if kind == "credit_note" else None,
        rows=out_rows,
        tax_lines=tax_lines,
        net=net,
        tax=tax,
        gross=gross,
        prepaid=prepaid,
        amount_due=gross - prepaid,
        currency=locale["currency"],
        iban=make_iban(locale, rng),
        bic=locale["bic"][bank_index % len(locale["bic"])],
        bank=locale["banks"][bank_index],
        terms_days=terms_days,
    )
    check_invoice(invoice)
    return invoice


def check_invoice(inv: Invoice) -> None:
    """Raise AssertionError unless the invoice's money adds up exactly (see the module docstring)."""
    for row in inv.rows:
        if not row.is_discount:
            expected = money(row.quantity * row.unit_price * (HUNDRED - (row.discount_pct or 0)) / HUNDRED)
            assert row.amount == expected, f"row {row.position}: {row.amount} != {expected}"
    for line in inv.tax_lines:
        assert line.base == sum((r.amount for r in inv.rows if r.rate == line.rate), Decimal(0)), f"base at {line.rate}"
        assert line.tax == money(line.base * line.rate / HUNDRED), f"tax at {line.rate}"
    assert {t.rate for t in inv.tax_lines} == {r.rate for r in inv.rows}
    assert inv.net == sum((r.amount for r in inv.rows), Decimal(0))
    assert inv.tax == sum((t.tax for t in inv.tax_lines), Decimal(0))
    assert inv.gross == inv.net + inv.tax
    assert inv.amount_due == inv.gross - inv.prepaid
    assert iban_is_valid(inv.iban), inv.iban
    if inv.kind == "credit_note":
        assert inv.gross < 0 and all(r.amount <= 0 for r in inv.rows)
