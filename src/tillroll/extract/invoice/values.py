"""The labelled-value reader: `Rechnungsnummer: 471102`, `Date d'échéance 13/12/2017`, `IBAN DE88 ...`.

A label found by the lexicon announces a value to its right on the same line
(within its column block, or in the next block when the label stands alone) or,
failing that, directly below it on the next line. What counts as a value
depends on the field: a code with a digit, a date, a VAT id, an IBAN with valid
check digits, a BIC, money, or free text (payment terms).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ...document import Word
from ...normalize import ParsedPhone, parse_phone, parse_vat_number
from .layout import Hit, Line, Piece, overlap, segment_of, segments, words_of
from .lexicon import DOCTYPE, FIELD, TAX_COLUMN, Lexicon, norm
from .locale import IBAN_SHAPE, WHOLE_UNIT_CURRENCIES, InvoiceLocale, find_money, iban_ok, read_date

# Fields whose value is money, and the rest, in the order a label with several
# meanings tries them (an id or a date is more specific than an amount).
AMOUNT_FIELDS = ("net_total", "tax_total", "gross_total", "amount_due", "prepaid", "carried_forward")
CODE_FIELDS = ("invoice_number", "purchase_order", "customer_number")
DATE_FIELDS = ("invoice_date", "due_date", "delivery_date")
# Fields whose printed value has digits: their label words without a colon or number after them are words.
# "company_id" (a registration number: "Registrikood", "Kennitala") is read into no field, but
# like the others it labels only a value printed after it.
VALUED_FIELDS = frozenset(AMOUNT_FIELDS + CODE_FIELDS + DATE_FIELDS + ("iban", "bic", "vat_id", "buyer_vat_id", "telephone", "company_id"))
TRY_ORDER = ("buyer_vat_id", "vat_id", "iban", "bic", "telephone") + DATE_FIELDS + CODE_FIELDS + ("payment_terms",) + AMOUNT_FIELDS
# Words between a label and its value that belong to neither ("Rechnung Nr. 42", "Invoice # 7").
_FILLER = frozenset({"", "nr", "no", "n", "nro", "number", "nummer", "numero", "num", "nb", "of", "vom", "du", "de"})
# Marks between a document title and its number: "Rechnung # 42", "Invoice No. 7", "Facture N° 3".
_NUMBER_MARKS = frozenset({"#", "nr", "no", "n°", "nº", "no°", "num", "nummer", "number", "numéro", "numero", "nro", "nr°", "č", "št"})
# A code ending in digits with letters glued after them: "501vom".
_GLUED_TAIL = re.compile(r"^(.*\d)([^\W\d_]{2,})$")
_TYPE_CODE = re.compile(r"^\(\d{3}\)$")
SERIES_CODE = re.compile(r"^[A-Z]{1,4}$")  # an invoice series printed before its number ("FT", "IV")
BIC_SHAPE = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")


def _national_vat_number(text: str, loc: InvoiceLocale, lexicon: Lexicon) -> str | None:
    """`text`, printed right after a VAT label, as a VAT number of the document's country when
    that country's national format (countries.yaml `vat`, for countries outside the EU scheme)
    takes it: Iceland's "VSK númer: 98765" has no keyword or prefix the parser could go by."""
    pattern = lexicon.countries.get(loc.country or "", {}).get("vat")
    compact = re.sub(r"[\s\-./]", "", text).upper()
    if pattern and compact.startswith(loc.country or "\0"):
        compact = compact[2:]
    return compact if pattern and re.fullmatch(str(pattern), compact) else None


# Fields whose values open with a country's letters, and how such a value starts.
_PREFIXED_CODE_FIELDS = frozenset({"vat_id", "buyer_vat_id", "iban"})
_COUNTRY_CODE_START = re.compile(r"^[A-Z]{2,3}[-\s]?\d{2}")
# A number of days (or weeks) as short text: what a due-date label announces when it gives a period.
_PERIOD = re.compile(r"^\D{0,12}\d{1,3}\b\D{1,30}$")
_HAS_DECIMALS = re.compile(r"\d[.,]\d{2}(?!\d)")


@dataclass
class Value:
    field: str
    value: str
    text: str
    words: list[Word]
    confidence: float
    strength: int  # how specific the label was (longer, field-specific labels beat title words)
    line: int
    label_words: list[Word]
    ambiguous: bool = False  # a date whose day/month order nothing on the document settled


def label_hits(line: Line, a: int, b: int) -> list[Hit]:
    """The label hits of the block `line.pieces[a:b]` that are labels there.

    A word of the tables for a field whose value has digits (an amount, a date, a
    number) labels something only when a colon or a number follows it, or when it ends
    its block with another block beside it (the value's column): "Transport" and "Data"
    in "Andersson Transport Aktiebolag", "Data Norrland HB", "du" in "place du Marché"
    are words of names and streets.
    """
    out = []
    for h in line.hits:
        if not a <= h.start < b or not (h.names(FIELD) or h.names(DOCTYPE)):
            continue
        if not h.names(DOCTYPE) and all(n in VALUED_FIELDS for n in h.names(FIELD)):
            after = line.pieces[h.end].text if h.end < b else ""
            # The colon may close a longer wording of the label ("Date of supply:").
            colon = False
            for p in line.pieces[h.end - 1 : min(b, h.end + 2)]:
                if p.text.endswith(":") or p.text.startswith(":"):
                    colon = True
                if not any(ch.isalnum() for ch in p.text):
                    break
            number = bool(re.match(r"[-–(+#№]?\s?\d", after))
            if not number and set(h.names(FIELD)) & _PREFIXED_CODE_FIELDS:
                # VAT ids and IBANs open with their country's letters ("PVM kodas LT100400013").
                number = bool(_COUNTRY_CODE_START.match(after))
            if not number and after.strip(":.").lower() in _NUMBER_MARKS and h.end + 1 < b:
                number = line.pieces[h.end + 1].text[:1].isdigit()  # "HST Registration # 812345678"
            column = h.end == b and b < len(line.pieces)
            if not (colon or number or column):
                continue
        out.append(h)
    return out


def _region(lines: Sequence[Line], hit: Hit, same_line_only: bool = False, numeric: bool = False, free_text: bool = False) -> tuple[list[Piece], bool]:
    """Pieces where the value of `hit` is printed (right of the label, else the block below it), and whether below.

    `numeric`: the value has digits, so a label's trailing words without any ("Netto bedrag")
    or only a rate ("BTW 21%") are no value and the next block of the line is added.
    `free_text`: the value is a sentence, so a block opening with a table word ("Terms   Net 30")
    is its value unless that word is set off by a colon as a label of its own.
    """
    line = lines[hit.line]

    def labels_block(start: int) -> bool:
        return any(h.start == start and h.names(FIELD) and (not free_text or _colon_after(line, h)) for h in line.hits)

    a, b = segment_of(line, hit.start)
    rest = line.pieces[hit.end : b]
    if rest and all(p.key in _FILLER or p.text.strip(":.").lower() in _NUMBER_MARKS for p in rest):
        rest = []  # "Factura nº" over its value: the number mark is still the label
    if numeric and rest and all("%" in p.text or not any(ch.isdigit() for ch in p.text) for p in rest):
        segs = [s for s in segments(line) if s[0] >= b]
        if segs and not labels_block(segs[0][0]):
            rest = rest + line.pieces[segs[0][0] : segs[0][1]]
    if not [p for p in rest if p.key]:
        segs = [s for s in segments(line) if s[0] >= b]
        rest = line.pieces[segs[0][0] : segs[0][1]] if segs else []
        # A row of labels ("Invoice #   Date:   Currency:") with the values printed below: the
        # next block is another label, known to the tables or ending in a colon without digits.
        if segs and (labels_block(segs[0][0]) or _looks_like_label(rest)):
            rest = []
    if [p for p in rest if p.key] or same_line_only:
        return rest, False
    # Below: the next line on the same page, close under the label, overlapping its x-range.
    for nxt in lines[hit.line + 1 : hit.line + 3]:
        if nxt.page != line.page or nxt.y0 - line.y1 > 1.6 * line.height:
            break
        for s, e in segments(nxt):
            seg = nxt.pieces[s:e]
            if overlap(seg[0].x0, seg[-1].x1, hit.x0 - line.height, max(hit.x1, hit.x0 + 6 * line.height)) > 0:
                return seg, True
    if hit.end == len(line.pieces):
        # The label ends a line of running text ("... · IBAN: DE88 ... · BIC" / "COBADEFFXXX"):
        # its value opens the next line, where the paragraph wraps.
        wrapped = wrapped_continuation(lines, hit.line)
        if wrapped:
            return wrapped, True
    return [], False


def wrapped_continuation(lines: Sequence[Line], index: int) -> list[Piece]:
    """The first block of the line after `index` when that line continues it as running text.

    A paragraph (a footer of parts, a sentence) wraps onto a line directly below, within
    its width (left-aligned or centred); another column or a block further down does not.
    """
    if index + 1 >= len(lines):
        return []
    line, nxt = lines[index], lines[index + 1]
    if nxt.page != line.page or not nxt.pieces or nxt.y0 - line.y1 > 0.8 * line.height:
        return []
    if nxt.pieces[0].x0 < line.pieces[0].x0 - line.height or nxt.pieces[-1].x1 > line.pieces[-1].x1 + line.height:
        return []
    a, b = segments(nxt)[0]
    return list(nxt.pieces[a:b])


def _looks_like_label(pieces: Sequence[Piece]) -> bool:
    text = " ".join(p.text for p in pieces)
    return text.endswith(":") and not any(ch.isdigit() for ch in text)


def _joined(pieces: Sequence[Piece]) -> tuple[str, list[tuple[int, int]]]:
    text, spans = "", []
    for p in pieces:
        if text:
            text += " "
        spans.append((len(text), len(text) + len(p.text)))
        text += p.text
    return text, spans


def _pieces_in(pieces: Sequence[Piece], spans: Sequence[tuple[int, int]], span: tuple[int, int]) -> list[Piece]:
    return [p for p, (s, e) in zip(pieces, spans) if s < span[1] and span[0] < e]


def _colon_after(line: Line, hit: Hit) -> bool:
    """Whether the label `hit` ends in a colon ("Zahlungsbedingungen: ...", "Conditions de paiement : ...")."""
    if line.pieces[hit.end - 1].text.endswith(":"):
        return True
    return hit.end < len(line.pieces) and line.pieces[hit.end].text.startswith(":")


def sets_off(line: Line, hit: Hit) -> bool:
    """Whether the label `hit` is set off from what follows it on its line: by a colon, or by a gap
    of half the line's height, twice a word space (a column of labels: "Conditions de paiement
    Paiement immédiat"). A label running on at a word space opens a sentence."""
    if _colon_after(line, hit) or hit.end >= len(line.pieces):
        return True
    return line.pieces[hit.end].x0 - line.pieces[hit.end - 1].x1 > 0.5 * line.height


def _until_next_label(pieces: Sequence[Piece], lines: Sequence[Line], hit: Hit, free_text: bool = False) -> list[Piece]:
    """Cut the value region where another field label starts.

    `free_text`: the value is a sentence ("10 days net", "Zahlbar ohne Abzug"), where words of
    the tables ("net", "Abzug") are words, not labels: only a label set off by a colon ends it.
    """
    line = lines[hit.line]
    starts = {
        id(line.pieces[h.start]) for h in line.hits if h is not hit and h.start >= hit.end and h.names(FIELD) and (not free_text or _colon_after(line, h))
    }
    out = []
    for p in pieces:
        if id(p) in starts:
            break
        out.append(p)
    return out


def _code(pieces: Sequence[Piece]) -> list[Piece]:
    """The code a label announces: its first word with a digit, with a series prefix printed
    apart ("FV 8646/2025", "FK 4369/2023": up to four capitals, a word space before the number)."""
    for i, p in enumerate(pieces):
        if p.key in _FILLER or _TYPE_CODE.match(p.text):
            continue
        if any(ch.isdigit() for ch in p.text) and len(p.text.strip(".,;:")) >= 1:
            return [p]
        nxt = pieces[i + 1] if i + 1 < len(pieces) else None
        if SERIES_CODE.match(p.text) and nxt is not None and nxt.text[:1].isdigit() and nxt.x0 - p.x1 < (p.x1 - p.x0):
            return [p, nxt]
        return []
    return []


def _is_date(code: str, loc: InvoiceLocale) -> bool:
    """Whether a code is a date: with its month in words, or day, month and year each set off
    ("06.03.2018", "2018-03-06"); an invoice number "1912/2024" is not the 19th of December."""
    d = read_date(code, loc)
    return d is not None and (d.textual_month or len(re.findall(r"[./-]", code[d.span[0] : d.span[1]])) >= 2)


def _unglue(code: str, lexicon: Lexicon) -> str:
    """A code without a label word OCR glued to its end ("RE-20140522/501vom" -> "RE-20140522/501")."""
    m = _GLUED_TAIL.match(code)
    if m is None:
        return code
    tail = norm(m.group(2))
    if tail in _FILLER or any(x.kind == FIELD and x.name in DATE_FIELDS for x in lexicon.lookup(tail)):
        return m.group(1)
    return code


# A number mark glued before a code's first digit: "nº2025/6365", "Nr.4711", "#42".
_GLUED_HEAD = re.compile(r"^(#|[^\W\d_]{1,7}[°º.]?)(\d.*)$")


def _unglue_head(code: str) -> str:
    """A code without the number mark OCR (or the printer) glued before it ("nº2025/6365" -> "2025/6365")."""
    m = _GLUED_HEAD.match(code)
    if m is not None and m.group(1).lower().rstrip(".") in _NUMBER_MARKS:
        return m.group(2)
    return code


def _bic(region: Sequence[Piece]) -> tuple[str, list[Piece], str] | None:
    """A BIC starting at one of the region's first three words, whole or cut into pieces.

    OCR cuts a BIC where the print leaves a little air: "INGBPLPW" "XXX", "PASCITM" "M"
    "XX" "X". Words of letters and digits are joined while the code stays within 11
    characters. A code of several words is kept at 11 characters only when its branch is
    "XXX" (SWIFT's code for the primary office) or a piece of one or two characters shows
    the cut was OCR's; otherwise the 8-character code it starts with ("COBADEFF" before
    "EUR" is not "COBADEFFEUR").
    """
    for start in range(min(3, len(region))):
        joined, used = "", []
        found: tuple[str, list[Piece], str] | None = None
        for p in region[start:]:
            t = p.text.strip(".,;:()[]").upper()  # "(IBAN NO93 ..., BIC DNBANOKK)"
            if not t.isalnum() or not t.isascii() or len(joined) + len(t) > 11:
                break
            joined += t
            used.append(p)
            if not (BIC_SHAPE.match(joined) and joined[4:6].isalpha()):
                continue
            fragment = any(len(q.text.strip(".,;:")) < 3 for q in used)
            if len(used) == 1 or len(joined) == 8 or joined.endswith("XXX") or fragment:
                found = (joined, list(used), " ".join(q.text for q in used))
        if found is not None:
            return found
    return None


def read_value(field: str, hit: Hit, lines: Sequence[Line], loc: InvoiceLocale, lexicon: Lexicon) -> Value | None:
    """The value of `field` announced by `hit`, or None when nothing fitting is printed there."""
    label_pieces = lines[hit.line].pieces[hit.start : hit.end]
    region, below = _region(lines, hit, numeric=field != "payment_terms", free_text=field == "payment_terms")
    region = _until_next_label(region, lines, hit, free_text=field == "payment_terms")
    if not region:
        return None
    text, spans = _joined(region)
    out: tuple[str, list[Piece], str] | None = None  # value, pieces, printed text
    ambiguous = False
    if field in CODE_FIELDS:
        got = _code(region)
        if got and not _is_date(got[-1].text, loc):
            parts = [p.text for p in got[:-1]] + [_unglue(got[-1].text.strip(".,;:"), lexicon)]
            parts[0] = _unglue_head(parts[0])
            value = " ".join(parts)
            out = (value, got, " ".join(p.text for p in got))
    elif field in DATE_FIELDS:
        d = read_date(text, loc)
        if d is not None:
            ps = _pieces_in(region, spans, d.span)
            out = (d.iso, ps, text[d.span[0] : d.span[1]])
            ambiguous = d.ambiguous
    elif field in ("vat_id", "buyer_vat_id"):
        label = " ".join(p.text for p in label_pieces)
        v = parse_vat_number(label + " " + text, loc.country)
        if v and v.span[0] >= len(label) + 1:
            shift = len(label) + 1
            span = (v.span[0] - shift, v.span[1] - shift)
            ps = _pieces_in(region, spans, span)
            if ps:
                out = (v.value, ps, " ".join(p.text for p in ps))
        elif not v and region:
            national = _national_vat_number(region[0].text.strip(".,;:"), loc, lexicon)
            if national is not None:
                out = (national, [region[0]], region[0].text)
    elif field == "iban":
        out = read_iban(region, lexicon)
        compact = re.sub(r"[^A-Za-z0-9]", "", "".join(p.text for p in region)).upper()
        want = iban_lengths(lexicon).get(compact[:2], 0)
        if len(compact) < want and region[-1] is lines[hit.line].pieces[-1]:
            # Printed in groups of four up to the end of a line of running text, a shorter IBAN
            # than its country's goes on at the start of the next line ("IBAN: ES92 4720 8065
            # 3250" / "5758 4545 · BIC ..."): only groups of four, and only if they complete it.
            more: list[Piece] = []
            for p in wrapped_continuation(lines, hit.line):
                if not re.fullmatch(r"[A-Za-z0-9]{1,4}", p.text):
                    break
                more.append(p)
            longer = read_iban(list(region) + more, lexicon) if more else None
            if longer is not None and iban_ok(longer[0], iban_lengths(lexicon)):
                out = longer
    elif field == "bic":
        out = _bic(region)
    elif field == "telephone":
        # "Tel. 040 2753958" -> E.164 through the invoice's country ("+49402753958").
        phone = parse_phone(text, loc.country)
        if isinstance(phone, ParsedPhone):
            ps = _pieces_in(region, spans, phone.span)
            if ps:
                out = (phone.value, ps, " ".join(p.text for p in ps))
    elif field == "payment_terms":
        terms = list(region)
        while terms and not terms[0].key:
            terms.pop(0)  # the colon of "Conditions de paiement : 30 jours"
        if not below and not sets_off(lines[hit.line], hit):
            # A label that runs on into its line without a colon opens a sentence, which is the
            # value as a whole ("Règlement par virement avant le 12/01/2025.", "Termin płatności
            # 14 dni od daty wystawienia."), as the label tables' payment sentences are.
            terms = list(label_pieces) + terms
        printed_terms = " ".join(p.text for p in terms)
        if any(ch.isalpha() for ch in printed_terms):
            out = (" ".join(printed_terms.split()), terms, printed_terms)
    elif field in AMOUNT_FIELDS:
        for m in find_money(text, loc.decimal):
            if m.percent:
                continue
            printed = text[m.span[0] : m.span[1]]
            if not _HAS_DECIMALS.search(printed) and loc.currency not in WHOLE_UNIT_CURRENCIES:
                continue  # a count or a reference, not money (whole-unit currencies print no decimals)
            ps = _pieces_in(region, spans, m.span)
            out = (m.text, ps, printed)
            break
    if out is None:
        return None
    value, ps, printed = out
    own = [m for m in hit.meanings if m.kind == FIELD and m.name == field]
    # A label of the document's own language is surer than a look-alike from another
    # table (Dutch "nummer" inside German "Ihre Nummer"); a title followed by a number
    # mark ("Rechnung # RE-42", "Facture N° 7") is as sure as an invoice-number label.
    native = any(loc.language is None or m.language == loc.language for m in own)
    after = lines[hit.line].pieces[hit.end] if hit.end < len(lines[hit.line].pieces) else None
    titled = field == "invoice_number" and bool(hit.names(DOCTYPE)) and after is not None and after.text.strip(":.").lower() in _NUMBER_MARKS
    strong = bool(own) or titled
    strength = sum(len(p.key) for p in label_pieces) + (100 if native or titled else 60 if own else 0) - (50 if below else 0)
    if field in DATE_FIELDS and hit.start - segment_of(lines[hit.line], hit.start)[0] >= 2 and not _colon_after(lines[hit.line], hit):
        # A date word inside running text ("as per quote dated 17/05/2025", "Règlement par virement
        # avant le 13/06/2025") is weaker than a date label opening its block or set off by a colon.
        strength -= 80
    return Value(field, value, printed, words_of(ps), 0.9 if strong else 0.75, strength, hit.line, words_of(label_pieces), ambiguous)


def iban_lengths(lexicon: Lexicon) -> dict[str, int]:
    return {k: int(v["iban"]) for k, v in lexicon.countries.items() if "iban" in v}


def read_iban(region: Sequence[Piece], lexicon: Lexicon) -> tuple[str, list[Piece], str] | None:
    """The IBAN starting at the region's first word in its shape: (compact IBAN, its pieces, printed text)."""
    lengths = iban_lengths(lexicon)
    start = next((i for i, p in enumerate(region) if re.match(r"^[A-Z]{2}\d{2}", p.text.upper())), None)
    if start is None:
        return None
    compact, used = "", list[Piece]()
    for p in region[start:]:
        t = re.sub(r"[^A-Za-z0-9]", "", p.text).upper()
        if not t or (used and not t.isalnum()):
            break
        compact += t
        used.append(p)
        want = lengths.get(compact[:2])
        if want and len(compact) >= want:
            compact = compact[:want]
            break
        if len(compact) >= 34:
            break
    if not iban_ok(compact, lengths):
        # Printed after an IBAN label in the IBAN's shape, but its check digits (or length)
        # fail: read it as printed; the invoice checks flag it (checks.invoice_checks).
        if not IBAN_SHAPE.match(compact):
            return None
    return compact, used, " ".join(p.text for p in used)


def read_labelled_values(lines: Sequence[Line], loc: InvoiceLocale, lexicon: Lexicon, skip: Callable[[Hit], bool]) -> dict[str, list[Value]]:
    """Every field value a label announces, per field, best first (a label tries its meanings in TRY_ORDER)."""
    found: dict[str, list[Value]] = {}
    for line in lines:
        # The header of a VAT summary ("VAT | Net amount | VAT amount") labels columns, not values.
        tax_header = len([h for h in line.hits if h.names(TAX_COLUMN)]) >= 2
        for hit in line.hits:
            if skip(hit) or (tax_header and hit.names(TAX_COLUMN)):
                continue
            names = set(hit.names(FIELD))
            if hit.names(DOCTYPE) and (hit.start <= 1 or any(a == hit.start for a, _ in segments(line))):
                # "Rechnung Nr. 42", "Facture FA-2017-0010", also beside the letterhead's name.
                names.add("invoice_number")
            for name in TRY_ORDER:
                if name not in names:
                    continue
                v = read_value(name, hit, lines, loc, lexicon)
                if v is not None:
                    found.setdefault(name, []).append(v)
                    break
            else:
                if "due_date" in names:
                    # A due-date label followed by a period, not a date ("Betalingsfrist: 14 dager",
                    # "Zahlungsziel: 14 Tage netto", "Due: 30 days"), states the payment terms.
                    v = read_value("payment_terms", hit, lines, loc, lexicon)
                    if v is not None and _PERIOD.search(v.value) and read_date(v.value, loc) is None:
                        found.setdefault("payment_terms", []).append(v)
    for values in found.values():
        values.sort(key=lambda v: -v.strength)
    return found


def money_value(v: Value | None) -> Decimal | None:
    if v is None:
        return None
    try:
        return Decimal(v.value)
    except Exception:
        return None
