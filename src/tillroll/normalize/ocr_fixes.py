"""OCR confusions between digits and letters, repaired where the context says which was meant."""

from __future__ import annotations

import re
from functools import lru_cache

# Letters OCR prints where a digit was meant. Applied only inside runs that are
# already mostly digits, so words like "SOLO" are untouched.
_DIGIT_LOOKALIKES = str.maketrans(
    {"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "i": "1", "|": "1", "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2"}
)
# Runs of digits and look-alikes that contain at least one real digit (others never need fixing).
_DIGITISH_RUN = re.compile(r"[OoDQlIi|SsBZz]*[0-9][0-9OoDQlIi|SsBZz]*")
_DECIMAL_LETTERS = re.compile(r"(?<=\d[.,])[Oo0]{2}(?![A-Za-z0-9])")
# Either rewrite can only change a text that has a look-alike touching a digit, or an "O"
# right after a decimal mark; most receipt lines have neither and skip both substitutions.
_MAY_NEED_FIX = re.compile(r"[OoDQlIi|SsBZz][0-9]|[0-9][OoDQlIi|SsBZz]|[0-9][.,]0?[Oo]")


@lru_cache(maxsize=16384)
def fix_digits(text: str) -> str:
    """Replace digit look-alike letters inside mostly-numeric runs; length is preserved.

    A run is rewritten when it has at least one real digit and its real digits
    outnumber the look-alikes, e.g. "2O18" -> "2018", "l2.5O" -> "12.50",
    but "SOLD" or "IS" stay as they are.
    """

    def repl(m: re.Match[str]) -> str:
        run = m.group(0)
        if run.isdigit():
            return run
        digits = sum(c.isdigit() for c in run)
        lookalikes = len(run) - digits
        if digits == 0 or digits < lookalikes:
            return run
        if digits == lookalikes:
            # A tie ("O3", "1s") is rewritten only when no other letter touches the
            # run: "O3-2018" is a month, "1st" is an ordinal.
            before = text[m.start() - 1] if m.start() else " "
            after = text[m.end()] if m.end() < len(text) else " "
            if before.isalpha() or after.isalpha():
                return run
        return run.translate(_DIGIT_LOOKALIKES)

    if not _MAY_NEED_FIX.search(text):
        return text
    text = _DIGITISH_RUN.sub(repl, text)
    # Decimals read as letters right after a decimal mark: "9.OO" -> "9.00".
    return _DECIMAL_LETTERS.sub(lambda m: m.group(0).translate(_DIGIT_LOOKALIKES), text)


# "1" and "0" read for "l" and "o" inside lower-case words ("Randa11 Road", "Ko11nerhofgasse",
# "C0ffee"): a run of them counts only with a lower-case letter on one side and a letter on
# the other, or as "11" ending a lower-case word ("Ma11", "Mi11"). Upper-case codes ("K1A",
# "B1") and numbers glued to words ("District1", "Level 1", "Suite11") are left as printed.
_LETTER_LOOKALIKE_RUN = re.compile(r"(?<=[a-z])[10]+(?=[A-Za-z])|(?<=[A-Za-z])[10]+(?=[a-z])|(?<=[a-z])11(?![\w])")
_NUMBERED_PLACES = frozenset(
    "suite ste unit level lvl floor flr lot block blk shop stall no room rm gate bay apt flat store site pier dock lane row street road district zone".split()
)
_LETTER_LOOKALIKES = str.maketrans({"1": "l", "0": "o"})
_CAPITAL_ZERO = re.compile(r"(?<=[^\W\d_])0(?=[^\W\d_])")


@lru_cache(maxsize=4096)
def fix_letters_in_words(text: str) -> str:
    """Undo digit-for-letter OCR slips inside words of a name or address; length is preserved.

    A word is only touched when its digits are all such look-alikes, so "B4-03",
    "#01-19" and "94040" keep their digits.
    """
    if "1" not in text and "0" not in text:
        return text

    def fix_word(m: re.Match[str]) -> str:
        word = m.group(0)
        if sum(c.isalpha() for c in word) < 2 or any(c.isdigit() and c not in "10" for c in word):
            return word
        if word.rstrip("10").lower() in _NUMBERED_PLACES:
            return word
        word = _LETTER_LOOKALIKE_RUN.sub(lambda r: r.group(0).translate(_LETTER_LOOKALIKES), word)
        # An O read as 0 inside a capitalised word ("DÜSSELD0RF", "H0TEL"): only zeros, letters
        # on both sides, four letters at least, so codes such as "K1A" or "B0X" stay.
        if "0" in word and sum(c.isalpha() for c in word) >= 4 and not any(c.isdigit() and c != "0" for c in word):
            word = _CAPITAL_ZERO.sub("O", word)
        return word

    return re.sub(r"[A-Za-z0-9]+", fix_word, text)
