"""Seller and buyer of an invoice, decided by layout and cues, never by taking the first line.

Seller, in order of evidence:
1. the small sender line above the window-envelope address ("Bei Spiel GmbH ● Ecke 12 ●
   12345 Stadthausen"): a line of three or more parts split by separators, one of
   them a postal code; its first part is the seller's name, the rest the address;
2. the letterhead: the first block of page 1 that is not a title, a date, a label
   line or a header repeated on every page.

Buyer, in order of evidence:
1. a block announced by a buyer label ("Bill to", "Rechnungsempfänger", "Client");
2. the window-envelope block at the top left of page 1 (under the sender line);
3. a delivery address ("Adresse de livraison"), when no billing address is printed.
Salutation lines ("Herr", "Firma", "Mme") are skipped: the name is the next line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ...document import Page, Word
from .layout import Hit, Line, Piece, segments, words_of
from .lexicon import ADDRESS_LABEL, ATTENTION, DOCTYPE, FIELD, SALUTATION, Lexicon
from .values import label_hits as _labels

_SEPARATORS = re.compile(r"^(?:[●•·|–\-/,]|\u2022|\u25cf|\u00b7)$")
# A postal code opening a line, then the town: "12345 Stadthausen", "D-07545 GERA", "69001 Lyon".
_CITY_LINE = re.compile(r"^(?:[A-Z]{1,2}-)?\d{4,5}\s*[^\W\d]")
# Postal codes of the European countries the label tables cover: 4-5 digits (DE, FR, IT, ES,
# AT, CH, BE, DK, NO, FI, EE), with a country prefix ("D-07545", "LV-1050"), Dutch "7848 JK",
# Swedish "194 92", Polish "00-950", Portuguese "1000-001", British "NR8 8HG", "EC9A 9BB".
_POSTCODE = re.compile(r"(?<![\w-])(?:(?:[A-Z]{1,2}-)?\d{4,5}|\d{4} ?[A-Z]{2}|\d{3} \d{2}|\d{2}-\d{3}|\d{4}-\d{3}|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})(?![\w-])")


# A street with its house number: "Kerkstraat 140", "174 High Street", "ul. Słoneczna 75", "Calle Mayor 65".
_STREET = re.compile(r"^\d{1,4}[a-z]?,?\s+[^\W\d]{3,}|[^\W\d]{3,}\.?\s+\d{1,4}[a-z]?(?:[-/]\d{1,4})?$")


def _city_line(text: str) -> bool:
    """A line naming a place with its postal code ("12345 Stadthausen", "Norwich NR8 8HG")."""
    if _CITY_LINE.match(text):
        return True  # also "88802Spielkreis", glued by the PDF's producer
    m = _POSTCODE.search(text)
    if m is None or len(text.split()) > 7:
        return False
    rest = text[: m.start()] + " " + text[m.end() :]
    return any(sum(ch.isalpha() for ch in w) >= 3 for w in rest.split())


@dataclass
class Party:
    name: list[Word]
    address: list[Word]
    lines: set[int]  # line indices the party's block covers


def _text(pieces: Sequence[Piece]) -> str:
    return " ".join(p.text for p in pieces)


def repeated_lines(lines: Sequence[Line]) -> set[int]:
    """Lines printed on every page at the same height (page headers and footers)."""
    pages = sorted({line.page for line in lines})
    if len(pages) < 2:
        return set()
    by_text: dict[str, list[int]] = {}
    for line in lines:
        key = re.sub(r"\d+", "#", line.text.lower())
        by_text.setdefault(key, []).append(line.index)
    out: set[int] = set()
    for idxs in by_text.values():
        if len({lines[i].page for i in idxs}) >= min(len(pages), 2):
            out.update(idxs)
    return out


def _parts(pieces: Sequence[Piece], height: float | None = None) -> list[list[Piece]]:
    """`pieces` split at separators ("●", "|", "-") and, given the line `height`, at gaps wider
    than a word space (OCR drops thin separators such as "●" and leaves their gap)."""
    parts: list[list[Piece]] = [[]]
    for p in pieces:
        if height is not None and parts[-1] and p.x0 - parts[-1][-1].x1 > 1.0 * height:
            parts.append([])
        if _SEPARATORS.match(p.text):
            parts.append([])
        elif p.text.endswith(("|", "●", "•", "·")) and len(p.text) > 1:
            parts[-1].append(p)
            parts.append([])
        else:
            parts[-1].append(p)
    return [x for x in parts if x]


def sender_line(lines: Sequence[Line], page: Page | None) -> tuple[int, list[list[Piece]]] | None:
    """The small sender line of a window envelope, or a letterhead line of the same shape."""
    height = page.height if page else None
    for line in lines:
        if line.page != 0:
            break
        if height and line.y0 > 0.45 * height:
            break
        for s, e in segments(line, 3.0):
            parts = _parts(line.pieces[s:e])
            # The first part is a name, not a street ("Kerkstraat 140 · 7848 JK Eindhoven · Tel ..."
            # under a letterhead is the letterhead's address line).
            if len(parts) >= 3 and any(_POSTCODE.search(_text(p)) for p in parts[1:]) and not _STREET.search(_text(parts[0])):
                if sum(ch.isalpha() for ch in _text(parts[0])) >= 2:
                    return line.index, parts
            # Read by OCR, the separators may be gone: parts by their gaps, then with a
            # postal code opening a part ("12345 Stadthausen") and no label on the line.
            parts = _parts(line.pieces[s:e], line.height)
            if len(parts) >= 3 and any(_city_line(_text(p)) for p in parts[1:]) and not _is_label_line(line) and not _STREET.search(_text(parts[0])):
                if sum(ch.isalpha() for ch in _text(parts[0])) >= 2:
                    return line.index, parts
    return None


# Phone and e-mail labels that open a contact line ("Tel:", "Fon", "Teléfono", "E").
_PHONE_LABEL = re.compile(r"^(?:tel|tél|telefon|telephone|téléphone|teléfono|telefono|telefone|phone|ph|fon|fax|tlf|puh|e-?mail)\b[.:]?", re.IGNORECASE)


# One-letter phone marks of letterheads ("T: 020 ...", "T 06 ...", "M: 07..."); only before a number.
_PHONE_MARK = re.compile(r"^[TFM]\.?:?$")


def _contact(pieces: Sequence[Piece]) -> bool:
    text = _text(pieces)
    return "@" in text or "http" in text.lower() or "www." in text.lower() or text.startswith(("+", "✉", "☎"))


def _is_label_line(line: Line) -> bool:
    return any(h.names(FIELD) or h.names(DOCTYPE) for h in line.hits)


def _opens_with_label(line: Line, seg: Sequence[Piece]) -> bool:
    """Whether the block segment `seg` of `line` starts with a label (of a field or a title)."""
    if not seg:
        return False
    a = next(i for i, p in enumerate(line.pieces) if p is seg[0])
    return any(line.pieces[h.start] is seg[0] for h in _labels(line, a, a + len(seg)))


def _opens_party_block(line: Line, seg: Sequence[Piece]) -> bool:
    """Whether `seg` opens with the label of a party's block ("Bill to", "Rechnungsempfänger", "Ship to")."""
    return bool(seg) and any(line.pieces[h.start] is seg[0] and set(h.names(FIELD)) & {"buyer", "ship_to", "seller"} for h in line.hits)


def _salutation(pieces: Sequence[Piece], lexicon: Lexicon) -> tuple[int, str]:
    """How many leading pieces are a salutation ("Herr", "Firma"), an attention mark ("Attn:",
    "t.a.v.", which opens a contact person's line) or an address label ("Adresas:"), and which:
    "salutation", ATTENTION, ADDRESS_LABEL, or "" when none."""
    joined = ""
    best, kind = 0, ""
    for k, p in enumerate(pieces[:3]):
        joined += p.key
        names = {m.name for m in lexicon.lookup(joined) if m.kind == SALUTATION}
        if names:
            best = k + 1
            kind = ATTENTION if ATTENTION in names else ADDRESS_LABEL if ADDRESS_LABEL in names else "salutation"
    return best, kind


def _block_below(lines: Sequence[Line], start: int, x0: float, x1: float, max_lines: int = 6) -> list[tuple[int, list[Piece]]]:
    """Consecutive lines from `start` whose segment overlapping [x0, x1] stays in that column."""
    out: list[tuple[int, list[Piece]]] = []
    prev: Line | None = None
    for line in lines[start : start + 3 * max_lines]:
        last = lines[out[-1][0]] if out else prev
        if last is not None and line.page != last.page:
            break
        if out and last is not None:  # (with a block started, `last` is its last line)
            # Measured from our block's own last words: a line mixing a large name with a small
            # right-hand column has a median height far below the name's ("Theodor Est   phone ...").
            seg_y1 = max(p.word.y1 for p in out[-1][1])
            seg_h = max(p.word.y1 - p.word.y0 for p in out[-1][1])
            if line.y0 - seg_y1 > 3.0 * max(seg_h, last.height):
                break
        elif last is not None and line.y0 - last.y1 > 3.0 * last.height:
            break
        seg = None
        for s, e in segments(line):
            ps = line.pieces[s:e]
            # Left-aligned under the block, or centred or right-aligned under it (letterheads).
            h3 = 3 * line.height
            aligned = abs(ps[0].x0 - x0) < h3 or abs((ps[0].x0 + ps[-1].x1) - (x0 + x1)) / 2 < h3 or abs(ps[-1].x1 - x1) < h3
            if ps[0].x0 < x1 and ps[-1].x1 > x0 and aligned:
                seg = ps
                break
        if seg is None:
            if prev is None:
                prev = line
                continue
            # A line of another column between two of ours (a right-hand block printed lower).
            if out:
                continue
            break
        out.append((line.index, seg))
        prev = line
        if len(out) >= max_lines:
            break
    return out


def _party_from_block(block: list[tuple[int, list[Piece]]], lexicon: Lexicon, lines: Sequence[Line] | None = None) -> Party | None:
    name: list[Piece] = []
    address: list[Piece] = []
    used: set[int] = set()
    # Label hits inside each block segment (a hit further right on the line is another column's).
    line_hits: dict[int, list[Hit]] = {}
    if lines is not None:
        for idx, seg in block:
            if not seg:
                continue
            a = next((i for i, p in enumerate(lines[idx].pieces) if p is seg[0]), None)
            line_hits[idx] = _labels(lines[idx], a, a + len(seg)) if a is not None else []
    # An address set off by its own label ("Adresas: Gedimino pr. 5") may come after registration
    # lines ("Įmonės kodas: 305555555", "PVM kodas: LT..."): those stay in the block but neither
    # join nor close the address.
    labelled_address = next((idx for idx, seg in block[1:] if _salutation(seg, lexicon)[1] == ADDRESS_LABEL), None)
    for idx, seg in block:
        n, kind = _salutation(seg, lexicon)
        attention = kind == ATTENTION
        rest = seg[n:]
        if not rest or (attention and name):
            # "Attn: Maria Lopez" under the company's name: whom to write to, not part of the address.
            used.add(idx)
            continue
        if not name:
            if sum(ch.isalpha() for ch in _text(rest)) < 2:
                return None
            name = list(rest)
        elif labelled_address is not None and idx < labelled_address:
            used.add(idx)
            continue
        else:
            # Contact details and labelled lines (phone, VAT id, "Invoice no.") close the address,
            # also part-way along a line of parts ("Kerkstraat 140 · 7848 JK Eindhoven · Tel: ...").
            label_starts = {
                id(p)
                for h in line_hits.get(idx, ())
                if h.names(FIELD) or h.names(DOCTYPE)
                for p in rest
                if lines is not None and p is lines[idx].pieces[h.start]
            }
            stop = False
            for part in _parts(rest):
                if _contact(part) or part[0].text.startswith("+") or _PHONE_LABEL.match(part[0].text) or any(id(p) in label_starts for p in part):
                    stop = True
                    break
                # "Manchester M3 3AE T: 07340 133405": a one-letter phone mark before a number, part-way.
                mark = next((k for k in range(len(part) - 1) if _PHONE_MARK.match(part[k].text) and part[k + 1].text[:1] in "0123456789+("), None)
                if mark is not None:
                    address += part[:mark]
                    stop = bool(address)
                    break
                address += part
            if stop:
                if address:
                    used.add(idx)
                break
        used.add(idx)
    if not name:
        return None
    return Party(words_of(name), words_of(address), used)


def find_seller(lines: Sequence[Line], pages: Sequence[Page], lexicon: Lexicon, skip: set[int]) -> tuple[Party, int] | None:
    """(seller, line index of the sender line, letterhead or seller label) or None."""
    page = pages[0] if pages else None

    # A block under a seller label ("Sprzedawca", "Seller:", "Lieferant") says who sells, whatever
    # is printed above it (a title line "Faktura VAT nr ..." is no letterhead).
    # Only in the top half of the first page, where parties are printed: further down "From:" is
    # as likely a route or a period ("From: Berlin  To: Munich").
    def in_top_half(line: Line) -> bool:
        return line.page == 0 and (page is None or line.y0 < 0.5 * page.height)

    labelled = labelled_blocks(lines, lexicon, ("seller",), skip, where=in_top_half).get("seller")
    if labelled is not None and labelled.name:
        first = min(labelled.lines)
        return labelled, first
    found = sender_line(lines, page)
    if found is not None:
        idx, parts = found
        return Party(words_of(parts[0]), words_of([p for part in parts[1:] for p in part]), {idx}), idx
    for line in lines:
        if line.page != 0 or (page and line.y0 > 0.35 * page.height):
            break
        if line.index in skip:
            continue
        # The first block of the line without a label: a label further right ("Seite 1 von 1")
        # does not disqualify the left block, and a title on the left ("CREDIT NOTE") leaves
        # the name printed beside it; a block right of a title has no digits (no date or page).
        seg = None
        for k, (a, b) in enumerate(segments(line)):
            if _labels(line, a, b):
                continue
            cand = line.pieces[a:b]
            text = _text(cand)
            if sum(ch.isalpha() for ch in text) >= 3 and (k == 0 or not any(ch.isdigit() for ch in text)):
                seg = cand
            break
        if seg is None:
            continue  # a title, a date or a page number
        # The letterhead's address block below the name, in the same column: its lines are
        # the seller's, so the buyer's window block is looked for outside them.
        # A line opening with a label is not the letterhead's; one with a label part-way
        # ("Piazza Duomo 28 · 98517 Milano · Telefono: 011 ...") is, up to that label.
        below = []
        for i, ps in _block_below(lines, line.index + 1, seg[0].x0, seg[-1].x1, 5):
            if _opens_party_block(lines[i], ps):
                break  # "Bill To:" right under the letterhead: the buyer's block begins
            if i not in skip and not _opens_with_label(lines[i], ps):
                below.append((i, ps))
        party = _party_from_block([(line.index, list(seg))] + below, lexicon, lines)
        if party is None or not party.name:
            return Party(words_of(seg), [], {line.index}), line.index
        party.name = words_of(seg)
        return party, line.index
    return None


def labelled_blocks(
    lines: Sequence[Line],
    lexicon: Lexicon,
    kinds: Sequence[str],
    ends: set[int] | frozenset[int] = frozenset(),
    where: Callable[[Line], bool] = lambda line: True,
) -> dict[str, Party]:
    """The first block each party label of `kinds` opens ("Bill to", "Kunde:", "Sprzedawca"), by kind.

    `ends`: lines that end a block (the item table, page headers and footers); `where`: lines a
    label may stand on.
    """
    labelled: dict[str, Party] = {}
    for line in lines:
        if not where(line):
            continue
        for hit in line.hits:
            names = hit.names(FIELD)
            kind = next((k for k in kinds if k in names), None)
            # A block label opens its column ("Bill to", "Kunde:"), it never ends a name ("Karl Kunde").
            if kind is None or kind in labelled or hit.start not in {a for a, _ in segments(line)}:
                continue
            rest = [p for p in line.pieces[hit.end : slice(*next(s for s in segments(line) if s[0] <= hit.start < s[1])).stop] if p.key]
            label_end = line.pieces[hit.end - 1]
            # A name on the label's line needs the label to end there ("Bill to: ACME", or a gap):
            # "Facture à régler par virement" is a sentence, not a buyer label.
            sets_off = label_end.text.endswith(":") or (rest and rest[0].x0 - label_end.x1 > line.height)
            if rest and not sets_off:
                continue
            if rest and len(rest) <= 6 and sum(ch.isalpha() for ch in _text(rest)) >= 2:
                party = Party(words_of(rest), [], {line.index})
                below = _block_below(lines, line.index + 1, hit.x0, hit.x0 + 12 * line.height, 5)
                more = _party_from_block([(line.index, rest)] + below, lexicon, lines)
                labelled[kind] = more or party
                continue
            if rest:
                continue  # "Customer: 2" is a customer number, not a name
            block = _block_below(lines, line.index + 1, hit.x0 - line.height, hit.x0 + 12 * line.height)
            # The block ends where the item table (or a repeated header) begins.
            cut = next((k for k, (i, _) in enumerate(block) if i in ends), len(block))
            block = block[:cut]
            found = _party_from_block(block, lexicon, lines) if block else None
            if found is not None:
                labelled[kind] = found
    return labelled


def find_buyer(
    lines: Sequence[Line], pages: Sequence[Page], lexicon: Lexicon, sender: int | None, skip: set[int], ends: set[int] | frozenset[int] = frozenset()
) -> Party | None:
    """The buyer's block: labelled, else the window-envelope block, else the delivery address.

    `skip`: lines no envelope block is taken from (the seller's, the table's, repeated ones);
    `ends`: lines that end a labelled block (the item table, page headers and footers).
    """
    labelled = labelled_blocks(lines, lexicon, ("buyer", "ship_to"), ends)
    if "buyer" in labelled:
        return labelled["buyer"]
    envelope = _envelope(lines, pages, lexicon, sender, skip)
    if envelope is not None:
        return envelope
    return labelled.get("ship_to")


def _envelope(lines: Sequence[Line], pages: Sequence[Page], lexicon: Lexicon, sender: int | None, skip: set[int]) -> Party | None:
    page = pages[0] if pages else None
    if page is None:
        return None
    start = sender + 1 if sender is not None else 0
    # Left-hand windows first (DIN 5008), then right-hand ones (French and Swiss letters).
    for left in (True, False):
        found = _envelope_side(lines, page, lexicon, sender, skip, start, left)
        if found is not None:
            return found
    return None


def _envelope_side(lines: Sequence[Line], page: Page, lexicon: Lexicon, sender: int | None, skip: set[int], start: int, left: bool) -> Party | None:
    for line in lines[start:]:
        if line.page != 0 or line.y0 > 0.45 * page.height:
            break
        if line.index in skip or line.index == sender:
            continue
        segs = [line.pieces[a:b] for a, b in segments(line)]
        first = segs[0] if left else next((sg for sg in segs if sg[0].x0 > 0.4 * page.width), segs[0])
        if (left and first[0].x0 > 0.5 * page.width) or (not left and first[0].x0 <= 0.4 * page.width) or _opens_with_label(line, first):
            continue
        if any(line.pieces[h.start] is first[0] and (h.names(DOCTYPE) or "invoice_number" in h.names(FIELD)) for h in line.hits):
            continue  # a title ("FATURA N.º FT 2024/219") opens no address block, whatever follows it
        if sum(ch.isalpha() for ch in _text(first)) < 2 or _contact(first):
            continue
        block = _block_below(lines, line.index, first[0].x0, first[-1].x1)
        # A bank block ("Bank: ... Sort code ..." over "IBAN GB33 ...") has a line that looks
        # like a postcode and a town, but it is where the money goes, not who is billed.
        # (Only labels inside the block's own segments: the line may carry another column.)
        banking = any(set(h.names(FIELD)) & {"iban", "bic"} and any(lines[i].pieces[h.start] is p for p in seg) for i, seg in block for h in lines[i].hits)
        if len(block) >= 2 and not banking and any(_city_line(_text(seg)) for _, seg in block[1:]):
            return _party_from_block(block, lexicon, lines)
    return None
