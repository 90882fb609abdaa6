"""Reading an invoice: labelled values, parties, tables and totals -> `doc.fields` and friends.

Runs after the receipt assembler (see `stage.InvoiceStage`) and only on documents
decided to be invoices or credit notes: a receipt leaves this module untouched.
On an invoice, the receipt slots keep their invoice meaning (labels.py): shop_name,
address and vat_info are the seller's, date is the invoice date, subtotal the net
total, vat_included the tax total and total the gross total.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from decimal import Decimal

from ...document import Document, Field, Word
from ...normalize import SELF_EVIDENT_VAT_SCHEMES, ParsedPhone, parse_phone, parse_vat_number
from .doctype import detect_document_type
from .layout import Line, build_lines, find_hits, segments, words_of
from .lexicon import FIELD, PAYMENT_SENTENCE, Lexicon, load_lexicon
from .locale import InvoiceLocale, detect_locale, iban_ok, read_date
from .parties import Party, find_buyer, find_seller, repeated_lines
from .tables import find_item_table, find_tax_rows
from .values import BIC_SHAPE, SERIES_CODE, Value, iban_lengths, read_iban, read_labelled_values, sets_off

_IBAN_START = re.compile(r"^[A-Z]{2}\d{2}")
AMOUNT_SLOTS = {"net_total": "subtotal", "tax_total": "vat_included", "gross_total": "total", "amount_due": "amount_due"}


def _field(words: Sequence[Word], value: str, text: str | None = None, confidence: float = 0.85, currency: str | None = None) -> Field:
    text = text if text is not None else " ".join(w.text for w in words)
    return Field(text=text, value=value, confidence=round(confidence, 4), word_ids=[w.id for w in words], source="rule", currency=currency)


def prepare(doc: Document, lexicon: Lexicon | None = None) -> list[Line]:
    """The document's lines with their label hits."""
    lexicon = lexicon or load_lexicon()
    lines = build_lines(doc)
    for line in lines:
        page = doc.pages[line.page] if 0 <= line.page < len(doc.pages) else None
        line.hits = find_hits(line, lexicon, ocr=page is not None and page.text_source == "ocr")
    return lines


def classify(doc: Document, lines: Sequence[Line] | None = None) -> tuple[str, float, list[str]]:
    """Document type of `doc` (receipt / invoice / credit_note) with confidence and evidence."""
    return detect_document_type(lines if lines is not None else prepare(doc), doc.pages)


def read_invoice(doc: Document, document_type: str, lines: Sequence[Line] | None = None, country_hint: str | None = None) -> Document:
    """Fill `doc` with what the invoice prints. `document_type` is "invoice" or "credit_note"."""
    lexicon = load_lexicon()
    lines = list(lines) if lines is not None else prepare(doc, lexicon)
    doc.document_type = document_type
    loc = detect_locale(lines, lexicon, country_hint)
    _drop_foreign_short_labels(lines, loc.language)
    doc.meta["country"] = loc.country
    doc.meta["invoice_locale"] = {"language": loc.language, "country": loc.country, "decimal": loc.decimal, "day_first": loc.day_first}

    table = find_item_table(lines, loc, lexicon)
    table_lines = set(table.header_lines + table.row_lines + table.skipped_lines) if table else set()
    repeated = repeated_lines(lines)
    values = read_labelled_values(lines, loc, lexicon, skip=lambda hit: hit.line in table_lines)
    tax_rows = find_tax_rows(lines, loc, table_lines)

    fields: dict[str, Field] = {}
    # A tax amount on a line with a rate ("Moms 25 %  -91 926,83") is one row of the breakdown;
    # the tax total is on a line without one ("Total moms"), else the rows are added up below.
    rate_lines = {i for _, i in tax_rows} if len(tax_rows) >= 2 else set()
    seller_found = find_seller(lines, doc.pages, lexicon, repeated | table_lines)
    seller, sender_idx = seller_found if seller_found else (None, None)
    buyer = find_buyer(lines, doc.pages, lexicon, sender_idx, repeated | table_lines | (seller.lines if seller else set()), ends=repeated | table_lines)
    if seller and seller.name:
        fields["shop_name"] = _field(seller.name, " ".join(w.text for w in seller.name).strip(" ,;"), confidence=0.8)
        if seller.address:
            fields["address"] = _field(seller.address, " ".join(w.text for w in seller.address).strip(" ,;"), confidence=0.75)
    buyer_lines = buyer.lines if buyer else set()
    if buyer and buyer.name:
        fields["buyer_name"] = _field(buyer.name, " ".join(w.text for w in buyer.name).strip(" ,;"), confidence=0.8)
        if buyer.address:
            fields["buyer_address"] = _field(buyer.address, " ".join(w.text for w in buyer.address).strip(" ,;"), confidence=0.75)

    def best(name: str, avoid: set[int] = frozenset()) -> Value | None:  # type: ignore[assignment]
        for v in values.get(name, ()):
            if v.line not in avoid:
                return v
        return None

    def put(slot: str, v: Value | None, currency: str | None = None) -> None:
        if v is not None:
            fields[slot] = _field(v.words, v.value, v.text, v.confidence, currency)

    number = best("invoice_number")
    put("invoice_number", _with_series(number, lines) if number is not None else None)
    put("purchase_order", best("purchase_order"))
    put("payment_terms", best("payment_terms") or _payment_sentence(lines, table_lines))
    iban = best("iban") or _unlabelled_iban(lines, lexicon, table_lines)
    put("iban", iban)
    put("bic", best("bic") or (_unlabelled_bic(lines, iban) if iban is not None else None))
    due = best("due_date")
    if due is None:
        # "Pagamento entro il 23/12/2023.", "Gelieve te betalen vóór 07-04-2023.": the date
        # in a payment-terms sentence is the due date.
        sentence = _payment_sentence(lines, table_lines)
        if sentence is not None:
            due = _first_date([lines[sentence.line]], loc, used=set(), any_page=True)
    put("due_date", due)
    date = best("invoice_date")
    if date is None:
        date = _first_date(lines, loc, used={v.line for name in ("due_date", "delivery_date") for v in values.get(name, ())})
    put("date", date)
    if date is not None and date.ambiguous:
        doc.meta["date_order_ambiguous"] = True

    buyer_vat = best("buyer_vat_id")

    def in_buyer_block(v: Value) -> bool:
        return _in_block(v, buyer)

    seller_vats = [v for v in values.get("vat_id", ()) if not in_buyer_block(v) and (buyer_vat is None or v.value != buyer_vat.value)]
    if seller and seller.name:
        # A VAT id printed with the seller's name or in the seller's block ("ACME GmbH · ... · USt-IdNr.
        # DE..." in the footer) is the seller's before a bare one elsewhere (the buyer's, in the details).
        name = " ".join(w.text for w in seller.name)
        # Then a VAT id (USt-IdNr., BTW-nummer) before a national tax number (Steuernummer) beside it.
        seller_vats.sort(key=lambda v: (not (v.line in seller.lines or name in lines[v.line].text), _vat_scheme(v.value) not in SELF_EVIDENT_VAT_SCHEMES))
    seller_vat = seller_vats[0] if seller_vats else None
    if seller_vat is None:
        seller_vat = _unlabelled_vat(
            lines, loc, {buyer_vat.line} if buyer_vat else set(), exclude=buyer_vat.value if buyer_vat else None, keep=lambda v: not in_buyer_block(v)
        )
    put("vat_info", seller_vat)
    if buyer_vat is None:
        # A VAT id under a plain VAT label inside the buyer's block ("P.IVA ..." under the
        # customer's address, "NIP: ..." under "Nabywca") is the buyer's.
        buyer_vat = next((v for v in values.get("vat_id", ()) if in_buyer_block(v) and (seller_vat is None or v.value != seller_vat.value)), None)
    if buyer_vat is None and buyer_lines:
        buyer_vat = _unlabelled_vat([lines[i] for i in sorted(buyer_lines)], loc, set(), exclude=seller_vat.value if seller_vat else None, keep=in_buyer_block)
    if buyer_vat is None and seller_vat is not None:
        # Two different VAT ids under the same bare label ("NIP:" in the letterhead and again
        # in the invoice's details): the one that is not the seller's is the buyer's.
        buyer_vat = next((v for v in values.get("vat_id", ()) if v.value != seller_vat.value and _vat_scheme(v.value) == "eu_vat"), None)
    put("buyer_vat_info", buyer_vat)

    for name, slot in AMOUNT_SLOTS.items():
        put(slot, best(name, avoid=rate_lines) if name == "tax_total" else best(name), loc.currency)
    if "vat_included" not in fields and tax_rows:
        words = [doc.word(i) for row, _ in tax_rows for i in row.word_ids]
        total_tax = sum((Decimal(row.tax) for row, _ in tax_rows if row.tax), Decimal(0))
        fields["vat_included"] = _field(words, _fmt(total_tax), confidence=0.6, currency=loc.currency)
    prepaid = best("prepaid")
    if "total" not in fields and "amount_due" in fields and prepaid is None:
        # Only the amount due is printed and nothing was prepaid: it is the gross total.
        due_f = fields["amount_due"]
        fields["total"] = Field(due_f.text, due_f.value, round(due_f.confidence * 0.9, 4), list(due_f.word_ids), "rule", due_f.currency)
    if "amount_due" not in fields and "total" in fields and prepaid is None:
        # Nothing was paid in advance: the gross total is what is due.
        gross = fields["total"]
        fields["amount_due"] = Field(gross.text, gross.value, round(gross.confidence * 0.9, 4), list(gross.word_ids), "rule", gross.currency)
    if loc.currency:
        cur_words = [w for w in doc.words if w.text.strip() in {loc.currency, "€", "£", "$"}][:1]
        fields["currency"] = _field(cur_words, loc.currency, cur_words[0].text if cur_words else loc.currency, 0.9 if cur_words else 0.6)

    # A labelled phone outside the buyer's block is the seller's ("Tel. 040 2753958"): its
    # label says what it is where the receipt assembler has only a run of digits to go on.
    # The first one printed: the letterhead comes before a footer's switchboard numbers.
    phones = [v for v in values.get("telephone", ()) if not in_buyer_block(v)]
    put("telephone", min(phones, key=lambda v: v.line) if phones else None)
    taken = {i for f in fields.values() for i in f.word_ids}
    if "telephone" in doc.fields and "telephone" not in fields and not taken & set(doc.fields["telephone"].word_ids):
        # The receipt assembler's phone stands only if its words are not already another
        # value of the invoice: the digits of "BL-2024-0193" are its number, not a phone.
        tel = doc.fields["telephone"]
        if loc.country and not tel.value.startswith("+"):
            # The receipt assembler had no country; the invoice's (VAT id, IBAN) makes it E.164.
            phone = parse_phone(tel.text, loc.country)
            if isinstance(phone, ParsedPhone) and phone.e164:
                tel = Field(tel.text, phone.value, tel.confidence, list(tel.word_ids), tel.source, tel.currency)
        fields["telephone"] = tel
    doc.fields = fields
    doc.tax_breakdown = [row for row, _ in tax_rows]
    if table is not None and table.items:
        doc.line_items = table.items
    if prepaid is not None:
        doc.meta["prepaid"] = prepaid.value
    return doc


def _payment_sentence(lines: Sequence[Line], skip: set[int]) -> Value | None:
    """A line that opens with a payment-terms phrase ("Zahlbar innerhalb 14 Tagen ohne Abzug."): its block is the value."""
    for line in lines:
        if line.index in skip:
            continue
        for hit in line.hits:
            # "Payment due: 08/04/2025" is a labelled date, not a sentence: no colon after the phrase.
            if hit.start == 0 and any(m.kind == PAYMENT_SENTENCE for m in hit.meanings) and not sets_off(line, hit):
                a, b = segments(line)[0]
                words = words_of(line.pieces[a:b])
                text = " ".join(p.text for p in line.pieces[a:b])
                return Value("payment_terms", " ".join(text.split()), text, words, 0.7, 0, line.index, [])
    return None


# Label phrases this short are ordinary words or abbreviations in other languages: the
# Lithuanian bank-account mark "a. s." is the "AS" of every Norwegian company name, English
# "PST" (a Canadian tax) the Estonian "pst" (puiestee, avenue). On a document in another
# language they label nothing; longer phrases ("IBAN", "Rechnungsnummer") keep counting.
FOREIGN_LABEL_MAX_CHARS = 3


def _drop_foreign_short_labels(lines: Sequence[Line], language: str | None) -> None:
    """Remove from `lines` the hits of short labels that only another language's table knows."""
    if language is None:
        return
    for line in lines:
        line.hits = [
            h
            for h in line.hits
            if any(m.language == language for m in h.meanings) or len("".join(p.key for p in line.pieces[h.start : h.end])) > FOREIGN_LABEL_MAX_CHARS
        ]


def _with_series(number: Value, lines: Sequence[Line]) -> Value:
    """The invoice number with the series printed before it ("Serija IV Nr. 0042" -> "IV 0042"):
    in the Baltic states, Portugal and Spain the series is part of the invoice's identifier."""
    line = lines[number.line]
    if not number.label_words:
        return number
    label_start = next((i for i, p in enumerate(line.pieces) if p.word is number.label_words[0]), None)
    for hit in line.hits:
        if "invoice_series" not in hit.names(FIELD) or label_start is None:
            continue
        between = line.pieces[hit.end : label_start]
        if len(between) == 1 and SERIES_CODE.match(between[0].text):
            series = between[0]
            return dataclasses.replace(number, value=f"{series.text} {number.value}", text=f"{series.text} {number.text}", words=[series.word, *number.words])
    return number


def _unlabelled_iban(lines: Sequence[Line], lexicon: Lexicon, skip: set[int]) -> Value | None:
    """The first IBAN printed without a label ("... kontole EE89 1010 2200 3479 6011, viitenumber ...",
    "Konta Nr.: LV41HABA..."): its length and check digits say what it is, so no label is needed."""
    lengths = iban_lengths(lexicon)
    for line in lines:
        if line.index in skip:
            continue
        for i, piece in enumerate(line.pieces):
            if not _IBAN_START.match(piece.text):
                continue
            got = read_iban(line.pieces[i:], lexicon)
            if got is not None and iban_ok(got[0], lengths):
                return Value("iban", got[0], got[2], words_of(got[1]), 0.7, 0, line.index, [])
    return None


def _unlabelled_bic(lines: Sequence[Line], iban: Value, reach: int = 2) -> Value | None:
    """A BIC printed near the IBAN without a label ("AS SEB banka, UNLALV2X"): a bank code whose
    country letters are the IBAN's, within `reach` lines of it on its page."""
    country = iban.value[:2]
    page = lines[iban.line].page
    for line in lines[max(0, iban.line - reach) : iban.line + reach + 1]:
        if line.page != page:
            continue
        for piece in line.pieces:
            code = piece.text.strip(".,;:()[]")
            if BIC_SHAPE.match(code) and code[4:6] == country and code not in iban.text:
                return Value("bic", code, piece.text, [piece.word], 0.7, 0, line.index, [])
    return None


def _starts_an_iban(text: str) -> bool:
    """Whether `text` opens with a valid IBAN (spaces and punctuation between its groups allowed)."""
    compact = re.sub(r"[^A-Z0-9]", "", text.upper())
    length = iban_lengths(load_lexicon()).get(compact[:2])
    return bool(length) and iban_ok(compact[:length])


def _vat_scheme(value: str) -> str:
    """The scheme `parse_vat_number` reads `value` as ("eu_vat", "in_gstin", "generic"...), "" if none."""
    vat = parse_vat_number(value)
    return str(getattr(vat, "scheme", "")) if vat else ""


def _fmt(value: Decimal) -> str:
    from ...normalize import format_amount

    return format_amount(value)


def _first_date(lines: Sequence[Line], loc: InvoiceLocale, used: set[int], any_page: bool = False) -> Value | None:
    """The first date on page 1 (or on any page) outside `used` lines: the invoice date when no label names it."""
    for line in lines:
        if line.page != 0 and not any_page:
            break
        if line.index in used:
            continue
        d = read_date(line.text, loc)
        if d is None:
            continue
        pos, words = 0, []
        for p in line.pieces:
            s, e = pos, pos + len(p.text)
            if s < d.span[1] and d.span[0] < e:
                words.append(p.word)
            pos = e + 1
        return Value("invoice_date", d.iso, line.text[d.span[0] : d.span[1]], words, 0.6, 0, line.index, [], d.ambiguous)
    return None


def _in_block(v: Value, party: Party | None) -> bool:
    """Whether value `v` is printed inside `party`'s block: on one of its lines and in its column.

    Two columns often share lines ("VAT Reg No: GB ..." under the seller on the left, the
    buyer's town on the right), so being on a line of the block is not enough.
    """
    if party is None or v.line not in party.lines:
        return False
    block = party.name + party.address
    if not block or not v.words:
        return True
    tolerance = max(w.y1 - w.y0 for w in block)
    centre = sum((w.x0 + w.x1) / 2 for w in v.words) / len(v.words)
    return min(w.x0 for w in block) - tolerance <= centre <= max(w.x1 for w in block) + tolerance


def _unlabelled_vat(
    lines: Sequence[Line], loc: InvoiceLocale, avoid: set[int], exclude: str | None, keep: Callable[[Value], bool] = lambda v: True
) -> Value | None:
    """The first VAT id printed without a label whose format says what it is (EU VAT, GSTIN), passing `keep`."""
    for line in lines:
        if line.index in avoid:
            continue
        v = parse_vat_number(line.text, loc.country)
        if not v or v.scheme not in SELF_EVIDENT_VAT_SCHEMES or v.value == exclude:
            continue
        if _starts_an_iban(line.text[v.span[0] :]):
            continue  # "LT89 7044 0600 0123 4567" has an LT VAT number's shape: the check digits say IBAN
        pos, words = 0, []
        for p in line.pieces:
            s, e = pos, pos + len(p.text)
            if s < v.span[1] and v.span[0] < e:
                words.append(p.word)
            pos = e + 1
        found = Value("vat_id", v.value, " ".join(w.text for w in words), words, 0.7, 0, line.index, [])
        if keep(found):
            return found
    return None


__all__ = ["classify", "prepare", "read_invoice", "Party"]
