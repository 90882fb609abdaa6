"""The fixed train/dev split of every shared dataset.

A document goes to `dev` when the SHA-1 of its id (file stem), read as an
integer, is divisible by 5: about 20 % dev, stable across machines, Python
versions and dataset orderings, and independent of how many documents a copy of
the dataset holds. Every training run, tuning run, entity-database seed and
reported number uses this split; nothing trains on `dev`.
"""

from __future__ import annotations

import hashlib
from typing import Iterable, Literal, TypeVar

Split = Literal["train", "dev"]
DEV_MODULUS = 5

T = TypeVar("T")


def split_of(doc_id: str) -> Split:
    digest = int(hashlib.sha1(doc_id.encode("utf-8")).hexdigest(), 16)
    return "dev" if digest % DEV_MODULUS == 0 else "train"


def in_split(doc_id: str, split: str | None) -> bool:
    """True when `doc_id` belongs to `split` ("train", "dev", or None/"all" for everything)."""
    if split in (None, "", "all"):
        return True
    if split not in ("train", "dev"):
        raise ValueError(f"unknown split {split!r}; use train, dev or all")
    return split_of(doc_id) == split


def filter_split(ids: Iterable[str], split: str | None) -> list[str]:
    return [i for i in ids if in_split(i, split)]
