"""What a synthetic receipt says: shop, address, items and arithmetically consistent amounts.

Everything money-related is `Decimal` and rounded half-up to cents, the way
tills do it: quantity x unit price = line amount, line amounts sum to the
subtotal, and each tax amount follows from its rate. Where prices include VAT
(Europe) the tax is the VAT share of the gross; where tax is added (US sales
tax, some Malaysian GST receipts) it is a percentage of the net and the total
is subtotal + tax. `check_arithmetic` states these rules once, for the tests and
for anyone who edits this module.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .localedata import Locale, Phone, fill_pattern, fill_text, format_date, format_time, make_phone, normalise_tax_id

CENT = Decimal("0.01")
GRAM = Decimal("0.001")


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Item:
    name: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    tax_class: str
    tax_code: str  # the letter printed after the amount ("A", "B", ...)
    rate: Decimal
    unit: str | None = None  # "kg" for weighed goods


@dataclass
class TaxLine:
    code: str
    rate: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal


@dataclass
class TaxId:
    key: str  # "VAT No:", "EXO No:", "GST ID:"...
    printed: str
    value: str


@dataclass
class Payment:
    method: str  # the printed word ("CASH", "VISA"...)
    cash: bool
    tendered: Decimal
    change: Decimal


@dataclass
class Receipt:
    locale: str
    currency: str
    shop_name: str
    company_id: str | None
    address_lines: list[str]
    phone_key: str
    phone: Phone
    tax_id: TaxId | None
    date: dt.date
    time: dt.time  # seconds are zero unless printed
    date_text: str
    time_text: str
    items: list[Item]
    tax_mode: str  # "included" | "added"
    taxes: list[TaxLine]
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    payment: Payment
    misc_lines: list[str] = field(default_factory=list)
    footer_lines: list[str] = field(default_factory=list)


def _weighted_choice(weights: dict[str, float], rng: random.Random) -> str:
    names = list(weights)
    return rng.choices(names, weights=[float(weights[n]) for n in names], k=1)[0]


def _price(low: float, high: float, rng: random.Random) -> Decimal:
    cents = rng.randint(round(low * 100), round(high * 100))
    if rng.random() < 0.5:  # shop prices like to end in 9, 5 or 0
        cents = max(1, cents - cents % 10 + rng.choice((0, 5, 9)))
    return (Decimal(cents) / 100).quantize(CENT)


def _class_rates(locale: Locale, rng: random.Random) -> dict[str, Decimal]:
    """One rate per tax class for this receipt (US states each have their own sales tax)."""
    rates = {}
    for name, rate in locale["tax"]["classes"].items():
        rates[name] = Decimal(str(rng.choice(rate) if isinstance(rate, list) else rate))
    return rates


def _tax_codes(rates: dict[str, Decimal]) -> dict[str, str]:
    """Letters printed next to amounts, A for the highest rate, as most tills number them."""
    ordered = sorted(rates, key=lambda n: -rates[n])
    return {name: "ABCDEFG"[i] for i, name in enumerate(ordered)}


def make_items(locale: Locale, rng: random.Random, count: int, rates: dict[str, Decimal]) -> list[Item]:
    codes = _tax_codes(rates)
    catalogue = locale["items"]
    items: list[Item] = []
    for name, low, high, tax_class in rng.sample(catalogue, k=min(count, len(catalogue))):
        quantity = Decimal(rng.choices((1, 2, 3, 4, 6, 10), weights=(60, 20, 8, 5, 4, 3), k=1)[0])
        unit_price = _price(low, high, rng)
        items.append(Item(name, quantity, unit_price, to_cents(quantity * unit_price), tax_class, codes[tax_class], rates[tax_class]))
    weighed = locale.get("weighed") or []
    if weighed and rng.random() < 0.25:
        name = rng.choice(weighed)
        tax_class = min(rates, key=lambda n: rates[n])  # food: the lowest rate
        quantity = (Decimal(rng.randint(120, 2500)) * GRAM).quantize(GRAM)
        unit_price = _price(0.9, 14.0, rng)
        unit = locale.get("weighed_unit", "kg")
        items.insert(
            rng.randint(0, len(items)), Item(name, quantity, unit_price, to_cents(quantity * unit_price), tax_class, codes[tax_class], rates[tax_class], unit)
        )
    return items


def compute_taxes(items: list[Item], mode: str) -> tuple[list[TaxLine], Decimal, Decimal, Decimal]:
    """Tax lines per rate, then (lines, subtotal, tax total, total)."""
    subtotal = sum((i.amount for i in items), Decimal("0.00"))
    by_code: dict[str, list[Item]] = {}
    for item in items:
        by_code.setdefault(item.tax_code, []).append(item)
    lines: list[TaxLine] = []
    for code in sorted(by_code):
        base = sum((i.amount for i in by_code[code]), Decimal("0.00"))
        rate = by_code[code][0].rate
        if mode == "included":
            tax = to_cents(base * rate / (100 + rate))
            lines.append(TaxLine(code, rate, base - tax, tax, base))
        else:
            tax = to_cents(base * rate / 100)
            lines.append(TaxLine(code, rate, base, tax, base + tax))
    tax_total = sum((t.tax for t in lines), Decimal("0.00"))
    total = subtotal if mode == "included" else subtotal + tax_total
    return lines, subtotal, tax_total, total


def make_payment(locale: Locale, total: Decimal, rng: random.Random) -> Payment:
    if rng.random() < 0.55:
        notes = [Decimal(n) for n in (5, 10, 20, 50, 100, 200, 500)]
        bigger = [n for n in notes if n >= total] or [to_cents(total).to_integral_value() + 1]
        tendered = rng.choice(bigger[:2]) if rng.random() < 0.8 else to_cents(total)
        return Payment(rng.choice(locale.words("cash")), True, to_cents(tendered), to_cents(tendered - total))
    return Payment(rng.choice(locale.words("card")), False, to_cents(total), Decimal("0.00"))


def _date(locale: Locale, rng: random.Random) -> dt.date:
    first, last = locale.get("years", [2016, 2026])
    start = dt.date(first, 1, 1)
    span = (dt.date(last, 12, 31) - start).days
    return start + dt.timedelta(days=rng.randint(0, span))


def _time(rng: random.Random) -> dt.time:
    return dt.time(rng.randint(7, 22), rng.randint(0, 59), rng.randint(0, 59))


def make_shop_name(locale: Locale, rng: random.Random) -> str:
    shop = locale["shop"]
    people = locale["people"]
    values = {k: rng.choice(v) for k, v in shop.items() if k != "patterns" and isinstance(v, list)}
    values["first"] = rng.choice(people)
    name = fill_text(rng.choice(shop["patterns"]), rng, values)
    return fill_text(name, rng, values) if "{" in name else name  # suffixes may hold placeholders


def make_address(locale: Locale, rng: random.Random) -> list[str]:
    spec = locale["address"]
    values = {k: rng.choice(v) for k, v in spec.items() if k not in ("lines", "postcode") and isinstance(v, list)}
    towns = spec["town"]
    town_index = rng.randrange(len(towns))
    values["town"] = towns[town_index]
    if "province" in spec:  # keep province codes consistent with the town where the lists align
        provinces = spec["province"]
        values["province"] = provinces[town_index] if len(provinces) == len(towns) else rng.choice(provinces)
    if "building" in spec:
        values["building"] = fill_text(rng.choice(spec["building"]), rng)
    values["postcode"] = fill_pattern(rng.choice(spec["postcode"]), rng)
    return [fill_text(rng.choice(options), rng, values) for options in spec["lines"]]


def make_tax_id(locale: Locale, rng: random.Random) -> TaxId | None:
    kinds = locale.get("tax_ids") or []
    if not kinds:
        return None
    kind = rng.choices(kinds, weights=[k.get("weight", 1) for k in kinds], k=1)[0]
    printed = fill_pattern(rng.choice(kind["formats"]), rng)
    return TaxId(rng.choice(kind["keys"]), printed, normalise_tax_id(printed))


def make_receipt(locale: Locale, rng: random.Random, item_count: tuple[int, int] = (1, 9)) -> Receipt:
    """A complete, self-consistent receipt for `locale`; all randomness comes from `rng`."""
    rates = _class_rates(locale, rng)
    count = rng.randint(*item_count)
    items = make_items(locale, rng, count, rates)
    mode = locale["tax"]["mode"]
    if mode == "either":
        mode = rng.choice(("included", "added"))
    taxes, subtotal, tax_total, total = compute_taxes(items, mode)
    date, time = _date(locale, rng), _time(rng)
    time_format = rng.choice(locale["times"])
    if "{SS}" not in time_format:  # the receipt's time is what it prints
        time = time.replace(second=0)
    language = rng.choice(locale["dates"]["month_languages"])
    people = locale["people"]
    # Real receipts are mostly "other" text (the paper's test set is 56 % misc): several misc lines each.
    misc_count = min(len(locale.words("misc")), rng.choice((1, 2, 3, 3, 4, 5)))
    misc_lines = [fill_text(t, rng, {"first_name": rng.choice(people), "count": str(len(items))}) for t in rng.sample(locale.words("misc"), k=misc_count)]
    footer_count = min(len(locale.words("footer")), rng.choice((1, 2, 2, 3)))
    footer_lines = [fill_text(t, rng, {"first_name": rng.choice(people)}) for t in rng.sample(locale.words("footer"), k=footer_count)]
    company_ids = locale.get("company_ids") or []
    return Receipt(
        locale=locale.code,
        currency=locale["currency"],
        shop_name=make_shop_name(locale, rng),
        company_id=fill_text(fill_pattern(rng.choice(company_ids), rng), rng) if company_ids else None,
        address_lines=make_address(locale, rng),
        phone_key=rng.choice(locale["phone"]["keys"]),
        phone=make_phone(locale, rng),
        tax_id=make_tax_id(locale, rng),
        date=date,
        time=time,
        date_text=format_date(date, rng.choice(locale["dates"]["formats"]), language, rng),
        time_text=format_time(time, time_format, rng),
        items=items,
        tax_mode=mode,
        taxes=taxes,
        subtotal=subtotal,
        tax_total=tax_total,
        total=total,
        payment=make_payment(locale, total, rng),
        misc_lines=misc_lines,
        footer_lines=footer_lines,
    )


def check_arithmetic(receipt: Receipt) -> list[str]:
    """Every arithmetic rule a receipt must satisfy; returns the violated ones (empty = consistent)."""
    problems = []
    for item in receipt.items:
        if to_cents(item.quantity * item.unit_price) != item.amount:
            problems.append(f"{item.name}: {item.quantity} x {item.unit_price} != {item.amount}")
    if sum((i.amount for i in receipt.items), Decimal(0)) != receipt.subtotal:
        problems.append("line amounts do not sum to the subtotal")
    for t in receipt.taxes:
        expected = to_cents(t.gross * t.rate / (100 + t.rate)) if receipt.tax_mode == "included" else to_cents(t.net * t.rate / 100)
        if t.tax != expected or t.net + t.tax != t.gross:
            problems.append(f"tax line {t.code} {t.rate}% is inconsistent")
    if sum((t.tax for t in receipt.taxes), Decimal(0)) != receipt.tax_total:
        problems.append("tax lines do not sum to the tax total")
    expected_total = receipt.subtotal + (receipt.tax_total if receipt.tax_mode == "added" else 0)
    if receipt.total != expected_total:
        problems.append(f"total {receipt.total} != {expected_total}")
    if receipt.payment.tendered - receipt.payment.change != receipt.total:
        problems.append("tendered - change != total")
    return problems
