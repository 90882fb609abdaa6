"""The invoice vocabulary: one data table per language (labels/*.yaml) and one per country.

Each language table maps printed label phrases to what they announce: a field
(`fields`), a document type (`document_types`), a column of the line-item table
(`columns`), a column of the VAT summary (`tax_columns`), a salutation that
opens an address block or a contact person's line in it (`attention`), a word that
labels the address inside a party's block and is no part of it (`address_labels`:
"Adrese:", "Anschrift:"), a party label
that counts only standing alone over its block (`block_headings`: "To", "From"), or the opening of a payment-terms sentence
(`payment_sentences`: "Zahlbar innerhalb", "Please pay within"). Adding a language is adding a file; no code changes.

Phrases and printed words are compared in one normal form (`norm`): accents
dropped, case folded, everything but letters and digits removed. A phrase
matches consecutive words whose normal forms concatenate to the phrase's, so
"USt-IdNr.", "USt IdNr" and "UStIdNr" all match "ust idnr".
"""

from __future__ import annotations

import dataclasses
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from ...errors import ConfigError

# Kinds of phrase in a language table.
# The C loader reads the tables several times faster; both are safe loaders.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

FIELD, DOCTYPE, COLUMN, TAX_COLUMN, SALUTATION = "field", "doctype", "column", "tax_column", "salutation"
PAYMENT_SENTENCE = "payment_sentence"  # opens a sentence that states the payment terms
ATTENTION = "attention"  # a SALUTATION that opens a contact person's line ("Attn:", "z. Hd.")
ADDRESS_LABEL = "address_label"  # a SALUTATION-like word before an address in its block ("Adrese:", "Anschrift:")


# Letters and digits OCR mistakes for one another in print ("TIf." for "Tlf.", "0rg.nr." for
# "Org.nr."): on scanned pages a label is also looked up with these folded together.
_OCR_FOLD = str.maketrans({"i": "l", "1": "l", "0": "o"})


def ocr_fold(key: str) -> str:
    """`key` (a normal form) with the characters OCR confuses folded into one."""
    return key.translate(_OCR_FOLD)


def norm(text: str) -> str:
    """Accent-free, case-folded letters and digits of `text`: the form labels are matched in."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


@dataclass(frozen=True)
class Meaning:
    kind: str  # FIELD, DOCTYPE, COLUMN, TAX_COLUMN or SALUTATION
    name: str  # e.g. "invoice_number", "credit_note", "unit_price"
    language: str
    words: int  # how many words the phrase has: longer phrases are more specific
    # A heading label counts only standing alone in its block ("To" over the buyer's address),
    # never inside running text or a name ("Torino (TO)", "Please pay to").
    heading_only: bool = False


@dataclass(frozen=True)
class Lexicon:
    phrases: dict[str, tuple[Meaning, ...]]  # normal form -> meanings
    longest: int  # longest normal form, in characters
    countries: dict[str, dict[str, Any]]  # ISO 3166 alpha-2 -> {decimal, currency, iban, vat}
    language_countries: dict[str, tuple[str, ...]]
    # ocr_fold(phrase) -> meanings, for phrases of 3+ characters whose folded form no other phrase shares.
    ocr_phrases: dict[str, tuple[Meaning, ...]] = dataclasses.field(default_factory=dict)

    def lookup(self, key: str) -> tuple[Meaning, ...]:
        return self.phrases.get(key, ())

    def lookup_ocr(self, key: str) -> tuple[Meaning, ...]:
        """Meanings of a phrase as OCR may have misread it (only where the reading is unambiguous)."""
        return self.ocr_phrases.get(ocr_fold(key), ())


def _load_yaml(name: str) -> Any:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return yaml.load(text, Loader=_LOADER)


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """Every language table under labels/, merged into one phrase index (read once per process)."""
    phrases: dict[str, list[Meaning]] = {}
    language_countries: dict[str, tuple[str, ...]] = {}
    folder = resources.files(__package__).joinpath("labels")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        try:
            table = yaml.load(entry.read_text(encoding="utf-8"), Loader=_LOADER)
            language = str(table["language"])
        except (yaml.YAMLError, KeyError, TypeError) as exc:
            raise ConfigError(f"invoice label table {entry.name} is malformed: {exc}") from exc
        language_countries[language] = _country_codes(table.get("countries", ()), entry.name)

        def add(kind: str, name: str, phrase: Any, language: str = language, heading_only: bool = False, table: str = entry.name) -> None:
            if not isinstance(phrase, str):
                # YAML reads a bare no / yes / on / off as a boolean: Norwegian's "NO", English "no".
                raise ConfigError(f"invoice label table {table}: {phrase!r} under {name!r} is not text; put it in quotes")
            # A phrase of symbols only ("#" heading a position column) is kept as printed.
            key = norm(phrase) or phrase.strip()
            if key:
                phrases.setdefault(key, []).append(Meaning(kind, name, language, len(str(phrase).split()), heading_only))

        for name, items in (table.get("document_types") or {}).items():
            for p in items or ():
                add(DOCTYPE, name, p)
        for section, kind in (("fields", FIELD), ("columns", COLUMN), ("tax_columns", TAX_COLUMN)):
            for name, items in (table.get(section) or {}).items():
                for p in items or ():
                    add(kind, name, p)
        for name, items in (table.get("block_headings") or {}).items():
            for p in items or ():
                add(FIELD, name, p, heading_only=True)
        for p in table.get("salutations") or ():
            add(SALUTATION, "salutation", p)
        for p in table.get("attention") or ():
            add(SALUTATION, ATTENTION, p)
        for p in table.get("address_labels") or ():
            add(SALUTATION, ADDRESS_LABEL, p)
        for p in table.get("payment_sentences") or ():
            add(PAYMENT_SENTENCE, "payment_terms", p)
    country_table = _load_yaml("countries.yaml") or {}
    countries = dict(zip(_country_codes(list(country_table), "countries.yaml"), (dict(v) for v in country_table.values())))
    folded: dict[str, set[str]] = {}
    for key in phrases:
        if len(key) >= 3:
            folded.setdefault(ocr_fold(key), set()).add(key)
    return Lexicon(
        ocr_phrases={f: tuple(phrases[next(iter(keys))]) for f, keys in folded.items() if len(keys) == 1},
        phrases={k: tuple(v) for k, v in phrases.items()},
        longest=max((len(k) for k in phrases), default=0),
        countries=countries,
        language_countries=language_countries,
    )


def _country_codes(codes: Any, table: str) -> tuple[str, ...]:
    """ISO 3166 alpha-2 codes of a table, refusing anything else (a bare NO reads as false)."""
    out = tuple(codes or ())
    for code in out:
        if not (isinstance(code, str) and len(code) == 2 and code.isalpha() and code.isupper()):
            raise ConfigError(f"invoice table {table}: country {code!r} is not an ISO 3166 alpha-2 code; put it in quotes")
    return out


def languages() -> tuple[str, ...]:
    """The languages that have a label table."""
    return tuple(load_lexicon().language_countries)
