"""VAT, GST/SST and other tax registration numbers -> compact upper-case identifiers."""

from __future__ import annotations

import re
from typing import Any

from .ocr_fixes import fix_digits
from .results import NoMatch, ParsedVat, _no

# EU VAT number bodies by country prefix (after the two-letter prefix).
EU_VAT_FORMATS: dict[str, str] = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[A-Z0-9]\d{7}[A-Z0-9]",
    "FI": r"\d{8}",
    "FR": r"[A-Z0-9]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W]",
    "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"\d{2,10}",
    "SE": r"\d{12}",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
    "GB": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
    "XI": r"\d{9}|\d{12}",
}
_EU_VAT = re.compile(
    r"(?<![A-Z0-9])(?P<cc>" + "|".join(EU_VAT_FORMATS) + r"|MI|M1)\s?[-:.]?\s?(?P<body>[A-Z0-9][A-Z0-9 \-.+*]{1,16}[A-Z0-9])",
    re.IGNORECASE,
)
# Names of a business's tax number that are not "VAT" or "TAX": US employer and seller's-permit
# numbers, Polish NIP, Spanish NIF/CIF, Italian partita IVA, German Steuernummer / USt-IdNr.
# The rules (`tillroll.rules.patterns`) read the same list.
TAX_ID_NAMES = (
    r"EIN|NIP|N\.?\s?I\.?\s?F|C\.?\s?I\.?\s?F|P\.?\s?IVA|PARTITA\s+IVA|STEUER\s?-?\s?N(?:R|UMMER)|ST\.?\s?-?\s?NR"
    r"|UST\.?\s?-?\s?ID\w*|SELLER'?S\s+PERMIT|CVR|SE\s?-?\s?NR"
)
_VAT_KEYWORD = re.compile(
    r"\b(?:VAT|V\.A\.T\.?|GSTIN|GST|SST|TAX|TIN|EXO|EX0|ABN|BTW|TVA|IVA|UST|MWST|CO\.?\s?REG|REG(?:ISTRATION)?|" + TAX_ID_NAMES + r")\b"
    r"(?:\s*(?:REG(?:ISTRATION|\.)?|ID|NO|NUM(?:BER)?|N0|#|\.|:|-))*\s*:?\s*",
    re.IGNORECASE,
)
_GENERIC_TAX_ID = re.compile(r"([A-Z]{0,3}[\d][\dA-Z \-./]{4,20}[\dA-Z])")
_LETTERS_THEN_DIGITS = re.compile(r"[A-Z]{1,3}[\d \-./]+[A-Z]?")
# Malaysian GST: 12 digits; Malaysian SST: W10-1808-32000112.
_MY_GST = re.compile(r"(?<!\d)(\d{3}[\s-]?\d{3}[\s-]?\d{6}|\d{12})(?!\d)")
_MY_SST = re.compile(r"(?<![A-Z0-9])([A-Z]\d{2}-?\d{4}-?\d{8})(?![0-9])", re.IGNORECASE)
# Indian GSTIN: state code, the holder's PAN (5 letters, 4 digits, a letter), an entity
# digit, "Z" and a check character ("29AAGFS1234K1Z5" style).
_IN_GSTIN = re.compile(r"(?<![A-Z0-9])(\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z])(?![A-Z0-9])")
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Canadian business number with its GST/HST program account: "123456789 RT0001".
_CA_BN = re.compile(r"(?<![A-Z0-9])(\d{9})\s?RT\s?(\d{4})(?![0-9])")
# Australian Business Number: 11 digits, printed "51 824 753 556" (or after "ABN" in any grouping).
_AU_ABN_GROUPED = re.compile(r"(?<![\d.,/-])(\d{2} \d{3} \d{3} \d{3})(?![\d.,/-])")
_AU_ABN_AFTER_KEYWORD = re.compile(r"\bABN\b\s*(?:NO\.?|NUMBER)?\s*:?\s*(\d[\d ]{9,14}\d)(?!\d)")
# Norwegian VAT number: the 9-digit organisation number with "MVA" after it ("NO 987 654 321 MVA").
_NO_MVA = re.compile(r"(?<![A-Z0-9])(?:NO\s?)?(\d{3}\s?\d{3}\s?\d{3})\s?MVA\b")
# Swiss VAT number: the UID with its VAT suffix in one of the national languages ("CHE-123.456.788 MWST").
_CH_UID = re.compile(r"(?<![A-Z0-9])CHE[-\s]?(\d{3})[.\s]?(\d{3})[.\s]?(\d{3})(?:\s?(?:MWST|TVA|IVA|VAT))?(?![0-9])")
_MT_EXO = re.compile(r"\bEX[O0]\s*(?:NO|N0|NUM(?:BER)?)?\.?\s*:?\s*(\d{3,6})\b", re.IGNORECASE)


def malta_vat_checksum_ok(digits: str) -> bool:
    """Malta's VAT check: weights 3,4,6,7,8,9 on the first six digits plus the last two as a number, mod 37."""
    if not re.fullmatch(r"\d{8}", digits):
        return False
    total = sum(w * int(d) for w, d in zip((3, 4, 6, 7, 8, 9), digits[:6])) + int(digits[6:])
    return total % 37 == 0


# Schemes whose format alone says "a VAT id of this country", with no label needed.
SELF_EVIDENT_VAT_SCHEMES = frozenset({"eu_vat", "in_gstin", "au_abn", "ca_bn", "no_mva", "ch_uid"})


def mod11_checksum_ok(digits: str, weights: tuple[int, ...]) -> bool:
    """The modulus-11 check of Norwegian organisation numbers and Swiss UIDs: the last digit is
    11 minus the weighted sum of the others mod 11 (11 reads as 0; 10 is never issued)."""
    if len(digits) != len(weights) + 1 or not digits.isdigit():
        return False
    check = 11 - sum(w * int(d) for w, d in zip(weights, digits)) % 11
    return check != 10 and check % 11 == int(digits[-1])


NO_ORGNR_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
CH_UID_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4)


def gstin_checksum_ok(gstin: str) -> bool:
    """India's GSTIN check character: base-36 values of the first 14 characters, weights 1 and 2
    alternating, each product folded (quotient + remainder by 36); the 15th makes the sum 0 mod 36."""
    if len(gstin) != 15 or any(c not in _BASE36 for c in gstin):
        return False
    total = 0
    for i, ch in enumerate(gstin[:14]):
        v = _BASE36.index(ch) * (2 if i % 2 else 1)
        total += v // 36 + v % 36
    return _BASE36[(36 - total % 36) % 36] == gstin[14]


def abn_checksum_ok(digits: str) -> bool:
    """Australia's ABN check: subtract 1 from the first digit, weight the digits
    10, 1, 3, 5, ..., 19, and the sum is a multiple of 89."""
    if not re.fullmatch(r"\d{11}", digits):
        return False
    values = [int(d) for d in digits]
    values[0] -= 1
    return sum(w * v for w, v in zip((10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19), values)) % 89 == 0


def _compact(s: str) -> str:
    return re.sub(r"[\s\-.]", "", s).upper()


def parse_vat_number(text: Any, country: str | None = None) -> ParsedVat | NoMatch:
    """A VAT/GST/tax registration number in `text`, compacted and upper-cased.

    Recognised: EU VAT numbers with their country prefix (Malta's "MT1234-5678"
    included, with "MI"/"M1" read as "MT"), Malaysian GST (12 digits) and SST
    (W10-1808-32000112) numbers, Indian GSTINs, Australian ABNs, Canadian GST/HST numbers, Norwegian
    MVA and Swiss CHE numbers, Maltese EXO numbers, and otherwise any
    number of 6+ digits announced by a VAT/GST/TAX/TIN keyword ("generic").
    """
    if not isinstance(text, str) or not text.strip():
        return _no("vat", text, "empty text")
    try:
        upper = text.upper()
        for eu in _EU_VAT.finditer(upper):
            cc = eu.group("cc").upper()
            cc = "MT" if cc in {"MI", "M1"} else cc
            fmt = EU_VAT_FORMATS[cc]
            body_raw = _compact(eu.group("body"))
            # The body regex is greedy; keep the longest prefix that fits the country format.
            for end in range(len(body_raw), 1, -1):
                body = body_raw[:end]
                if re.fullmatch(fmt, body) or re.fullmatch(fmt, fix_digits(body)):
                    body = body if re.fullmatch(fmt, body) else fix_digits(body)
                    has_keyword = bool(_VAT_KEYWORD.search(upper[: eu.start()] + " "))
                    # A bare "GB123456789" could be anything; need a digit-rich body or a keyword.
                    if not has_keyword and sum(c.isdigit() for c in body) < 8:
                        break
                    checksum = malta_vat_checksum_ok(body) if cc == "MT" else None
                    return ParsedVat(cc + body, cc, "eu_vat", checksum, eu.span())
        # Grouped digits without the "ABN" label are an ABN only on an Australian document and
        # only if their check digits say so (elsewhere "12 345 678 901" may be anything).
        for rx in (_AU_ABN_AFTER_KEYWORD, _AU_ABN_GROUPED) if (country or "").upper() == "AU" else (_AU_ABN_AFTER_KEYWORD,):
            m = rx.search(upper)
            digits = _compact(m.group(1)) if m else ""
            if m and len(digits) == 11 and (rx is _AU_ABN_AFTER_KEYWORD or abn_checksum_ok(digits)):
                return ParsedVat(digits, "AU", "au_abn", abn_checksum_ok(digits), m.span(1))
        m = _CA_BN.search(upper)
        if m:
            return ParsedVat(m.group(1) + "RT" + m.group(2), "CA", "ca_bn", None, m.span())
        m = _NO_MVA.search(upper)
        if m:
            digits = _compact(m.group(1))
            return ParsedVat("NO" + digits + "MVA", "NO", "no_mva", mod11_checksum_ok(digits, NO_ORGNR_WEIGHTS), m.span())
        m = _CH_UID.search(upper)
        if m:
            digits = m.group(1) + m.group(2) + m.group(3)
            return ParsedVat("CHE" + digits, "CH", "ch_uid", mod11_checksum_ok(digits, CH_UID_WEIGHTS), m.span())
        m = _IN_GSTIN.search(upper)
        if m:
            return ParsedVat(m.group(1), "IN", "in_gstin", gstin_checksum_ok(m.group(1)), m.span(1))
        m = _MT_EXO.search(upper)
        if m:
            return ParsedVat("EXO" + m.group(1), "MT", "mt_exo", None, m.span())
        m = _MY_SST.search(upper)
        if m and ("SST" in upper or "TAX" in upper or "REG" in upper or (country or "").upper() == "MY"):
            return ParsedVat(_compact(m.group(1)), "MY", "my_sst", None, m.span(1))
        kw = _VAT_KEYWORD.search(upper)
        fixed = fix_digits(upper)
        if kw or (country or "").upper() == "MY":
            m = _MY_GST.search(fixed, kw.end() if kw else 0)
            if m and ("GST" in upper or (country or "").upper() == "MY"):
                return ParsedVat(_compact(m.group(1)), "MY", "my_gst", None, m.span(1))
        if kw:
            # With letters read for digits repaired ("0O1234567"), except a number that starts
            # with letters and is digits after them, kept as printed ("B25139073", a Spanish NIF,
            # whose B the repair would turn into an 8).
            m = _GENERIC_TAX_ID.search(upper, kw.end())
            if not (m and _LETTERS_THEN_DIGITS.fullmatch(m.group(1))):
                m = _GENERIC_TAX_ID.search(fixed, kw.end())
            if m:
                value = _compact(m.group(1))
                # A word inside the run ("1234 Kontonr. 0012345678") is two numbers, not one id.
                if sum(c.isdigit() for c in value) >= 6 and not re.search(r"[A-Z]{4,}", value):
                    return ParsedVat(value, (country or "").upper() or None, "generic", None, m.span(1))
    except Exception as exc:  # pragma: no cover
        return _no("vat", text, f"internal error: {exc!r}")
    return _no("vat", text, "no EU VAT, GST/SST or keyword-announced tax number")
