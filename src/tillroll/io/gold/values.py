"""Normalised forms of annotated field values, the same for gold annotations and predictions.

Gold values go through the same parsers (`tillroll.normalize`) as the
pipeline's own fields, so "exact" field scores compare like with like: an ISO
date with an ISO date, "27.55" with "27.55". The dataset readers normalise
their annotations with these, and the scorer (`tillroll.evaluate.values`)
compares with them.
"""

from __future__ import annotations

import re

from ... import normalize as nz

AMOUNT_FIELDS = frozenset({"subtotal", "vat_included", "total", "amount", "unit_price"})
_SPACE = re.compile(r"\s+")


def squash(text: str) -> str:
    """Collapse runs of whitespace and trim: the form of text fields as stored."""
    return _SPACE.sub(" ", text).strip()


def canon(text: str) -> str:
    """Case-, space- and punctuation-insensitive form of a text."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def normalise_value(field: str, text: str, country: str | None = None) -> tuple[str, str | None]:
    """(value, currency) for a printed field text; text fields keep the text, whitespace squashed.

    When the parser finds nothing (an annotator wrote "N/A", OCR noise) the
    squashed text is the value, so nothing is silently dropped from scoring.
    """
    text = squash(text)
    if field in AMOUNT_FIELDS:
        amount = nz.parse_amount(text, country=country)
        return (amount.text, amount.currency) if amount else (text, None)
    if field == "date":
        # Annotators sometimes box a separator with the date ("-27-02-2014").
        date = nz.parse_date(text, country=country) or nz.parse_date(text.strip(" -:.,;"), country=country)
        return (date.iso, None) if date else (text, None)
    if field == "time":
        time = nz.parse_time(text)
        return (time.iso, None) if time else (text, None)
    if field == "telephone":
        phone = nz.parse_phone(text, country=country)
        return (phone.value, None) if phone else (text, None)
    if field == "vat_info":
        vat = nz.parse_vat_number(text, country=country)
        return (vat.value, None) if vat else (text, None)
    if field == "quantity":
        quantity = nz.parse_quantity(text)
        return (format(quantity.value.normalize(), "f"), None) if quantity else (text, None)
    return text, None
