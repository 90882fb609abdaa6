"""Which country a receipt comes from: the configured hint, else evidence in its text."""

from __future__ import annotations

import re

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
