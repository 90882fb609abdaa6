"""Which country a receipt comes from: the configured hint, else evidence in its text.

Two kinds of evidence add up. Hand-written patterns for the countries of the
training data (Malaysian street words, Maltese VAT ids, US ZIP codes), and,
for every other country, the facts tillroll already keeps in one place:
an international phone number's calling code (`normalize.phones`) and an EU
VAT id's country prefix (`normalize.tax_ids`). So a receipt from Lisbon or
Zagreb gets its country, and its phone numbers and day/month order with it,
without a pattern written for it.
"""

from __future__ import annotations

import re
from collections import Counter

from ...normalize import find_phones, parse_vat_number

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


# A VAT id carries weight of two phone numbers: it names the seller's country outright.
_VAT_WEIGHT = 2


def generic_country_evidence(text: str) -> Counter[str]:
    """Votes per country from international phone numbers and EU VAT ids, one line at a time."""
    votes: Counter[str] = Counter()
    for line in text.splitlines():
        if "+" in line:
            # Only numbers printed with "+": the phone parser also reads "00" as international,
            # and receipts print zero-padded ids (GST numbers) that would then name a country.
            for phone in find_phones(line):
                if phone.country and line[phone.span[0] : phone.span[1]].lstrip().startswith("+"):
                    votes[phone.country] += 1
        vat = parse_vat_number(line)
        if vat and getattr(vat, "scheme", "") == "eu_vat" and getattr(vat, "country", None):
            votes[str(vat.country)] += _VAT_WEIGHT
    return votes


def infer_country(text: str, hint: str | None = None) -> str | None:
    """ISO 3166 alpha-2 country of the receipt: the hint, else the strongest evidence in its text."""
    if hint:
        return hint.upper()
    upper = text.upper()
    generic = generic_country_evidence(upper)
    # Pattern countries first, so a tie goes to the countries of the hand-written patterns, as before.
    scores: dict[str, int] = {}
    for country, rx, needs in _COUNTRY_EVIDENCE:
        if needs is not None and not any(n in upper for n in needs):
            continue
        if country == "MT" and "MALTA" not in upper:
            found = len(_MT_WITHOUT_MALTA.findall(upper))
        else:
            found = len(rx.findall(upper))
        # The hand-written pattern already counts its own country's calling code: no double count.
        scores[country] = max(found, generic[country])
    for country, votes in generic.items():
        scores.setdefault(country, votes)
    if not scores:
        return None
    best = max(scores, key=lambda c: scores[c])
    return best if scores[best] else None
