"""Shop name and address from the receipt's header block (paper 6.2 plus layout).

The entity database recognises shops it has seen; for the others the printed
layout is strong evidence: the header is the block of lines above the first
date, phone, tax number or item, the shop name is its first name-like line
(company suffixes such as SDN BHD or LTD settle it), and the address is the run
of lines below the name that look like an address (street words, postcodes,
commas between numbers and names) up to the first phone/tax/date line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..document import Word
from ..labels import ADDRESS, DATE_TIME, SHOP_NAME, TELEPHONE, TOTAL, VAT_INFO
from .entities import DocumentEntity
from .patterns import RuleMatch

# Confidence of a layout-only guess (below the joint replace threshold on purpose:
# a confident classifier label is never overruled by it).
LAYOUT_CONFIDENCE = 0.55

# Legal-entity suffixes: a line carrying one is the trading name almost always.
LEGAL_SUFFIX = re.compile(
    r"(?<![A-Z])(?:SDN\.?\s*BHD|SDN|BHD|BERHAD|S/B|ENTERPRISES?|TRADING|HOLDINGS|TRADERS?|MARKETING|LTD|LIMITED|LLC|L\.L\.C"
    r"|INC|CORP(?:ORATION)?|CO\.|COMPANY|GMBH|PLC|S\.R\.L|SRL|S\.P\.A|SPA|S\.A|SARL|B\.V|PTE|PTY|P/L)(?![A-Z])"
)
# Kinds of business: good evidence of a name line, but a second line ("BISTRO & CAFE")
# often describes the name printed above it.
ORG_SUFFIX = re.compile(
    LEGAL_SUFFIX.pattern + r"|(?<![A-Z])(?:RESTAURANT|RESTORAN|CAFE|KEDAI|MART|MINIMARKET|SUPERMARKET|HYPERMARKET|HARDWARE|STATIONERY|BOOKSTORE"
    r"|PHARMACY|FARMASI|BAKERY|HOTEL|MARKET|STORE|SHOP|BOUTIQUE|PIZZA|BAR|GRILL|KITCHEN|DELI|COFFEE|TEA|FOOD|FOODS|BISTRO"
    r"|STEAKHOUSE|DINER|PUB)(?![A-Z])"
)
ADDRESS_CUES = re.compile(
    r"(?<![A-Z])(?:JALAN|JLN|TAMAN|TMN|LOT|LORONG|PERSIARAN|KAMPUNG|KG|BANDAR|SEKSYEN|SEC|PERINDUSTRIAN|KAWASAN|BATU|BUKIT|DESA"
    r"|WISMA|MENARA|KOMPLEKS|PUSAT|BLOK|BLK|BLOCK|LEVEL|FLOOR|FLR|TINGKAT|UNIT|SUITE|STE|NO\.?|NO:|ROAD|RD|STREET|STR|ST|AVENUE|AVE"
    r"|BLVD|BOULEVARD|LANE|LN|DRIVE|DR|WAY|HWY|HIGHWAY|PLACE|PL|SQUARE|SQ|COURT|CT|PARK|PLAZA|MALL|CENTRE|CENTER|TRIQ|VIA|STRASSE"
    r"|KUALA\s*LUMPUR|SELANGOR|JOHOR|BAHRU|PENANG|PULAU\s*PINANG|PERAK|KEDAH|MELAKA|MALACCA|NEGERI\s*SEMBILAN|PAHANG|SABAH"
    r"|SARAWAK|KELANTAN|TERENGGANU|PERLIS|PUTRAJAYA|DARUL\s*EHSAN|DARUL\s*TAKZIM|SHAH\s*ALAM|PETALING\s*JAYA|KLANG|CHERAS"
    r"|PUCHONG|KAJANG|SERDANG|MALTA|MSIDA|SLIEMA|VALLETTA|BIRKIRKARA|MOSTA|QORMI|CA|NY|TX|USA)(?![A-Z])"
)
POSTCODE = re.compile(r"(?<!\d)\d{5}(?!\d)|(?<![A-Z])[A-Z]{3}\s?\d{4}(?!\d)|(?<![A-Z])[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}(?![A-Z])")
# Lines that end the header or cannot be part of the name/address.
HEADER_STOP = re.compile(
    r"(?<![A-Z])(?:TEL|PHONE|TELEPHONE|FAX|CASH|CARD|CARRY|H/P|MOBILE|EMAIL|E-MAIL|WWW|HTTP|GST|VAT|SST|TAX|INVOICE|RECEIPT|RESIT|BILL|CASHIER|DATE|TIME"
    r"|TABLE|ORDER|DOC(?:UMENT)?|REF|SALES|MEMBER|QTY|ITEM|DESCRIPTION|CHECK|SERVER|TERMINAL|POS|TRANS\w*)(?![A-Z])"
)
REGISTRATION = re.compile(
    r"\(?\s*(?:(?:CO|COMPANY|ROC|REG|BUSINESS)\.?\s*(?:REG|NO)\w*\.?\s*:?\s*)?\(?\d{3,12}\s*-?\s*[A-Z0-9]?\s*\)?|^\(.*\)$"
    r"|^(?:CO|COMPANY|ROC|REG|BUSINESS)\.?\s*(?:REG\w*\.?\s*)?(?:NO|NUMBER)\b.*"
)
# Lines that end an address: contact details and web addresses.
CONTACT = re.compile(r"@|WWW|HTTP|\.COM|\.MY\b|CARELINE|HOTLINE|(?<!\d)\d{2,4}[- ]\d{3,4}[- ]?\d{4}(?!\d)")
NON_NAME = re.compile(
    r"(?<![A-Z])(?:WELCOME|THANK|OFFICIAL|COPY|CUSTOMER|DUPLICATE|REPRINT|ORIGINAL|GOODS|SOLD|RETURN\w*|EXCHANGE\w*"
    r"|REG\.?\s*NO|COMPANY\s*(?:REG|NO)|CO\.?\s*NO|ROC)(?![A-Z])"
)


@dataclass(frozen=True)
class HeaderProposal:
    label: str
    word_ids: tuple[int, ...]
    confidence: float
    rule: str


def _text(line: Sequence[Word]) -> str:
    return " ".join([w.text for w in line]).upper()


def _letters_ratio(s: str) -> float:
    chars = [c for c in s if not c.isspace()]
    return sum(c.isalpha() for c in chars) / max(1, len(chars))


def _is_address_like(s: str) -> bool:
    return bool(ADDRESS_CUES.search(s) or POSTCODE.search(s) or re.search(r"\d+\s*,\s*[A-Z]", s))


def closes_paren(text: str) -> bool:
    """More ")" than "(": the text closes a bracket opened before it."""
    return text.count(")") > text.count("(")


def opens_paren(text: str) -> bool:
    """More "(" than ")": the text leaves a bracket open for what follows."""
    return text.count("(") > text.count(")")


def _legal_name_lines(i: int, texts: Sequence[str], candidates: Sequence[int]) -> tuple[int, ...]:
    """The lines of a registered company name whose legal form is printed on line `i`.

    The name starts on the line above when line `i` is too short to be a whole name
    ("SYARIKAT PERNIAGAAN" / "GIN KEE SDN BHD") or opens with a branch in brackets
    ("PASAR RAYA MEGA MAJU" / "(SEMENYIH) SDN BHD"); when line `i` closes a bracket the
    line above opened ("...ENTERPRISE (SETIA" / "ALAM) SDN BHD"), one more line up too.
    """

    def name_like(k: int) -> bool:
        return k in candidates and not _is_address_like(texts[k])

    text = texts[i].strip()
    above = i - 1
    if not name_like(above):
        span: tuple[int, ...] = (i,)
    elif closes_paren(text) and opens_paren(texts[above]):
        span = (above - 1, above, i) if name_like(above - 1) and not opens_paren(texts[above - 1]) else (above, i)
    elif len(text.split()) <= 2 or text.startswith("("):
        span = (above, i)
    else:
        span = (i,)
    # "... ENTERPRISE (SETIA" / "ALAM) SDN BHD": a bracket left open continues on the next line.
    below = span[-1] + 1
    if opens_paren(" ".join(texts[k] for k in span)) and below < len(texts) and name_like(below) and closes_paren(texts[below]):
        span = (*span, below)
    return span


def header_end(lines: Sequence[Sequence[Word]], matches: Sequence[RuleMatch], limit: int = 14) -> int:
    """Index of the first line that is no longer header (a date, total or item-like row)."""
    line_of = {w.id: i for i, line in enumerate(lines) for w in line}
    firsts = [line_of[m.word_ids[0]] for m in matches if m.label in (DATE_TIME, TOTAL) and m.word_ids and m.word_ids[0] in line_of]
    end = min([limit, len(lines), *firsts])
    for i in range(end):
        if re.search(r"(?<![A-Z])(?:QTY|QUANTITY|DESCRIPTION|DESC)(?![A-Z])", _text(lines[i])):
            return i
    return end


def propose_header(
    lines: Sequence[Sequence[Word]],
    matches: Sequence[RuleMatch],
    entities: Sequence[DocumentEntity] = (),
    end: int | None = None,
) -> list[HeaderProposal]:
    """Shop-name and address proposals for the header lines: database matches first, then layout.

    `end` is `header_end(lines, matches)` when the caller has it already.
    """
    out: list[HeaderProposal] = []
    if end is None:
        end = header_end(lines, matches)
    labelled = {wid for m in matches if m.label in (TELEPHONE, VAT_INFO, DATE_TIME) for wid in m.word_ids}

    texts = [_text(line) for line in lines[:end]]

    def usable(i: int) -> bool:
        return not any(w.id in labelled for w in lines[i])

    candidates = [
        i
        for i in range(min(end, 8))
        if usable(i)
        and _letters_ratio(texts[i]) >= 0.6
        and sum(c.isalpha() for c in texts[i]) >= 3
        and not HEADER_STOP.search(texts[i])
        and not NON_NAME.search(texts[i])
    ]
    legal = [i for i in candidates if LEGAL_SUFFIX.search(texts[i])]
    plain = [i for i in candidates if not _is_address_like(texts[i]) or ORG_SUFFIX.search(texts[i])]

    db_shop = next((e for e in entities if e.kind == SHOP_NAME), None)
    db_address = next((e for e in entities if e.kind == ADDRESS), None)
    shop_lines: tuple[int, ...] = ()
    # The database is trusted unless a legal-entity line is printed above its match
    # (it may have matched a customer or a mall printed lower down).
    if db_shop and not (legal and legal[0] < db_shop.line_indices[0]):
        shop_lines = db_shop.line_indices
        conf = round(min(0.99, db_shop.match.score / 100), 3)
        out.append(HeaderProposal(SHOP_NAME, tuple(w for w in db_shop.word_ids if w not in labelled), conf, "entity_database"))
    else:
        layout_rule = "header_layout"
        if legal and (not plain or legal[0] <= plain[0] + 3):
            layout_rule = "legal_name"  # a registered company name (SDN BHD, LTD, S/B...) names the seller
            shop_lines = _legal_name_lines(legal[0], texts, candidates)
        elif plain:
            shop_lines = (plain[0],)
        if shop_lines:
            ids = tuple(w.id for i in shop_lines for w in lines[i] if w.id not in labelled)
            out.append(HeaderProposal(SHOP_NAME, ids, LAYOUT_CONFIDENCE, layout_rule))

    # Address: the layout run below the name, joined with the database's run when they touch.
    start = (max(shop_lines) + 1) if shop_lines else 0
    run: list[int] = []
    for i in range(start, end):
        t = texts[i]
        spaced_out = sum(len(x) == 1 for x in t.split()) > len(t.split()) / 2 and len(t.split()) > 3
        if not usable(i) or HEADER_STOP.search(t) or CONTACT.search(t) or spaced_out:
            if run:
                break
            continue
        if REGISTRATION.fullmatch(t.strip()) or (not run and not _is_address_like(t)):
            if run:
                break
            continue
        run.append(i)
        if len(run) >= 6:
            break
    layout = set(run) if run and any(_is_address_like(texts[i]) for i in run) else set()
    db_run = set(db_address.line_indices) - set(shop_lines) if db_address else set()
    if db_run and layout and (min(db_run) <= max(layout) + 1 and min(layout) <= max(db_run) + 1):
        address_lines = tuple(sorted(db_run | layout))
        source, conf = "entity_database", 0.8
    elif layout and not (db_address and db_address.match.score >= 90):
        # Lines that each match part of some stored address are weak evidence on their
        # own (street and town names repeat); the layout run wins when they disagree.
        address_lines = tuple(sorted(layout))
        source, conf = "header_layout", LAYOUT_CONFIDENCE
    else:
        address_lines = tuple(sorted(db_run))
        source, conf = "entity_database", 0.75
    if address_lines:
        ids = tuple(w.id for i in address_lines for w in lines[i] if w.id not in labelled)
        out.append(HeaderProposal(ADDRESS, ids, conf, source))
    return [p for p in out if p.word_ids]
