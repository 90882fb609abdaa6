"""What the entity database is made of: kinds and sources, the seed shipped with the package,
how texts are keyed (OCR-folded skeletons and their trigrams), and what lookups return.

`tillroll.rules.entities` re-exports every name; its INDEX_FORMAT must change
with `skeleton` or `trigrams`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

from ..errors import ConfigError
from ..labels import ADDRESS, SHOP_NAME

ENTITY_KINDS: tuple[str, ...] = (SHOP_NAME, ADDRESS)
ENTITY_SOURCES: tuple[str, ...] = ("seed", "human", "model", "rule")
SEED_RESOURCE = "entities_seed.json"

# "(1070687-M)", "S/B(587969-U)", "8OZTZ5-U": Malaysian company numbers glued to or after a name.
# Stored shop names rarely carry them, so a printed one is dropped before a name lookup.
COMPANY_NUMBER = re.compile(r"\s*\(?\s*(?:CO\.?\s*(?:REG\.?\s*)?NO\.?\s*:?\s*)?[0-9A-Z]*\d[0-9A-Z]{3,9}\s*-\s*[A-Z0-9]\s*\)?\s*$|\s*\([^)]*\d{4,}[^)]*\)?\s*$")

_FOLD = str.maketrans({"0": "O", "Q": "O", "D": "O", "1": "I", "L": "I", "5": "S", "8": "B", "2": "Z", "6": "G"})
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")


@lru_cache(maxsize=4096)
def skeleton(text: str) -> str:
    """Upper-case letters and digits only, with OCR-confusable characters folded together."""
    return _NON_ALNUM.sub("", text.upper()).translate(_FOLD)


def trigrams(skel: str) -> set[str]:
    if len(skel) < 3:
        return {skel} if skel else set()
    return {skel[i : i + 3] for i in range(len(skel) - 2)}


class EntityMatch(NamedTuple):
    """One stored entity scored against a query (a tuple: a receipt makes dozens, cheaply)."""

    kind: str
    text: str  # the entity as stored
    score: float  # 0-100: how well the whole query matches the whole entity
    partial: float  # 0-100: how well the query matches a part of the entity (address lines)
    entity_id: int
    source: str


@dataclass(frozen=True)
class DocumentEntity:
    """An entity found on a receipt: which lines and words, and the database row it matched."""

    kind: str
    line_indices: tuple[int, ...]
    word_ids: tuple[int, ...]
    match: EntityMatch


def _check_kind(kind: str) -> str:
    if kind not in ENTITY_KINDS:
        raise ConfigError(f"unknown entity kind {kind!r}; use one of: {', '.join(ENTITY_KINDS)}")
    return kind


def load_seed() -> list[tuple[str, str]]:
    """(kind, text) rows of the seed shipped inside the package."""
    try:
        data = json.loads(resources.files("tillroll.rules.data").joinpath(SEED_RESOURCE).read_text(encoding="utf-8"))
    except FileNotFoundError:  # pragma: no cover - broken install
        return []
    return [(e["kind"], e["text"]) for e in data.get("entities", [])]
