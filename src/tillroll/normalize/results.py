"""What the parsers return: a frozen dataclass per value kind, or a `NoMatch` saying why not."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal


@dataclass(frozen=True)
class NoMatch:
    """What a parser returns when the text holds no value of its kind."""

    kind: str  # "date", "time", "amount", "currency", "phone", "vat", "quantity"
    text: str
    reason: str

    # Literal[False] lets a type checker narrow `ParsedX | NoMatch` to `ParsedX` after `if result:`.
    def __bool__(self) -> Literal[False]:
        return False


@dataclass(frozen=True)
class ParsedDate:
    value: _dt.date
    iso: str
    order: str  # "dmy", "mdy" or "ymd": how the printed components were read
    ambiguous: bool  # True when day and month could be swapped and nothing decided it
    span: tuple[int, int]  # where in the input text the date was found
    textual_month: bool = False


@dataclass(frozen=True)
class ParsedTime:
    value: _dt.time
    iso: str
    span: tuple[int, int]


@dataclass(frozen=True)
class ParsedAmount:
    value: Decimal
    text: str  # normalised decimal string, e.g. "1234.50", "-3.00"
    currency: str | None
    span: tuple[int, int]


@dataclass(frozen=True)
class CurrencyMatch:
    code: str  # ISO 4217
    evidence: str  # the symbol or word that gave it away


@dataclass(frozen=True)
class ParsedPhone:
    value: str  # E.164 ("+35621234567") when e164, else the digits as printed
    digits: str
    country: str | None
    e164: bool
    span: tuple[int, int]


@dataclass(frozen=True)
class ParsedVat:
    value: str  # compact, upper case: "MT12345678", "000689913856"
    country: str | None
    scheme: str  # "eu_vat", "my_gst", "my_sst", "mt_exo", "generic"
    checksum_ok: bool | None  # None where the scheme has no check digit we verify
    span: tuple[int, int]


@dataclass(frozen=True)
class ParsedQuantity:
    value: Decimal
    text: str
    span: tuple[int, int]


def _no(kind: str, text: Any, reason: str) -> NoMatch:
    return NoMatch(kind, text if isinstance(text, str) else repr(text)[:200], reason)
