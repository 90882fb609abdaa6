"""Field assembly: word labels -> `doc.fields`, `doc.line_items` and `doc.key_values`.

Works from labels alone, whoever set them (classifier, rules or a human), so
the neural model, the rules and the joint model share it. Each field keeps the
words it came from (`word_ids`), the text as printed, a normalised `value`
(ISO dates and times, decimal-string amounts, E.164 phones, compact VAT
numbers), a confidence and its source.

Decisions that need evidence from the whole receipt are made here:
* the country (for phone numbers and the day/month order) comes from the
  config hint, else from the receipt: calling codes, currency, VAT prefixes,
  typical words (SDN BHD, JALAN -> Malaysia);
* a numeric date such as 03/04/2018 is read day-first or month-first from any
  other date on the receipt whose day is above 12, else from the country; if
  nothing decides, day-first is used and `doc.meta["date_order_ambiguous"]`
  is set (the `date_order_determined` check then fails, visibly);
* when several lines claim to be the total, the one the arithmetic supports
  (cash minus change, items plus tax, subtotal plus tax) wins, then the most
  specific keyword (ROUNDED / GRAND / NETT TOTAL before a plain TOTAL).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable, Sequence

from ..config import PipelineConfig
from ..document import Document, Field, LineItem, Word
from ..labels import (
    ADDRESS,
    AMOUNT,
    DATE_TIME,
    LINE_ITEM,
    QUANTITY,
    SHOP_NAME,
    TELEPHONE,
    TOTAL,
    UNIT_PRICE,
    VAT_INCLUDED,
    VAT_INFO,
)
from ..rules.entities import COMPANY_NUMBER
from ..rules.patterns import PHONE_KEYWORDS, TAX_WORD, TOTAL_KEYWORDS, fix_letters
from .checks import CHANGE, ROUNDING, find_payments, items_sum, total_support
from .normalize import (
    TAX_ID_NAMES,
    ParsedAmount,
    ParsedTime,
    currency_of_country,
    detect_currency,
    find_amounts,
    find_dates,
    find_phones,
    find_times,
    fix_letters_in_words,
    format_amount,
    parse_quantity,
    parse_vat_number,
)

SUBTOTAL_KEYWORDS = re.compile(
    # "SUBTOTAL" as OCR mangles it too: SUBTOTEL, SUB CTAL, SUBT AL, SUBTOAL.
    r"(?<![A-Z])(?:SUB\s*[-_.]?\s*TOTAL|SUB\s*[-_.]?\s*[TC]\s*[O0C]?\s*[TC]?\s*[AE]\s*L(?![A-Z])|SUB\s*[-_.]?\s*TOT(?![A-Z])|SUB\s*TTL|SUBTTL|SOUS\s*[-_.]?\s*TOTAL|ZWISCHENSUMME"
    r"|TOTAL\s*(?:SALES\s*)?\(?\s*EXCL\w*|TOTAL\s*BEFORE|TOTAL\s*W/O|AMOUNT\s*EXCL\w*"
    r"|ITEMS?\s*TOTAL|GROSS\s*(?:AMOUNT|AMT|TOTAL)|TAXABLE\s*(?:TOTAL|AMOUNT|AMT))"
)
# The amount before tax under its other names: "NET TOTAL", "NET SALES", German "Netto",
# Spanish "BASE IMPONIBLE", or a bare "AMOUNT:" caption that opens its line. Weaker than
# the words above: used only when none of them is printed. "NETT" (Malaysian receipts'
# amount due) is deliberately not among them.
NET_AMOUNT_KEYWORDS = re.compile(r"(?<![A-Z])(?:NET\s*(?:TOTAL|SALES?|AMOUNT|AMT)|NETTO|BASE\s*IMP\w*)|^\W*AMOUNT\s*:?(?=[^A-Z]*$)")
STRONG_TOTAL = re.compile(r"ROUND|GRAND|NETT|PAYABLE|DUE|TO\s*PAY|INCL|INCLUSIVE|JUMLAH")


def total_line_strength(upper: str, total_words: Sequence[Word]) -> int:
    """How strongly a line labelled total says it prints the amount due: 2, 1 or 0.

    0 is a line with no total keyword of its own ("US CASH $0.53", "CHANGE DUE") whose
    total label came from the classifier alone: it only wins when nothing better is
    printed. A rule label counts as a keyword, since the pattern that set it may have
    read the keyword on the line above ("TOTAL" / "RM 33.00").
    """
    if CHANGE.search(upper):
        return 0
    if not any(w.label_source == "rule" for w in total_words) and not TOTAL_KEYWORDS.search(fix_letters(upper)):
        return 0
    return 2 if STRONG_TOTAL.search(upper) else 1


# Per country: its evidence pattern, and strings of which the text must hold one for the
# pattern to match at all (None: no such shortcut). The shortcut only saves scanning a
# whole receipt with patterns that cannot match; it never changes a count.
_COUNTRY_EVIDENCE: list[tuple[str, re.Pattern[str], tuple[str, ...] | None]] = [
    ("MT", re.compile(r"\+356|00356|(?<![A-Z])MALTA(?![A-Z])|(?<![A-Z])M[TI]\s?\d{4}\s?-?\s?\d{4}(?!\d)|(?<![A-Z])[A-Z]{3}\s?\d{4}\b.*MALTA"), None),
    ("MY", re.compile(r"(?<![A-Z])(?:SDN\.?\s*BHD|MALAYSIA|JALAN|JLN|TAMAN|SELANGOR|KUALA\s*LUMPUR|JOHOR|RM\s?\d)(?![A-Z])|\+60|GST\s*(?:REG|ID)"), None),
    ("SG", re.compile(r"SINGAPORE|\+65|(?<![A-Z])S\$"), ("SINGAPORE", "+65", "S$")),
    ("GB", re.compile(r"\+44|(?<![A-Z])(?:UNITED\s*KINGDOM|LONDON)(?![A-Z])|£"), ("+44", "UNITED", "LONDON", "£")),
    ("US", re.compile(r"(?<![A-Z])(?:USA|[A-Z]{2}\s\d{5}(?:-\d{4})?)(?![A-Z0-9])|\+1[\s-]|\(\d{3}\)\s?\d{3}-\d{4}"), None),
]
# Without "MALTA" in the text the last (slow) alternative of the MT pattern cannot match.
_MT_WITHOUT_MALTA = re.compile(r"\+356|00356|(?<![A-Z])M[TI]\s?\d{4}\s?-?\s?\d{4}(?!\d)")


def infer_country(text: str, hint: str | None = None) -> str | None:
    """ISO 3166 alpha-2 country of the receipt: the hint, else the strongest evidence in its text."""
    if hint:
        return hint.upper()
    upper = text.upper()
    scores = {}
    for country, rx, needs in _COUNTRY_EVIDENCE:
        if needs is not None and not any(n in upper for n in needs):
            scores[country] = 0
        elif country == "MT" and "MALTA" not in upper:
            scores[country] = len(_MT_WITHOUT_MALTA.findall(upper))
        else:
            scores[country] = len(rx.findall(upper))
    best = max(scores, key=lambda c: scores[c])
    return best if scores[best] else None


# Tie-break when a field's words are split evenly between sources: a human correction
# outranks a rule, a rule that touched the span outranks the model. Iterating a set
# instead would follow string hashing, which changes from process to process.
_SOURCE_PRECEDENCE = {"human": 2, "rule": 1, "model": 0}


def _source(words: Sequence[Word]) -> str:
    sources = [w.label_source or "rule" for w in words]
    if not sources:
        return "rule"
    return max(sources, key=lambda s: (sources.count(s), _SOURCE_PRECEDENCE.get(s, -1)))


def _confidence(words: Sequence[Word]) -> float:
    confs = [w.label_confidence if w.label_confidence is not None else 0.5 for w in words]
    return round(sum(confs) / len(confs), 4) if confs else 0.0


def _join(words: Sequence[Word]) -> str:
    return " ".join([w.text for w in words])


def _field(words: Sequence[Word], value: str, text: str | None = None, confidence: float | None = None, currency: str | None = None) -> Field:
    return Field(
        text=text if text is not None else _join(words),
        value=value,
        confidence=round(confidence if confidence is not None else _confidence(words), 4),
        word_ids=[w.id for w in words],
        source=_source(words),
        currency=currency,
    )


@dataclass
class _Context:
    lines: list[list[Word]]
    text: str
    country: str | None
    currency: str | None
    # label -> [(line index, that line's words with the label)], built once: the
    # assembler asks for the lines of one label or another eight times per receipt.
    by_label: dict[str, list[tuple[int, list[Word]]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, line in enumerate(self.lines):
            per_line: dict[str, list[Word]] = {}
            for w in line:
                if w.label is not None:
                    per_line.setdefault(w.label, []).append(w)
            for label, ws in per_line.items():
                self.by_label.setdefault(label, []).append((i, ws))


def _labelled_lines(ctx: _Context, label: str) -> list[tuple[int, list[Word]]]:
    """Lines that have words of `label`, with those words (labels do not change while assembling)."""
    return ctx.by_label.get(label, [])


def _first_block(ctx: _Context, label: str, max_lines: int, max_gap: int = 1, lead: Callable[[list[Word], int], bool] | None = None) -> list[Word]:
    """Words of `label` in the first run of nearby lines that carry it.

    `lead(words, line_index)` says whether a line may open the block; lines it
    refuses before the block starts are passed over.
    """
    block: list[Word] = []
    last = None
    taken = 0
    for i, ws in _labelled_lines(ctx, label):
        if last is not None and i - last > max_gap + 1:
            break
        # A line counts when the label dominates it (stray words elsewhere do not extend the block).
        if len(ws) * 2 < len(ctx.lines[i]) and block:
            continue
        if not block and lead is not None and not lead(ws, i):
            continue
        block += ws
        last = i
        taken += 1
        if taken >= max_lines:
            break
    return block


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
    from ..rules.header import LEGAL_SUFFIX, opens_paren
    from ..rules.joint import ENTITY_OVERRIDE_CONFIDENCE

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


def _line_of(lines: Sequence[Sequence[Word]], word: Word) -> int | None:
    """The index of the line that holds `word`."""
    return next((i for i, line in enumerate(lines) if word in line), None)


def _rest_of_line(lines: Sequence[Sequence[Word]], word: Word) -> list[Word]:
    """The words printed after `word` on its line."""
    i = _line_of(lines, word)
    if i is None:
        return []
    line = list(lines[i])
    return line[line.index(word) + 1 :]


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


class AssembleStage:
    """`assemble` stage: fields, line items and key-value pairs from word labels."""

    name = "assemble"

    def __init__(self, config: PipelineConfig | None = None, entity_db: object | None = None) -> None:
        self.config = config or PipelineConfig()
        self._db = entity_db

    def _canonical(self, raw: dict[str, str]) -> dict[str, str]:
        """The stored spelling of each shop name / address in `raw` that the database recognises with certainty.

        Both fields go to the database in one query: a lookup costs about as much
        as the rest of the assembler, so it is done once per receipt, not per field.
        """
        if self._db is None:
            from ..rules.entities import EntityDatabase

            try:
                self._db = EntityDatabase(self.config.resolved_entity_db())
            except Exception:  # a broken user database must not stop extraction
                self._db = False
        if not self._db or not raw:
            return dict(raw)
        kinds = list(raw)
        found = self._db.lookup_many([(kind, raw[kind]) for kind in kinds])  # type: ignore[attr-defined]
        out = dict(raw)
        for kind, match in zip(kinds, found):
            # Addresses of two branches differ by a street number, so they need a near-exact match.
            if match is not None and match.score >= (90.0 if kind == SHOP_NAME else 97.0):
                out[kind] = match.text
        return out

    def __call__(self, doc: Document) -> Document:
        lines = doc.lines()
        text = "\n".join(_join(line) for line in lines)
        country = infer_country(text, self.config.country_hint)
        cur = detect_currency(text, country)
        currency = cur.code if cur else currency_of_country(country)  # type: ignore[union-attr]
        ctx = _Context(lines, text, country, currency)
        doc.meta["country"] = country
        fields: dict[str, Field] = {}

        header: dict[str, tuple[list[Word], str]] = {}
        address_phone: list[Word] = []  # a phone number run on after the address, if any
        known = frozenset(doc.meta.get("rules", {}).get("known_spans", {}).get(SHOP_NAME, ()))
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
        # printed. A name or address the database knows (near-exactly, for addresses: two
        # branches differ by a street number) then takes its stored spelling.
        canonical = self._canonical({kind: fix_letters_in_words(raw) for kind, (_, raw) in header.items()})
        for kind, (ws, raw) in header.items():
            fields[kind] = _field(ws, canonical[kind], raw)

        self._telephone(ctx, fields, address_phone)
        self._vat_info(ctx, fields)
        self._date_time(ctx, fields, doc)
        doc.line_items = build_line_items(ctx.lines)
        self._amounts(ctx, fields, doc)
        doc.fields = fields

        from .key_values import extract_key_values

        doc.key_values = extract_key_values(lines)
        return doc

    # ---- single fields ---------------------------------------------------------
    def _telephone(self, ctx: _Context, fields: dict[str, Field], address_phone: list[Word]) -> None:
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

    def _vat_info(self, ctx: _Context, fields: dict[str, Field]) -> None:
        for _, ws in _labelled_lines(ctx, VAT_INFO):
            v = parse_vat_number(_join(ws), ctx.country)
            if v:
                fields["vat_info"] = _field(ws, v.value)  # type: ignore[union-attr]
                return

    def _date_time(self, ctx: _Context, fields: dict[str, Field], doc: Document) -> None:
        day_first: bool | None = None
        if any(d.ambiguous for _, ws in _labelled_lines(ctx, DATE_TIME) for d in find_dates(_join(ws), country=ctx.country)):
            # Day/month order: any date on the receipt with a day above 12 settles it for all
            # (only worth reading the whole receipt for when a labelled date is ambiguous).
            decided = [d for d in find_dates(ctx.text) if not d.ambiguous and d.order in ("dmy", "mdy") and not d.textual_month]
            if decided:
                day_first = decided[0].order == "dmy"
        # The transaction date: a plausible one, announced by a DATE keyword if possible,
        # with a four-digit year, nearest the top (printed dates of other things come later).
        today = _dt.date.today()
        best = None
        for rank, (i, ws) in enumerate(_labelled_lines(ctx, DATE_TIME)):
            joined = _join(ws)
            for d in find_dates(joined, day_first=day_first, country=ctx.country, glued=True):
                plausible = _dt.date(1990, 1, 1) <= d.value <= today + _dt.timedelta(days=1)
                keyword = bool(re.search(r"(?i)DATE|TARIKH|DATA|DATUM|FECHA", _join(ctx.lines[i])))
                four_digit = bool(re.search(r"(?:19|20)\d\d", joined[d.span[0]:d.span[1]])) or d.textual_month
                key = (plausible, keyword, four_digit, -rank)
                if best is None or key > best[0]:
                    best = (key, ws, joined, d)
        if best is not None:
            _, ws, joined, d = best
            date_words = _words_in_span(ws, d.span)
            conf = _confidence(date_words) * (0.7 if d.ambiguous else 1.0) * (1.0 if best[0][0] else 0.5)
            fields["date"] = _field(date_words, d.iso, confidence=conf)
            doc.meta["date_order_ambiguous"] = d.ambiguous
            # The time printed with the transaction date is the transaction's; opening
            # hours or a validity time printed above it are not.
            times = _times_beside_dates(joined, [d.span])
            if times:
                fields["time"] = _field(_words_in_span(ws, times[0].span), times[0].iso)
            elif (dotted := _DOTTED_TIME_AFTER_DATE.match(joined, d.span[1])) is not None:
                # "07/02/2022 14.39": a time printed with dots, which alone would read as a price.
                iso = f"{int(dotted['h']):02d}:{dotted['m']}:00"
                fields["time"] = _field(_words_in_span(ws, dotted.span(0)), iso)
        for _, ws in _labelled_lines(ctx, DATE_TIME):
            joined = _join(ws)
            if "time" not in fields:
                times = _times_beside_dates(joined, [d.span for d in find_dates(joined, day_first=day_first, country=ctx.country)])
                if times:
                    t = times[0]
                    fields["time"] = _field(_words_in_span(ws, t.span), t.iso)
            else:
                return

    def _amounts(self, ctx: _Context, fields: dict[str, Field], doc: Document) -> None:
        lines = ctx.lines
        subtotal = find_subtotal(lines)
        if subtotal:
            fields["subtotal"] = _field(subtotal[0], subtotal[1].text, currency=ctx.currency, confidence=0.7)

        tax = self._vat_included(ctx)
        if tax:
            fields["vat_included"] = _field(tax[0], tax[1].text, currency=ctx.currency)

        total = choose_total(
            lines,
            items_total=items_sum(doc.line_items),
            subtotal=subtotal[1].value if subtotal else None,
            tax=tax[1].value if tax else None,
        )
        if total:
            words, amount, conf, reasons = total
            doc.meta.setdefault("total_support", reasons)
            fields["total"] = _field(words, amount.text, currency=amount.currency or ctx.currency, confidence=conf)
            if tax and amount.value > 0 and tax[1].value >= amount.value:
                # Tax at least as large as the amount due is an amount misread as tax (often the
                # total itself on a "TOTAL INCL. VAT" line): drop it rather than report it.
                fields.pop("vat_included", None)
            elif subtotal is None and (net := _net_of_tax_row(ctx, tax)) is not None:
                # The VAT summary that gave the tax also prints the amount it was charged on.
                fields["subtotal"] = _field(net[0], net[1].text, currency=ctx.currency, confidence=0.6)
            elif subtotal is None and tax and 0 < tax[1].value < amount.value - tax[1].value:
                # Only a plausible tax (less than what it is charged on) identifies the amount before it.
                before_tax = _amount_before_tax(lines, words, amount.value - tax[1].value, tax[0])
                if before_tax is not None:
                    fields["subtotal"] = _field(before_tax[0], before_tax[1].text, currency=ctx.currency, confidence=0.6)

    def _vat_included(self, ctx: _Context) -> tuple[list[Word], ParsedAmount] | None:
        """The tax amount among the lines labelled vat_included.

        A line that sums the taxes ("TAX TOTAL", "SUMME MWST") beats the rest, then a line
        that names the tax ("MwSt 10% 2,37") beats one that does not ("Umsatz 10% inkl.
        26,10", the turnover it is charged on), then the larger amount. On a row of a VAT
        summary (net, tax, gross) the tax is the smaller of the two amounts that add up to
        the third, not the gross at the end. With no summing line, one tax printed at
        several rates is the sum of its lines.
        """
        best: tuple[tuple[bool, bool, Decimal], list[Word], ParsedAmount] | None = None
        per_rate: dict[str, tuple[list[Word], ParsedAmount]] = {}
        tax_names: set[str] = set()
        for _, ws in _labelled_lines(ctx, VAT_INCLUDED):
            a = _tax_in_summary_row(ws) or _money_words(ws)
            if not a:
                continue
            upper = _join(ws).upper()
            sums, name = bool(_TAX_SUM_CUE.search(upper)), TAX_WORD.search(upper)
            score = (sums, name is not None, a[1].value)
            if best is None or score > best[0]:
                best = (score, a[0], a[1])
            rate = _RATE.search(upper)
            if rate and name and not sums:
                per_rate.setdefault(rate.group(1).replace(",", "."), a)  # a rate printed twice counts once
                tax_names.add(name.group(0))
        if best is not None and not best[0][0] and len(per_rate) >= 2 and len(tax_names) == 1:
            # One line per rate of the same tax ("MwSt A 19%", "MwSt B 7%") and no line with their
            # sum: the tax included is the sum. Different taxes (VAT and a service tax) are not added.
            words = [w for ws, _ in per_rate.values() for w in ws]
            value = sum((a.value for _, a in per_rate.values()), Decimal(0))
            return words, ParsedAmount(value, format_amount(value), best[2].currency, best[2].span)
        return (best[1], best[2]) if best else None


# A tax rate ("19%", "10,00 %") and the wordings of a line that sums the taxes ("SUMME MWST").
_RATE = re.compile(r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,2})?)\s?%")
_TAX_SUM_CUE = re.compile(r"TOTAL|SUMME|SUM(?![A-Z])|TOTALE")


def _summary_row(ws: Sequence[Word]) -> tuple[tuple[list[Word], ParsedAmount], tuple[list[Word], ParsedAmount]] | None:
    """(tax, net) of a VAT-summary row that prints net, tax and gross ("A 19% 7.31 1.39 8.70"):
    of three amounts in a row where two add up to the third, the smaller of those two is the
    tax and the larger the net."""
    amounts = [m for m in _all_money_words(ws) if m[1].value > 0]
    for first, second, third in zip(amounts, amounts[1:], amounts[2:]):
        if first[1].value + second[1].value == third[1].value:
            tax, net = sorted((first, second), key=lambda m: m[1].value)
            return tax, net
    return None


def _net_of_tax_row(ctx: _Context, tax: tuple[list[Word], ParsedAmount] | None) -> tuple[list[Word], ParsedAmount] | None:
    """The net amount printed on the VAT-summary row the tax was read from, if it was."""
    i = _line_of(ctx.lines, tax[0][0]) if tax is not None else None
    row = _summary_row([w for w in ctx.lines[i] if w.label == VAT_INCLUDED]) if i is not None else None
    return row[1] if row is not None and tax is not None and row[0][1].value == tax[1].value else None


def _tax_in_summary_row(ws: Sequence[Word]) -> tuple[list[Word], ParsedAmount] | None:
    """The tax of `ws` if it is a VAT-summary row."""
    row = _summary_row(ws)
    return row[0] if row else None


_DOTTED_TIME_AFTER_DATE = re.compile(r"\s+(?P<h>[01]?\d|2[0-3])\.(?P<m>[0-5]\d)(?![\d.,])")


def _times_beside_dates(text: str, date_spans: Sequence[tuple[int, int]]) -> list[ParsedTime]:
    """The times in `text` that are not a date read as a time ("10.07.13 21:52": the date, then the time)."""
    return [t for t in find_times(text) if not any(t.span[0] < end and start < t.span[1] for start, end in date_spans)]


def _keyword_amount(lines: Sequence[Sequence[Word]], i: int, keyword_end: int) -> tuple[list[Word], ParsedAmount] | None:
    """The money printed after the keyword (ending at `keyword_end` of the joined line `i`) and before
    any total keyword that follows it: the last such amount ("SUB_TOT ITM= 8 Q=10.00 885.00",
    "NET SALES 100.75 GRAND TOTAL 113.35"). Failing that, the next line's amount when that line
    prints nothing else (a right-aligned column that the OCR read as its own line)."""
    upper = _join(lines[i]).upper()
    next_total = TOTAL_KEYWORDS.search(upper, keyword_end)
    stop = next_total.start() if next_total else len(upper)
    between = [(ws, a) for ws, a in _all_money_words(lines[i]) if keyword_end <= a.span[0] < stop]
    found = between[-1] if between else None
    if found is None and i + 1 < len(lines):
        nxt = lines[i + 1]
        found = _money_words(nxt)
        if found is not None and len(found[0]) != len(nxt):
            found = None
    return found


def _amount_before_tax(
    lines: Sequence[Sequence[Word]], total_words: Sequence[Word], value: Decimal, tax_words: Sequence[Word]
) -> tuple[list[Word], ParsedAmount] | None:
    """An amount equal to total - tax printed above the total line, under whatever caption
    ("AMOUNT 83.51", "Food 20.00"): the subtotal of a receipt that does not call it one.
    The nearest such amount above the total wins; the tax's own words never count."""
    total_line = _line_of(lines, total_words[0])
    if total_line is None or value <= 0:
        return None
    taken = {id(w) for w in tax_words}
    for i in range(total_line - 1, -1, -1):
        for ws, a in reversed(_all_money_words(lines[i])):
            if a.value == value and not any(id(w) in taken for w in ws):
                return ws, a
    return None


def find_subtotal(lines: Sequence[Sequence[Word]]) -> tuple[list[Word], ParsedAmount] | None:
    """The subtotal: no word class of its own in the 12 labels, so keywords find it.

    The last line with a subtotal keyword wins (a "SUB TOTAL" after discounts
    supersedes one before them); net-amount wordings count only on receipts
    that print none of those keywords.
    """
    for keywords in (SUBTOTAL_KEYWORDS, NET_AMOUNT_KEYWORDS):
        found = None
        for i, line in enumerate(lines):
            match = keywords.search(_join(line).upper())
            if match:
                found = _keyword_amount(lines, i, match.end()) or found
        if found is not None:
            return found
    return None


def _words_in_span(ws: Sequence[Word], span: tuple[int, int]) -> list[Word]:
    """The words of `ws` whose characters overlap `span` of their space-joined text."""
    out, pos = [], 0
    for w in ws:
        end = pos + len(w.text)
        if pos < span[1] and span[0] < end:
            out.append(w)
        pos = end + 1
    return out


_DECIMALS = re.compile(r"[.,]\d")


def _money_words(ws: Sequence[Word]) -> tuple[list[Word], ParsedAmount] | None:
    """The right-most money amount among `ws` and the words that print it (with a currency word before it)."""
    joined = _join(ws)
    amounts = [a for a in find_amounts(joined) if joined[a.span[1]:a.span[1] + 1] != "%" and _DECIMALS.search(joined, a.span[0], a.span[1])]
    if not amounts:
        return None
    a = amounts[-1]
    words = _words_in_span(ws, a.span)
    i = list(ws).index(words[0])
    if i > 0 and len(ws[i - 1].text) <= 4 and detect_currency(ws[i - 1].text):
        words = [ws[i - 1], *words]
    return words, a


def _all_money_words(ws: Sequence[Word]) -> list[tuple[list[Word], ParsedAmount]]:
    joined = _join(ws)
    out = []
    for a in find_amounts(joined):
        if joined[a.span[1]:a.span[1] + 1] == "%" or not _DECIMALS.search(joined, a.span[0], a.span[1]):
            continue
        words = _words_in_span(ws, a.span)
        if words:
            out.append((words, a))
    return out


def choose_total(
    lines: Sequence[Sequence[Word]],
    items_total: Decimal | None = None,
    subtotal: Decimal | None = None,
    tax: Decimal | None = None,
) -> tuple[list[Word], ParsedAmount, float, list[str]] | None:
    """The amount due: among lines labelled total, the one the arithmetic and keywords support best."""
    payments = find_payments(lines)
    candidates: list[tuple[tuple[int, int, int], list[Word], ParsedAmount, float, list[str]]] = []
    _amounts_cache: list[tuple[int, list[Word], ParsedAmount]] | None = None

    def every_amount() -> list[tuple[int, list[Word], ParsedAmount]]:
        # Only the rounding and fallback readings need every amount on the receipt.
        nonlocal _amounts_cache
        if _amounts_cache is None:
            _amounts_cache = [(i, *m) for i, line in enumerate(lines) if (m := _money_words(line))]
        return _amounts_cache

    for i, line in enumerate(lines):
        total_words = [w for w in line if w.label == TOTAL]
        if not total_words:
            continue
        m = _money_words(line)
        options = _all_money_words(total_words)
        if not options and m and any(w.label == TOTAL for w in m[0]):
            options = [m]
        if not options:
            continue
        upper = _join(line).upper()
        strength = total_line_strength(upper, total_words)
        # "Total 10.94 0.66" prints several columns: take the one the arithmetic supports, else the last.
        supported = [(total_support(o[1].value, items_total, subtotal, tax, payments), o) for o in options]
        reasons, money = max(supported, key=lambda x: (len(x[0]), options.index(x[1])))
        # Keyword strength first: a "TOTAL PAYABLE" beats a "Total 0% supplies" that happens
        # to equal a (possibly misread) item sum; arithmetic decides between equals.
        # A zero amount ("BALANCE 0.00", "TOTAL DUE 0.00" after payment) is never preferred to a real one.
        candidates.append(((money[1].value > 0, strength, len(reasons), i), money[0], money[1], _confidence(total_words), reasons))
    # Cash rounding: "TOTAL 60.31 / ROUNDING -0.01" means 60.30 is due, printed on some later line.
    if payments.rounding and candidates:
        best_unrounded = max(candidates, key=lambda c: c[0])
        target = best_unrounded[2].value + payments.rounding
        for i in range(best_unrounded[0][-1], len(lines)):
            m = _money_words(lines[i])
            if m is None:
                continue
            ws, a = m
            if a.value == target and not ROUNDING.search(_join(lines[i]).upper()):
                reasons = ["rounding_adjustment", *total_support(a.value, items_total, subtotal, tax, payments)]
                candidates.append(((a.value > 0, 3, len(reasons), i), ws, a, best_unrounded[3], reasons))
                break
    if candidates and payments.paid is not None and payments.change is not None and not any(c[4] for c in candidates):
        # No total line agrees with what was paid: trust tendered - change if it is printed as an amount too.
        for i, ws, a in every_amount():
            if a.value == payments.paid and not re.search(r"CASH|CHANGE|TENDER|PAID|BAKI|TUNAI", _join(lines[i]).upper()):
                candidates.append(((a.value > 0, 1, 1, i), ws, a, 0.6, ["cash_minus_change"]))
                candidates = [c for c in candidates if c[4]]
                break
    if candidates:
        key, words, amount, conf, reasons = max(candidates, key=lambda c: c[0])
        if not reasons and len(candidates) > 1:
            conf *= 0.8  # several unsupported totals: say we are less sure
        return words, amount, round(min(0.99, conf + 0.05 * len(reasons)), 4), reasons
    # No total line at all: what was paid, or the largest amount in the bottom half.
    if payments.paid is not None and payments.change is not None:
        for i, ws, a in every_amount():
            if a.value == payments.paid:
                return ws, a, 0.5, ["cash_minus_change"]
    lower = [(i, ws, a) for i, ws, a in every_amount() if i >= len(lines) // 2 and a.value > 0]
    lower = [x for x in lower if not re.search(r"CASH|CHANGE|TENDER|TEL|GST|VAT|TAX", _join(lines[x[0]]).upper())]
    if lower:
        i, ws, a = max(lower, key=lambda x: x[2].value)
        return ws, a, 0.3, []
    return None


def build_line_items(lines: Sequence[Sequence[Word]]) -> list[LineItem]:
    """Items from line-item labels: descriptions accumulate until a row's amount closes the item."""
    items: list[LineItem] = []
    desc: list[Word] = []
    pending_numbers: list[Word] = []
    for line in lines:
        row_desc = [w for w in line if w.label == LINE_ITEM]
        amounts = [w for w in line if w.label == AMOUNT]
        numbers = [w for w in line if w.label in (QUANTITY, UNIT_PRICE)]
        desc += row_desc
        if not amounts:
            pending_numbers += numbers
            continue
        nums = pending_numbers + numbers
        quantity = next((w for w in nums if w.label == QUANTITY), None)
        unit = next((w for w in nums if w.label == UNIT_PRICE), None)
        amount_word = amounts[-1]
        amount = find_amounts(amount_word.text)
        q_text: str | None = None
        up_text: str | None = None
        if unit is not None:
            combined = re.match(r"^\s*(\d{1,3}(?:[.,]\d{1,3})?)\s?[xX*@]\s?(.+)$", unit.text)
            if combined:  # "2x6.50" is one word carrying both
                q = parse_quantity(combined.group(1))
                q_text = q.text if q else None  # type: ignore[union-attr]
                u = find_amounts(combined.group(2))
                up_text = u[-1].text if u else None
            else:
                u = find_amounts(unit.text)
                up_text = u[-1].text if u else None
        if quantity is not None:
            q = parse_quantity(quantity.text)
            q_text = q.text if q else q_text  # type: ignore[union-attr]
        words = [*desc, *([quantity] if quantity else []), *([unit] if unit else []), *amounts]
        items.append(
            LineItem(
                description=" ".join(_join(desc).split()) or None,
                quantity=q_text,
                unit_price=up_text,
                amount=format_amount(amount[-1].value) if amount else None,
                word_ids=[w.id for w in words],
                confidence=_confidence(words),
                source=_source(words),
            )
        )
        desc, pending_numbers = [], []
    return items
