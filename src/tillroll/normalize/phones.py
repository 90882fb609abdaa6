"""Phone numbers -> E.164 where the country is known (from the number or a hint)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .ocr_fixes import fix_digits
from .results import NoMatch, ParsedPhone, _no

# Calling code and national-number rules for the countries tillroll's data come from.
# trunk: the national prefix dropped in E.164; lengths: digits after the country code.
_PHONE_RULES: dict[str, tuple[str, str, tuple[int, ...]]] = {
    # country: (calling code, trunk prefix, national-number lengths without trunk)
    "MY": ("60", "0", (8, 9, 10)),  # national numbers always print the trunk 0
    "MT": ("356", "", (8,)),
    "GB": ("44", "0", (9, 10)),
    "UK": ("44", "0", (9, 10)),
    "IE": ("353", "0", (7, 8, 9)),
    "US": ("1", "1", (10,)),
    "CA": ("1", "1", (10,)),
    "SG": ("65", "", (8,)),
    "DE": ("49", "0", tuple(range(6, 12))),
    "FR": ("33", "0", (9,)),
    "IT": ("39", "", tuple(range(6, 12))),
    "ES": ("34", "", (9,)),
    "NL": ("31", "0", (9,)),
    "AU": ("61", "0", (9,)),
    "IN": ("91", "0", (10,)),
    "CN": ("86", "0", (10, 11)),
    "HK": ("852", "", (8,)),
    "ID": ("62", "0", tuple(range(8, 12))),
    "PH": ("63", "0", (9, 10)),
    "TH": ("66", "0", (8, 9)),
    # The other European countries the invoice label tables cover (issue 16).
    "AT": ("43", "0", tuple(range(4, 13))),
    "CH": ("41", "0", (9,)),
    "BE": ("32", "0", (8, 9)),
    "LU": ("352", "", tuple(range(6, 12))),
    "PT": ("351", "", (9,)),
    "PL": ("48", "", (9,)),
    "SE": ("46", "0", (7, 8, 9)),
    "DK": ("45", "", (8,)),
    "NO": ("47", "", (8,)),
    "FI": ("358", "0", tuple(range(5, 11))),
    "EE": ("372", "", (7, 8)),
    "LV": ("371", "", (8,)),
    "LT": ("370", "8", (8,)),
    "IS": ("354", "", (7,)),
}
_CALLING_CODES = sorted({(code, c) for c, (code, _, _) in _PHONE_RULES.items()}, key=lambda x: -len(x[0]))
# A run of digits with the separators phones are printed with; at least 6 digits.
_PHONE = re.compile(r"(?<![\w])(?P<num>(?:\+|00)?\s?\(?\d[\d\s\-./()]{4,22}\d)(?!\d)")


def _phone_from_digits(raw: str, country: str | None, span: tuple[int, int]) -> ParsedPhone | None:
    # "00" opens an international number only before a calling code (never 0): "000381..." is not one.
    international = raw.lstrip().startswith("+") or bool(re.match(r"00\s?[1-9]", raw.lstrip()))
    digits = re.sub(r"\D", "", raw)
    if international:
        digits = digits[2:] if raw.lstrip().startswith("00") else digits
        if not 7 <= len(digits) <= 15:
            return None
        for code, cc in _CALLING_CODES:
            if digits.startswith(code):
                rest = digits[len(code) :]
                trunk = _PHONE_RULES[cc][1]
                if trunk and rest.startswith(trunk) and len(rest) - len(trunk) in _PHONE_RULES[cc][2]:
                    rest = rest[len(trunk) :]  # "+44 (0)20 ..." prints the trunk zero too
                return ParsedPhone("+" + code + rest, digits, cc, True, span)
        return ParsedPhone("+" + digits, digits, None, True, span)
    if not 6 <= len(digits) <= 13:
        return None
    rule = _PHONE_RULES.get((country or "").upper())
    if rule:
        code, trunk, lengths = rule
        cc = (country or "").upper()
        if trunk and digits.startswith(trunk) and len(digits) - len(trunk) in lengths:
            return ParsedPhone("+" + code + digits[len(trunk) :], digits, cc, True, span)
        # Where the trunk prefix is optional (NANP's "1") or absent (Malta), the bare
        # national number is complete; elsewhere a number without it is a fragment.
        if (not trunk or trunk == "1") and len(digits) in lengths:
            return ParsedPhone("+" + code + digits, digits, cc, True, span)
        if digits.startswith(code) and len(digits) - len(code) in lengths:
            return ParsedPhone("+" + digits, digits, cc, True, span)
    return ParsedPhone(digits, digits, (country or "").upper() or None, False, span)


def find_phones(text: Any, country: str | None = None) -> list[ParsedPhone]:
    """Every phone-like number in `text` (receipts often print two: "TEL 21 234567 / 79 123456")."""
    if not isinstance(text, str) or not text:
        return []
    return list(_find_phones(text, country))


@lru_cache(maxsize=8192)
def _find_phones(text: str, country: str | None) -> tuple[ParsedPhone, ...]:
    fixed = fix_digits(text)
    out: list[ParsedPhone] = []
    for part_match in re.finditer(r"[^/,;|]+", fixed):  # "/" and "," separate alternatives
        part = part_match.group(0)
        for m in _PHONE.finditer(part):
            raw = m.group("num").strip(" -./)(")
            if raw.count(".") >= 1 and re.fullmatch(r"\d+\.\d{2}", raw):
                continue  # an amount, not a phone number
            start = part_match.start() + m.start()
            p = _phone_from_digits(raw, country, (start, part_match.start() + m.end()))
            if p:
                out.append(p)
    return tuple(out)


def parse_phone(text: Any, country: str | None = None) -> ParsedPhone | NoMatch:
    """The first phone number in `text`, E.164 when the country is known.

    The country comes from the number (+356..., 0060...) or the `country` hint
    (ISO 3166 alpha-2); without either the digits are returned with e164=False.
    """
    try:
        phones = find_phones(text, country)
    except Exception as exc:  # pragma: no cover
        return _no("phone", text, f"internal error: {exc!r}")
    return phones[0] if phones else _no("phone", text, "no run of 6-15 digits")
