"""Parsers that turn printed receipt strings into normalised values.

Every parser takes the text as OCR read it (keywords, currency marks and the
usual OCR confusions included) and returns either a small frozen dataclass with
the normalised value or a `NoMatch` naming what it looked for. They never raise
(any input, even a non-string, gives one of the two), so the field assembler,
the checks and the evaluation toolkit can call them on anything.

    parse_date("Date: 14/03/2018")          -> ParsedDate(iso="2018-03-14", order="dmy", ambiguous=False, ...)
    parse_date("03/04/2018")                -> ambiguous=True (day-first assumed unless told)
    parse_date("03/04/2018", day_first=False) or country="US" -> "2018-03-04"
    parse_time("12:45 PM")                  -> ParsedTime(iso="12:45:00")
    parse_amount("RM 1,234.50")             -> ParsedAmount(value=Decimal("1234.50"), text="1234.50", currency="MYR")
    detect_currency("€ 4.20")               -> CurrencyMatch(code="EUR", evidence="€")
    parse_phone("TEL: 03-3271 9872", country="MY") -> ParsedPhone(value="+60332719872", e164=True)
    parse_vat_number("VAT No. MT1234-5678") -> ParsedVat(value="MT12345678", country="MT", scheme="eu_vat")
    parse_quantity("2 x")                   -> ParsedQuantity(text="2")

Results are falsy when nothing matched (`NoMatch.__bool__` is False), so
`if (d := parse_date(s)):` reads naturally.

Conventions: amounts are decimal strings with at least two decimals (never
floats); dates are ISO 8601; phone numbers are E.164 when the country is known
from the number itself (+356, 0060...) or from the `country` hint (ISO 3166
alpha-2), otherwise the bare digits with `e164=False`.

Modules by value kind: `dates`, `times`, `amounts` (currencies, amounts,
quantities), `phones`, `tax_ids`; the result types live in `results` and the
digit/letter repairs they share in `ocr_fixes`. This package sits in the base
layer (it imports nothing else of tillroll), so dataset readers, the rules, the
assembler and the evaluation all use the same parsers.
"""

from __future__ import annotations

from .amounts import currency_of_country, detect_currency, find_amounts, format_amount, parse_amount, parse_quantity
from .dates import MONTH_FIRST_COUNTRIES, find_dates, parse_date
from .ocr_fixes import fix_digits, fix_letters_in_words
from .phones import find_phones, parse_phone
from .results import CurrencyMatch, NoMatch, ParsedAmount, ParsedDate, ParsedPhone, ParsedQuantity, ParsedTime, ParsedVat
from .tax_ids import EU_VAT_FORMATS, SELF_EVIDENT_VAT_SCHEMES, TAX_ID_NAMES, abn_checksum_ok, gstin_checksum_ok, malta_vat_checksum_ok, parse_vat_number
from .times import find_times, parse_time

__all__ = [
    "EU_VAT_FORMATS",
    "MONTH_FIRST_COUNTRIES",
    "TAX_ID_NAMES",
    "CurrencyMatch",
    "NoMatch",
    "ParsedAmount",
    "ParsedDate",
    "ParsedPhone",
    "ParsedQuantity",
    "ParsedTime",
    "ParsedVat",
    "currency_of_country",
    "detect_currency",
    "find_amounts",
    "find_dates",
    "find_phones",
    "find_times",
    "fix_digits",
    "fix_letters_in_words",
    "format_amount",
    "malta_vat_checksum_ok",
    "gstin_checksum_ok",
    "abn_checksum_ok",
    "SELF_EVIDENT_VAT_SCHEMES",
    "parse_amount",
    "parse_date",
    "parse_phone",
    "parse_quantity",
    "parse_time",
    "parse_vat_number",
]
