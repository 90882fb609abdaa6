"""The value parsers, under the name they had before they moved to `tillroll.normalize`.

They live in the base layer now (`tillroll.normalize`: dates, times, amounts,
phones, tax ids), below the dataset readers and the rules that use them; this
module keeps `from tillroll.extract.normalize import parse_date` working.
New code imports from `tillroll.normalize`.
"""

from __future__ import annotations

from ..normalize import (
    EU_VAT_FORMATS,
    MONTH_FIRST_COUNTRIES,
    TAX_ID_NAMES,
    CurrencyMatch,
    NoMatch,
    ParsedAmount,
    ParsedDate,
    ParsedPhone,
    ParsedQuantity,
    ParsedTime,
    ParsedVat,
    currency_of_country,
    detect_currency,
    find_amounts,
    find_dates,
    find_phones,
    find_times,
    fix_digits,
    fix_letters_in_words,
    format_amount,
    malta_vat_checksum_ok,
    parse_amount,
    parse_date,
    parse_phone,
    parse_quantity,
    parse_time,
    parse_vat_number,
)

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
    "parse_amount",
    "parse_date",
    "parse_phone",
    "parse_quantity",
    "parse_time",
    "parse_vat_number",
]
