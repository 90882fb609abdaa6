"""Pattern rules (paper 6.1): regular expressions plus a little logic that label words.

Each rule looks at one printed line (and sometimes the line below it) and
returns `RuleMatch`es naming the words it is sure about. Rules are written
against the line's text as OCR read it, so they tolerate the usual confusions:
"." for ",", "0" for "O", "5" for "S", "1"/"l"/"!" for "I"/"L", "EX0" for
"EXO", "MI" for "MT". The keyword lists are data at the top of the module, so
adding a language is an edit here and nowhere else.

Rules never decide between competing totals; they label every total line and
the field assembler picks one using the checks (see `extract.assemble`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..document import Word
from ..labels import DATE_TIME, TELEPHONE, TOTAL, VAT_INCLUDED, VAT_INFO
from ..normalize import TAX_ID_NAMES, find_amounts, find_dates, find_phones, find_times, parse_vat_number

# Confidence a regex match gives its words when the rules run on their own.
PATTERN_CONFIDENCE = 0.95


@dataclass(frozen=True)
class RuleMatch:
    label: str
    word_ids: tuple[int, ...]
    rule: str
    confidence: float = PATTERN_CONFIDENCE


class LineText:
    """A line's words joined by single spaces, with each word's character span."""

    def __init__(self, words: Sequence[Word]) -> None:
        self.words = list(words)
        parts, spans, pos = [], [], 0
        for w in self.words:
            spans.append((pos, pos + len(w.text)))
            parts.append(w.text)
            pos += len(w.text) + 1
        self.text = " ".join(parts)
        self.upper = self.text.upper()
        self.fixed = fix_letters(self.upper)
        self.digits = sum(map(str.isdigit, self.text))
        self.spans = spans

    def words_in(self, start: int, end: int) -> list[Word]:
        """Words whose characters overlap text[start:end]."""
        return [w for w, (s, e) in zip(self.words, self.spans) if s < end and start < e]

    def ids_in(self, start: int, end: int) -> tuple[int, ...]:
        return tuple(w.id for w in self.words_in(start, end))


# ---------------------------------------------------------------------------
# Keyword vocabularies (upper case; OCR-tolerant character classes)
# ---------------------------------------------------------------------------

_T = "[T7]"
_O = "[O0Q]"
_L = "[L1I!|]"
_I = "[I1L!|]"
_S = "[S5$]"
_TOTAL_WORD = rf"{_T}\s?{_O}\s?{_T}\s?A\s?{_L}E?"
_SUB = rf"{_S}U\s?B"

# Words that announce the amount due. "NET TOTAL" is kept: on Malaysian receipts it is
# usually the amount due; the assembler ranks it below GRAND/NETT/ROUNDED totals and
# lets the arithmetic decide.
TOTAL_KEYWORDS = re.compile(
    rf"(?<![A-Z])(?:GRAND\s*{_TOTAL_WORD}|NETT\s*{_TOTAL_WORD}|ROUND(?:ED|ING)?\s*D?\s*{_TOTAL_WORD}|{_TOTAL_WORD}\s*ROUNDED"
    rf"|{_TOTAL_WORD}\s*(?:AMOUNT|AMT|PAYABLE|DUE|SALES|PRICE|INCL\w*|\(INCL\w*|\(RM\)|RM|EUR|€)?"
    rf"|AMOUNT\s*DUE|AMT\s*DUE|BALANCE\s*DUE|AMOUNT\s*PAYABLE|TO\s*PAY|JUMLAH|TOTALE|GESAMT\w*|SUMME|SUMA|IMPORTE|A\s*PAGAR)(?![A-Z])"
)
_TOTAL_PREFILTER = re.compile(r"T\s?[O0Q]\s?T|DUE|PAY|JUMLAH|GESAMT|SUMM|SUMA|IMPORTE|PAGAR")
# A total keyword next to one of these is a different number (items, tax, pre-tax sum...).
NOT_TOTAL = re.compile(
    rf"{_SUB}|(?<![A-Z])(?:QTY|QUANTITY|ITEMS?|ITEM\(S\)|PCS|UNITS?|DISC\w*|SAVING\w*|SAVED|EXCL\w*|BEFORE|W/O|WITHOUT"
    rf"|VAT|GST|SST|TAX\w*|POINTS?|WEIGHT|TIPS?|CHANGE|TENDER\w*|REBATE|VOUCHER|DEPOSIT|PAID)(?![A-Z])"
)
# But these mean the line is still the amount due, even though a tax word is on it.
# ("TOTAL INCLUDES 6% GST 1.61" is the tax: the verb forms announce the tax amount.)
TAX_INCLUSIVE = re.compile(r"INCL(?:\.|USIVE|(?![A-Z]))|INC\.?\s*(?:GST|VAT|TAX)|W/\s*(?:GST|VAT)|WITH\s*(?:GST|VAT)")

# Tax in the languages of the receipts we meet; Indonesian "PAJAK" and "PPN" (its VAT) included.
_TAX_WORD = r"(?:VAT|V\.A\.T\.?|GST|SST|TAX|IVA|TVA|MWST|UST|BTW|PTU|PAJAK|PPN)"
# A tax keyword standing as a word ("MwSt 10%", "TAX TOTAL"), for the rules and the assembler's tax lines.
TAX_WORD = re.compile(rf"(?<![A-Z]){_TAX_WORD}(?![A-Z])")
# Cheap test before the full VAT parser: a tax keyword, an EU prefix glued to digits, or 12 digits (Malaysian GST).
_VAT_PREFILTER = re.compile(rf"VAT|GST|SST|TAX|TIN|EX[O0]|ABN|REG|BTW|TVA|IVA|UST|MWST|{TAX_ID_NAMES}|(?<![A-Z])[A-Z]{{2}}\s?[-:.]?\s?\d{{3}}|\d{{12}}")
_TAX_PREFILTER = re.compile(r"VAT|V\.A|GST|SST|TAX|IVA|TVA|MWST|UST|BTW|PTU|PAJAK|PPN")
_TAX_AFTER_TOTAL = re.compile(rf"[\s.:]*{_TAX_WORD}(?![A-Z])")
VAT_AMOUNT_LINE = re.compile(rf"(?<![A-Z]){_TAX_WORD}(?![A-Z])|(?<!\d)\d{{1,2}}(?:[.,]\d{{1,2}})?\s?%")
# Lines that carry a tax *number*, not a tax amount.
VAT_NUMBER_CUES = re.compile(
    rf"(?<![A-Z]){_TAX_WORD}\s*(?:REG\w*|ID|NO\.?|N0|NUM\w*|#|IDENT\w*)(?![A-Z])|(?<![A-Z])(?:EX[O0]|TIN|ABN|CO\.?\s?REG|{TAX_ID_NAMES})(?![A-Z])"
)
TAX_EXCLUSIVE = re.compile(r"EXCL\w*|BEFORE|W/O|WITHOUT|NET\s+OF")

PHONE_KEYWORDS = re.compile(
    # A lone "T" counts only as "T:" / "T." (it starts too many other words).
    r"(?<![A-Z])(?:(?:TE[L1I](?:EPHONE|EFON|EFONU)?|PHONE|PH|MOBILE|MOB|CELL|FAX|H/?P|HOTLINE|CONTACT|WHATSAPP|CALL)\s*"
    r"(?:NO\.?|N0|NUMBER|#)?\s*[:.]?|T\s?[:.])",
)


_PHONE_LAYOUT = re.compile(r"(?<![\w/.-])(?:\(\d{3}\)\s?\d{3}[-.\s]\d{4}|\d{3}[-.]\d{3}[-.]\d{4}|0\d{1,2}-\d{3,4}\s?\d{4})(?![\w/.-])")
# A line that prints nothing but a North American number, in any layout ("7349944004",
# "#(609)-298-4650", "575-1628095"): the area code and exchange never start with 0 or 1.
_PHONE_ALONE = re.compile(r"\s*#?\s*\(?[2-9]\d{2}\)?[-.\s]?[2-9]\d{2}[-.\s]?\d{4}\s*")


def _amount_spans(line: LineText) -> list[tuple[int, int]]:
    return [a.span for a in find_amounts(line.text) if "." in line.text[a.span[0] : a.span[1]] or "," in line.text[a.span[0] : a.span[1]]]


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------


def total_rule(line: LineText, next_line: LineText | None) -> list[RuleMatch]:
    """TOTAL / AMOUNT DUE / GRAND TOTAL ... followed by an amount (here or on the next line)."""
    upper = line.fixed
    if not _TOTAL_PREFILTER.search(upper):
        return []
    m = TOTAL_KEYWORDS.search(upper)
    if not m:
        return []
    if NOT_TOTAL.search(upper) and not TAX_INCLUSIVE.search(upper):
        return []
    if TAX_WORD.search(upper[: m.start()]):
        return []  # "GST @6% included in total 0.75" is the tax, not the total
    if _TAX_AFTER_TOTAL.match(upper, m.end()) and not TAX_INCLUSIVE.search(upper):
        return []  # "TOTAL TAX 5.67", "SUMME MWST 10,13": the sum of the taxes
    if find_dates(line.text) or VAT_NUMBER_CUES.search(upper):
        return []
    amounts = [s for s in _amount_spans(line) if s[0] >= m.start()]
    if amounts:
        return [RuleMatch(TOTAL, line.ids_in(m.start(), amounts[-1][1]), "total")]
    # "TOTAL" alone, with its amount printed on the next line (or OCR split the row). Not the
    # last column of a VAT summary's header ("Aliq. Imponibile Imposta Totale") over a row of
    # rates and amounts: that row's gross is one rate's share, not the amount due.
    if next_line is not None and len(upper[: m.start()].split()) <= 2:
        nxt = _amount_spans(next_line)
        letters = sum(c.isalpha() for c in next_line.text)
        if nxt and letters <= 4 and "%" not in next_line.text and not TOTAL_KEYWORDS.search(fix_letters(next_line.upper)):
            return [RuleMatch(TOTAL, line.ids_in(m.start(), m.end()) + next_line.ids_in(*nxt[-1]), "total_next_line")]
    return []


def date_time_rule(line: LineText) -> list[RuleMatch]:
    """Dates (numeric, English or Maltese month names) and times of day."""
    if line.digits < 2:
        return []
    out: list[RuleMatch] = []
    for d in find_dates(line.text):
        out.append(RuleMatch(DATE_TIME, line.ids_in(*d.span), "date"))
    for t in find_times(line.text):
        out.append(RuleMatch(DATE_TIME, line.ids_in(*t.span), "time"))
    return out


def vat_info_rule(line: LineText) -> list[RuleMatch]:
    """VAT / GST / tax registration numbers, with the keyword that announces them."""
    if line.digits < 4 or not _VAT_PREFILTER.search(line.fixed):
        return []
    parsed = parse_vat_number(line.text)
    if not parsed:
        return []
    cue = VAT_NUMBER_CUES.search(line.fixed)
    if parsed.scheme == "generic" and not cue:
        return []
    start = min(cue.start(), parsed.span[0]) if cue else parsed.span[0]
    return [RuleMatch(VAT_INFO, line.ids_in(start, parsed.span[1]), "vat_number")]


def telephone_rule(line: LineText) -> list[RuleMatch]:
    """TEL/PHONE/MOBILE/FAX numbers, several in a row, and +356/00356 numbers without a keyword."""
    if line.digits < 6:
        return []
    kw = PHONE_KEYWORDS.search(line.upper)
    if kw:
        after = [p for p in find_phones(line.text) if p.span[0] >= kw.start() and len(p.digits) >= 7]
        if after:
            return [RuleMatch(TELEPHONE, line.ids_in(kw.start(), after[-1].span[1]), "telephone")]
    # Without a keyword: a number in a national phone layout that is not part of an
    # amount or a date ("(415) 379-3604", "702-399-8282", "03-5542 3228").
    fmt = _PHONE_LAYOUT.search(line.text)
    if fmt:
        taken = [*_amount_spans(line), *(d.span for d in find_dates(line.text))]
        if not any(a < fmt.end() and fmt.start() < b for a, b in taken):
            return [RuleMatch(TELEPHONE, line.ids_in(*fmt.span()), "telephone_layout", 0.8)]
    if _PHONE_ALONE.fullmatch(line.text):
        return [RuleMatch(TELEPHONE, line.ids_in(0, len(line.text)), "telephone_alone", 0.7)]
    # Without a keyword only an unmistakable international number counts ("+356 ...", "00356 ...");
    # "00" + digits of an unknown calling code is more often a tax number.
    if "+" in line.text or "00" in line.text:
        intl = [
            p
            for p in find_phones(line.text)
            if p.e164 and len(p.digits) >= 9 and (p.country is not None or line.text[p.span[0] : p.span[1]].lstrip().startswith("+"))
        ]
        if intl:
            return [RuleMatch(TELEPHONE, line.ids_in(intl[0].span[0], intl[-1].span[1]), "telephone_international")]
    return []


def vat_included_rule(line: LineText) -> list[RuleMatch]:
    """Tax amounts: "GST @6% 3.41", "VAT 18% 1.23", "TAX TOTAL 5.67", rows of a VAT summary."""
    if line.digits < 2 or not _TAX_PREFILTER.search(line.fixed):
        return []
    upper = line.fixed
    if not VAT_AMOUNT_LINE.search(upper) or VAT_NUMBER_CUES.search(upper):
        return []
    total_kw = TOTAL_KEYWORDS.search(upper)
    tax_kw = TAX_WORD.search(upper)
    if total_kw and TAX_INCLUSIVE.search(upper) and (tax_kw is None or total_kw.start() < tax_kw.start()):
        return []  # "TOTAL INCL. GST": the amount due, not the tax
    if TAX_EXCLUSIVE.search(upper):
        return []  # "TOTAL EXCLUDING GST": a subtotal
    if tax_kw is None:
        return []  # a bare "6%" is a discount unless a tax word is on the line
    if find_dates(line.text) or find_phones(line.text) and PHONE_KEYWORDS.search(upper):
        return []
    amounts = _amount_spans(line)
    if not amounts:
        return []
    start = VAT_AMOUNT_LINE.search(upper)
    return [RuleMatch(VAT_INCLUDED, line.ids_in(start.start() if start else amounts[0][0], amounts[-1][1]), "vat_amount")]


_MIXED = re.compile(r"[A-Z][0-9!|$]|[0-9!|$][A-Z]")
_LETTER_FIXES = str.maketrans({"0": "O", "1": "I", "5": "S", "$": "S", "!": "I", "|": "I"})


@lru_cache(maxsize=8192)
def fix_letters(upper: str) -> str:
    """Undo digit-for-letter confusions inside words that are mostly letters ("T0TAL" -> "TOTAL")."""
    if not _MIXED.search(upper):
        return upper  # no letter touches a look-alike digit: nothing to undo (most lines)

    def repl(m: re.Match[str]) -> str:
        word = m.group(0)
        letters = sum(c.isalpha() for c in word)
        return word.translate(_LETTER_FIXES) if letters >= 3 and letters > len(word) - letters else word

    return re.sub(r"[A-Z0-9!|$]+", repl, upper)


# Order matters only when two rules claim the same word: earlier rules win.
def match_line(line: LineText, next_line: LineText | None = None) -> list[RuleMatch]:
    """All pattern-rule matches of one line, most specific rule first."""
    if line.digits < 2:  # every rule but TOTAL (whose amount may be on the next line) needs digits
        return [m for m in total_rule(line, next_line) if m.word_ids]
    out: list[RuleMatch] = []
    out += vat_info_rule(line)
    out += telephone_rule(line)
    out += total_rule(line, next_line)
    out += vat_included_rule(line)
    out += date_time_rule(line)
    return [m for m in out if m.word_ids]


def match_document_lines(lines: Sequence[Sequence[Word]]) -> list[RuleMatch]:
    texts = [LineText(line) for line in lines]
    out: list[RuleMatch] = []
    for i, lt in enumerate(texts):
        out += match_line(lt, texts[i + 1] if i + 1 < len(texts) else None)
    return out
