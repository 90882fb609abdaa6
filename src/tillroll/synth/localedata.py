"""Locale data for synthetic receipts: loading the YAML tables and formatting values.

Each locale is one YAML file in `synth/locales/` (currency, decimal separator,
tax rates, phone and VAT-number shapes, date formats, vocabulary, shops,
addresses, items). This module turns those tables into printed strings: amounts
with the locale's separators, dates with its month names, phone numbers with
their E.164 form. Month names live here rather than in YAML because several
locales share a language (Malta prints English and Maltese).
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from ..errors import ConfigError

# Full month names per language, January first. Polish uses the genitive case,
# which is how a day-month-year date is printed ("21 listopada 2026").
MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"),
    "mt": ("Jannar", "Frar", "Marzu", "April", "Mejju", "Ġunju", "Lulju", "Awwissu", "Settembru", "Ottubru", "Novembru", "Diċembru"),
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"),
    "pl": ("stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września", "października", "listopada", "grudnia"),
}
# Three-letter abbreviations as printed on receipts.
MONTH_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "mt": ("Jan", "Fra", "Mar", "Apr", "Mej", "Ġun", "Lul", "Aww", "Set", "Ott", "Nov", "Diċ"),
    "de": ("Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"),
    "it": ("gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
    "pl": ("sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paź", "lis", "gru"),
}

_REQUIRED_KEYS = (
    "code", "currency", "currency_marks", "currency_position", "decimal", "thousands", "tax", "phone",
    "dates", "times", "words", "people", "shop", "address", "items",
)  # fmt: skip


@dataclass(frozen=True)
class Locale:
    """One locale's tables, as read from its YAML file (see the files for the meaning of each key)."""

    code: str
    data: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    @property
    def decimal_comma(self) -> bool:
        return bool(self.data["decimal"] == ",")

    def words(self, key: str) -> list[str]:
        return list(self.data["words"][key])

    # ---- printing -------------------------------------------------------------
    def money(self, amount: Decimal, *, thousands: bool = False) -> str:
        """`amount` with two decimals and this locale's separators, no currency mark."""
        sign = "-" if amount < 0 else ""
        whole, _, cents = f"{abs(amount):.2f}".partition(".")
        if thousands and len(whole) > 3:
            groups: list[str] = []
            while len(whole) > 3:
                groups.insert(0, whole[-3:])
                whole = whole[:-3]
            groups.insert(0, whole)
            whole = self.data["thousands"].join(groups)
        return f"{sign}{whole}{self.data['decimal']}{cents}"

    def quantity(self, qty: Decimal) -> str:
        """Whole quantities print as integers, weights with three decimals."""
        if qty == qty.to_integral_value():
            return str(int(qty))
        return f"{qty:.3f}".replace(".", self.data["decimal"])


def _yaml_load(text: str) -> Any:
    import yaml

    # The C loader is ten times faster; the tables are loaded once per process either way.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader


def available_locales() -> list[str]:
    folder = resources.files(__package__).joinpath("locales")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


@cache
def load_locale(code: str) -> Locale:
    """The locale `code` (e.g. "mt"); ConfigError naming the valid codes when unknown."""

    codes = available_locales()
    if code not in codes:
        raise ConfigError(f"unknown synthetic locale {code!r}; available: {', '.join(codes)}")
    text = resources.files(__package__).joinpath("locales", f"{code}.yaml").read_text(encoding="utf-8")
    data = _yaml_load(text)
    missing = [k for k in _REQUIRED_KEYS if k not in data]
    if missing:  # pragma: no cover - guards edits of the shipped tables
        raise ConfigError(f"locale file {code}.yaml lacks keys: {', '.join(missing)}")
    return Locale(code=code, data=data)


def parse_locales(spec: str | Sequence[str]) -> tuple[str, ...]:
    """ "mt,uk" or ["mt", "uk"] or "all" -> validated tuple of locale codes."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    codes = [c.strip().lower() for c in items if c.strip()]
    if codes == ["all"]:
        return tuple(available_locales())
    if not codes:
        raise ConfigError(f"no locales given; choose from: {', '.join(available_locales())} (or 'all')")
    for c in codes:
        load_locale(c)
    return tuple(dict.fromkeys(codes))


# ---- filling patterns -----------------------------------------------------------

_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def fill_pattern(pattern: str, rng: random.Random) -> str:
    """Replace each `#` by a digit and each `?` by a capital letter."""
    out = []
    for ch in pattern:
        if ch == "#":
            out.append(str(rng.randint(0, 9)))
        elif ch == "?":
            out.append(rng.choice(_LETTERS))
        else:
            out.append(ch)
    return "".join(out)


def _number(digits: int, rng: random.Random) -> str:
    if digits == 1:
        return str(rng.randint(1, 9))
    return str(rng.randint(10 ** (digits - 1), 10**digits - 1))


def fill_text(template: str, rng: random.Random, extra: dict[str, str] | None = None) -> str:
    """Fill `{n1}`..`{n6}` (numbers of that many digits), `{n}` (a house number) and `extra` keys."""
    values: dict[str, str] = {f"n{k}": _number(k, rng) for k in range(1, 7)}
    values["n"] = str(rng.choice([rng.randint(1, 40), rng.randint(1, 250)]))
    if extra:
        values.update(extra)
    text = template.format(**values)
    return re.sub(r"\s{2,}", " ", text).strip()


# ---- dates, times, phones, tax ids ----------------------------------------------


def format_date(date: dt.date, fmt: str, language: str, rng: random.Random) -> str:
    month = MONTHS[language][date.month - 1]
    abbr = MONTH_ABBREVIATIONS[language][date.month - 1]
    if rng.random() < 0.3:
        month = month.upper()
    return fmt.format(
        d=date.day, dd=f"{date.day:02d}", m=date.month, mm=f"{date.month:02d}",
        yy=f"{date.year % 100:02d}", yyyy=date.year, month=month, mon=abbr, MON=abbr.upper(),
    )  # fmt: skip


def format_time(time: dt.time, fmt: str, rng: random.Random) -> str:
    hour12 = time.hour % 12 or 12
    ampm = "AM" if time.hour < 12 else "PM"
    if rng.random() < 0.25:
        ampm = ampm.lower()
    return fmt.format(
        HH=f"{time.hour:02d}", H=time.hour, MM=f"{time.minute:02d}", SS=f"{time.second:02d}",
        h=hour12, hh=f"{hour12:02d}", ampm=ampm,
    )  # fmt: skip


@dataclass(frozen=True)
class Phone:
    printed: str  # as on the receipt, without its "Tel:" key
    e164: str


def make_phone(locale: Locale, rng: random.Random) -> Phone:
    spec = locale["phone"]
    national = fill_pattern(rng.choice(spec["national"]), rng)
    digits = re.sub(r"\D", "", national)
    trunk = spec.get("trunk") or ""
    subscriber = digits[len(trunk) :] if trunk and digits.startswith(trunk) else digits
    e164 = f"+{spec['country']}{subscriber}"
    if rng.random() < spec.get("p_international", 0.0):
        prefix = rng.choice(spec["international"])
        # Internationally written numbers drop the trunk prefix ("020" -> "+44 20").
        shown = national[len(trunk) :] if trunk and national.startswith(trunk) else national
        return Phone(printed=f"{prefix}{shown}", e164=e164)
    return Phone(printed=national, e164=e164)


def normalise_tax_id(printed: str) -> str:
    """VAT numbers are compared without spaces, dashes and dots (as tax authorities do)."""
    return re.sub(r"[\s\-.]", "", printed).upper()
