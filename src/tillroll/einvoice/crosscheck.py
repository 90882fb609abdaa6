"""Compare what the printed page says with what the embedded XML says, field by field.

A Factur-X PDF is two documents in one file: the picture a person reads and the XML a
machine books. They should agree; when a generator is broken or somebody edited one
of them, they do not, and nobody notices. Every field that both the page extraction
and the XML yielded is compared (amounts as decimals, dates as ISO dates, ids without
spaces and punctuation, names and addresses loosely, since a page may abbreviate), and
each comparison becomes a check `crosscheck_<field>` whose detail names both values.
Fields the page did not yield are not compared: a reader that missed a field is not a
disagreement between page and data.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from ..document import Check, Document, Field
from ..labels import ALL_FIELD_NAMES
from .model import AMOUNT_FIELDS

DATE_FIELDS = frozenset({"date", "due_date"})
ADDRESS_FIELDS = frozenset({"address", "buyer_address"})
# The ", CC" country code tillroll's address field ends with (model.Address.to_text); pages spell the country out.
_COUNTRY_TAIL = re.compile(r",\s*[A-Z]{2}$")
CODE_FIELDS = frozenset({"iban", "bic", "vat_info", "buyer_vat_info", "currency", "invoice_number", "purchase_order"})
# Similarity (rapidfuzz ratio, 0-100) above which two renderings of a name or address are the same text.
TEXT_AGREEMENT = 85.0
# Share of the shorter text's words that must occur in the longer one.
TOKEN_COVERAGE = 0.75
_NON_ALNUM = re.compile(r"[\W_]+", re.UNICODE)


def _decimal(value: str) -> Decimal | None:
    try:
        return Decimal(value.strip().replace(",", "."))
    except (InvalidOperation, AttributeError):
        return None


def _code(value: str) -> str:
    return _NON_ALNUM.sub("", value).upper()


def _text(value: str) -> str:
    return " ".join(_NON_ALNUM.sub(" ", value.casefold()).split())


def agree(name: str, page: str, xml: str, credit_note: bool = False) -> bool:
    """Whether the page's value and the XML's value of field `name` say the same thing."""
    if name in AMOUNT_FIELDS:
        a, b = _decimal(page), _decimal(xml)
        if a is None or b is None:
            return False
        # A credit note may print its amounts negative while the XML states them positive.
        return abs(a) == abs(b) if credit_note else a == b
    if name in DATE_FIELDS:
        return page.strip()[:10] == xml.strip()[:10]
    if name in CODE_FIELDS:
        return _code(page) == _code(xml)
    if name in ADDRESS_FIELDS:
        xml = _COUNTRY_TAIL.sub("", xml.strip())
        # A text layer may run words together ("88802Spielkreis"): compare without any separators first.
        ca, cb = _NON_ALNUM.sub("", page.casefold()), _NON_ALNUM.sub("", xml.casefold())
        if ca and cb and (ca in cb or cb in ca):
            return True
    ta, tb = _text(page), _text(xml)
    if not ta or not tb:
        return ta == tb
    if ta == tb or ta in tb or tb in ta:
        return True
    from rapidfuzz import fuzz

    if fuzz.ratio(ta, tb) >= TEXT_AGREEMENT:
        return True
    # A printed address often carries more (the company name, the country spelled out,
    # other separators): it agrees when nearly every word of the shorter one is in the other.
    wa, wb = set(ta.split()), set(tb.split())
    shorter, longer = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    return len(shorter & longer) >= TOKEN_COVERAGE * len(shorter)


def _shown(f: Field, name: str) -> str:
    value = f.value
    if name in AMOUNT_FIELDS and f.currency:
        value = f"{value} {f.currency}"
    if f.text and f.text.strip() != f.value.strip():
        return f"{f.text.strip()!r} (read as {value})"
    return repr(value) if name not in AMOUNT_FIELDS else value


def crosscheck(xml_doc: Document, page_doc: Document) -> list[Check]:
    """One check per field present on both sides, in schema field order."""
    checks = []
    credit = xml_doc.document_type == "credit_note"
    for name in ALL_FIELD_NAMES:
        x, p = xml_doc.fields.get(name), page_doc.fields.get(name)
        if x is None or p is None or not (p.value or "").strip() or not (x.value or "").strip():
            continue
        if name in ADDRESS_FIELDS and not _COUNTRY_TAIL.sub("", ", " + x.value.strip()).strip(", "):
            continue  # the XML gives only a country (MINIMUM profile): nothing to compare with a printed address
        # An id or a name is also compared as printed: a reader's normalisation (a VAT id cut to its
        # country's length) must not turn a page that shows exactly the XML's value into a disagreement.
        as_printed = name not in AMOUNT_FIELDS and name not in DATE_FIELDS and bool(p.text) and agree(name, p.text, x.value, credit)
        if as_printed or agree(name, p.value, x.value, credit):
            checks.append(Check(f"crosscheck_{name}", True, f"page and embedded XML agree: {_shown(x, name)}"))
        else:
            checks.append(Check(f"crosscheck_{name}", False, f"the page shows {_shown(p, name)}, the embedded XML says {_shown(x, name)}"))
    return checks


def crosscheck_tax_rows(xml_doc: Document, page_doc: Document) -> list[Check]:
    """One check per tax row the page printed with a rate: `crosscheck_tax_<rate>`.

    Rows are matched by rate; base and tax are compared where the page yielded them. A rate
    printed on the page that the XML does not have is a disagreement; an XML row the page did not
    yield is not compared, nor is anything when the XML has no breakdown at all.
    """
    checks = []
    xml_rows = {r: row for row in xml_doc.tax_breakdown if (r := _decimal(row.rate or "")) is not None}
    if not xml_rows:
        return []  # the XML states no VAT breakdown (MINIMUM profile): nothing to compare
    for row in page_doc.tax_breakdown:
        rate = _decimal(row.rate or "")
        if rate is None:
            continue
        name = f"crosscheck_tax_{rate.normalize():f}"
        match = xml_rows.get(rate)
        if match is None:
            listed = ", ".join(f"{r.normalize():f} %" for r in xml_rows) or "none"
            checks.append(Check(name, False, f"the page shows a {rate.normalize():f} % VAT row, the embedded XML has rates: {listed}"))
            continue
        wrong = []
        for part in ("base", "tax"):
            page_value, xml_value = getattr(row, part), getattr(match, part)
            a, b = _decimal(page_value or ""), _decimal(xml_value or "")
            if a is not None and b is not None and abs(a) != abs(b):
                wrong.append(f"{part} {page_value} on the page, {xml_value} in the embedded XML")
        detail = "; ".join(wrong) if wrong else f"page and embedded XML agree on the {rate.normalize():f} % row"
        checks.append(Check(name, not wrong, f"{rate.normalize():f} % VAT: {detail}" if wrong else detail))
    return checks


def failed_fields(doc: Document) -> list[str]:
    """Fields whose cross-check failed, for summaries and the review page."""
    prefix = "crosscheck_"
    return [c.name[len(prefix) :] for c in doc.checks if c.name.startswith(prefix) and not c.passed]
