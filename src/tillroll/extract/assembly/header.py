"""Header fields: the shop name and address spans (with what to trim from them), telephone and VAT number."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ...document import Field, Word
from ...labels import ADDRESS, SHOP_NAME, TELEPHONE, VAT_INFO
from ...normalize import TAX_ID_NAMES, find_phones, parse_vat_number
from ...rules.entities import COMPANY_NUMBER
from ...rules.header import LEGAL_SUFFIX, opens_paren
from ...rules.joint import ENTITY_OVERRIDE_CONFIDENCE
from ...rules.patterns import PHONE_KEYWORDS
from .common import _Context, _field, _first_block, _join, _labelled_lines, _rest_of_line, _words_in_span

_POSTCODE_ONLY = re.compile(r"^\d{4,6}$")


def _without_trailing_code(ws: list[Word]) -> list[Word]:
    """The address less a last line that is a code, not a place ("L306558024001"): no word of
    two letters or more, and not a bare postcode ("400013")."""
    if not ws or ws[0].line == ws[-1].line:
        return ws
    last = [w for w in ws if w.line == ws[-1].line]
    if any(sum(c.isalpha() for c in w.text) >= 2 for w in last) or (len(last) == 1 and _POSTCODE_ONLY.match(last[0].text)):
        return ws
    return ws[: len(ws) - len(last)]


# Below this the classifier is unsure of an address word.
DOUBTFUL_ADDRESS_CONFIDENCE = 0.8


def _without_doubtful_first_line(ws: list[Word]) -> list[Word]:
    """The address less its first line when that line looks like the name or branch above it:
    no digit in it, the classifier unsure of it, and digits (a number, a postcode) further down
    ("MENTENG HUIS" over "Jl. Cikini Raya No. 2-4", "The Loft Restaurant" over "56 Main Street")."""
    if not ws or ws[0].line == ws[-1].line:
        return ws
    first = [w for w in ws if w.line == ws[0].line]
    rest = ws[len(first) :]
    doubtful = all(w.label_source == "model" for w in first) and min(w.label_confidence or 0.0 for w in first) < DOUBTFUL_ADDRESS_CONFIDENCE
    if doubtful and not any(c.isdigit() for w in first for c in w.text) and any(c.isdigit() for w in rest for c in w.text):
        return rest
    return ws


def _opens_address(ctx: _Context) -> Callable[[list[Word], int], bool]:
    """Which labelled lines may start the address. Not a bare number ("27", a cashier's
    "100101"): an address line has a letter somewhere or several words ("7377 S."). Not one
    stray word in a line of other things ("BRANCH" after a name, "inside." in a banner): where
    the address shares its line, its part has a digit ("17 the Crescent, ... Tel: ...") or
    several words."""

    def opens(ws: list[Word], i: int) -> bool:
        if len(ws) < 2 and not any(c.isalpha() for c in ws[0].text):
            return False
        if len(ws) * 2 < len(ctx.lines[i]):
            return len(ws) >= 2 or any(c.isdigit() for c in ws[0].text)
        return True

    return opens


# A second line continues the one above it when the first visibly breaks off ("... &",
# "ENTERPRISE (SETIA"), or when the second carries the company form the first lacks.
_CONTINUES = re.compile(r"(?:&|\bAND|-|\(|,)\s*$", re.IGNORECASE)


def _shop_name_lines(first: list[Word], second: list[Word], known: frozenset[int] = frozenset()) -> bool:
    """Whether `second` (the next shop-name line) is part of the name started by `first`.

    WildReceipt and most printed receipts give the trading name on one line and
    a slogan or branch below it ("ROSS" / "DRESS FOR LESS", "meijer" / "Sawmill")
    that the classifier often labels too; Malaysian company names wrap onto a
    second line. The second line joins only with evidence: a rule (entity
    database or registered-company name) placed it, the first line breaks off,
    or the second holds the company form. `known` are the words of a name the rules
    recognised as a whole (database or registered-company name).
    """
    if all(w.id in known for w in second):
        return True
    if all(w.label_source == "rule" and (w.label_confidence or 0.0) >= ENTITY_OVERRIDE_CONFIDENCE for w in second):
        return True
    text1, text2 = _join(first), _join(second)
    if _CONTINUES.search(text1) or opens_paren(text1):
        return True
    return bool(LEGAL_SUFFIX.search(text2.upper())) and not LEGAL_SUFFIX.search(text1.upper())


# Printed captions in front of a name or address ("OWNED BY:", "HQ ADD:", "ALAMAT:") are
# not part of the value; nor is a tax-registration number run on after an address.
_FIELD_CAPTION = {
    SHOP_NAME: re.compile(r"^(?:OWN(?:ED)?\s*BY|OPERATED\s*BY|COMPANY(?:\s*NAME)?|MERCHANT(?:\s*NAME)?)\s*:$", re.IGNORECASE),
    ADDRESS: re.compile(r"^(?:(?:HQ|HEAD\s*OFFICE|OFFICE|SHOP|STORE)?\s*(?:ADD|ADDR|ADDRESS|ALAMAT))\s*:$", re.IGNORECASE),
}
_TAX_ID_CUE = re.compile(r"^(?:GST|SST|VAT|TAX)\s*[-_]?\s*(?:ID|REG\w*|NO\.?)\b|^GSTID|^GSTNO|^(?:" + TAX_ID_NAMES + r")(?![A-Z])", re.IGNORECASE)
# A store code printed after the address ("... 52100 KL Site: 2591"), not part of it.
_SITE_CODE = re.compile(r"^SITE(?:\s*[:#]\s*\w*)?$", re.IGNORECASE)
# A phone number run on after the address ("1007 Kane Concourse 305 861-2222"): digit
# groups only, eight digits or more, and not a US ZIP+4 ("33147-9998").
_NUMBER_ONLY = re.compile(r"^[\d()+\-./]+$")
_ZIP_PLUS_FOUR = re.compile(r"^\d{5}[-\s]\d{4}$")


def _without_trailing_phone(ws: list[Word]) -> list[Word]:
    """`ws` less the digit groups (and a "TEL" before them) that end its last line, if they make a phone number."""
    i = len(ws)
    while i > 1 and ws[i - 1].line == ws[-1].line and _NUMBER_ONLY.match(ws[i - 1].text):
        i -= 1
    tail = " ".join(w.text for w in ws[i:])
    if i == len(ws) or sum(c.isdigit() for c in tail) < 8 or _ZIP_PLUS_FOUR.match(tail):
        return ws
    if i > 1 and PHONE_KEYWORDS.fullmatch(ws[i - 1].text.upper()):
        i -= 1
    return ws[:i]


_US_STATE = re.compile(
    r"^(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|GU)[.,]?$"
)
_US_ZIP = re.compile(r"^\d{5}(?:-\d{4})?$")


def _zip_after_state(lines: Sequence[Sequence[Word]], last: Word) -> list[Word]:
    """The ZIP code printed right after the state that ends the address ("Glendale, CA | 91206"),
    when the classifier left it out."""
    if not _US_STATE.match(last.text):
        return []
    after = _rest_of_line(lines, last)[:1]
    return after if after and _US_ZIP.match(after[0].text) else []


def _numbers_after(lines: Sequence[Sequence[Word]], last: Word) -> list[Word]:
    """The number-only words that end the line of `last`, right after it (none if anything else follows)."""
    after = _rest_of_line(lines, last)
    return after if after and all(_NUMBER_ONLY.match(w.text) for w in after) else []


def _phone_in(ws: list[Word], country: str | None) -> tuple[list[Word], str] | None:
    """(words, value) of the phone number in `ws`: the first after a TEL keyword (not a FAX
    one) if the line has one ("819642 Tel. 65424709": a postcode, then the phone), else the first."""
    joined = _join(ws)
    phones = find_phones(joined, country)
    if not phones:
        return None
    cues = [m.end() for m in PHONE_KEYWORDS.finditer(joined.upper()) if not m.group().startswith("FAX")]
    after_cue = [p for p in phones if cues and p.span[0] >= cues[0]]
    phone = after_cue[0] if after_cue else phones[0]
    return _words_in_span(ws, phone.span) or ws, phone.value


def _trim_header_field(kind: str, ws: list[Word]) -> list[Word]:
    """Drop a leading caption, and (addresses) a tax number or store code printed after the address."""
    caption = _FIELD_CAPTION.get(kind)
    if caption is not None:
        for n in (1, 2, 3):  # a caption is one to three words ending in ":" ("HQ ADD:")
            if len(ws) > n and caption.match(_join(ws[:n])):
                ws = ws[n:]
                break
    if kind == ADDRESS:
        for i, w in enumerate(ws):
            if i > 0 and _TAX_ID_CUE.match(w.text + (" " + ws[i + 1].text if i + 1 < len(ws) else "")):
                return ws[:i]
            if i > 0 and len(ws) - i <= 3 and w.line == ws[-1].line and _SITE_CODE.match(w.text):
                return ws[:i]
    return ws


def header_spans(ctx: _Context, known: frozenset[int]) -> tuple[dict[str, tuple[list[Word], str]], list[Word]]:
    """The shop name's and the address's words and printed text (by kind), and the words of a
    phone number run on after the address (`known`: word ids of a name the rules recognised)."""
    header: dict[str, tuple[list[Word], str]] = {}
    address_phone: list[Word] = []  # a phone number run on after the address, if any
    for kind, max_lines in ((SHOP_NAME, 3), (ADDRESS, 6)):
        ws = _first_block(ctx, kind, max_lines, lead=_opens_address(ctx) if kind == ADDRESS else None)
        if kind == ADDRESS:
            ws = _without_doubtful_first_line(ws)
        if kind == SHOP_NAME and ws:
            # Each further line joins only with evidence that it continues the name so far.
            by_line: dict[object, list[Word]] = {}
            for w in ws:
                by_line.setdefault(w.line, []).append(w)
            rows = list(by_line.values())
            # A store code printed above the name ("#B01") is not the name: a first line
            # with fewer than two letters gives way to the next one.
            while len(rows) > 1 and sum(c.isalpha() for c in _join(rows[0])) < 2:
                rows.pop(0)
            first, *more = rows
            ws = first
            for nxt in more:
                if not _shop_name_lines(ws, nxt, known):
                    break
                ws = ws + nxt
        if kind == SHOP_NAME:
            # A company registration number printed after the name is not part of it.
            while len(ws) > 1 and not COMPANY_NUMBER.sub("", ws[-1].text).strip():
                ws = ws[:-1]
        ws = _trim_header_field(kind, ws)
        if kind == ADDRESS and ws:
            ws = ws + _zip_after_state(ctx.lines, ws[-1])
            # The phone may run on past the last address word, unlabelled
            # ("CRADLEY HEATH 0345 | 6779890"): its digit groups count too, but only as a phone.
            run_on = _numbers_after(ctx.lines, ws[-1])
            kept = _without_trailing_phone(ws + run_on)
            if len(kept) >= len(ws):
                kept = _without_trailing_phone(ws)
                run_on = []
            ws, address_phone = kept, (ws + run_on)[len(kept) :]
            ws = _without_trailing_code(ws)
        if ws:
            raw = " ".join(_join(ws).split())
            if kind == SHOP_NAME:
                raw = COMPANY_NUMBER.sub("", raw).strip() or raw
            header[kind] = (ws, raw)
    # Values repair digits read inside words ("Randa11" -> "Randall"); the text stays as
    return header, address_phone


def telephone_field(ctx: _Context, fields: dict[str, Field], address_phone: list[Word]) -> None:
    for i, ws in _labelled_lines(ctx, TELEPHONE):
        found = _phone_in(ws, ctx.country)
        if found is None and len(ws) < len(ctx.lines[i]):
            # The classifier labelled part of the number ("0402" address, "41418" phone).
            found = _phone_in(ctx.lines[i], ctx.country)
        if found is not None:
            fields["telephone"] = _field(*found)
            return
    # No phone line, but the address ended with a number (the classifier took the
    # phone for more address): the number the address gave up is the phone.
    found = _phone_in(address_phone, ctx.country) if address_phone else None
    if found is not None:
        fields["telephone"] = _field(*found)


def vat_field(ctx: _Context, fields: dict[str, Field]) -> None:
    for _, ws in _labelled_lines(ctx, VAT_INFO):
        v = parse_vat_number(_join(ws), ctx.country)
        if v:
            fields["vat_info"] = _field(ws, v.value)
            return
