"""The fixed train/dev/test split of every shared dataset.

A document's split is decided by the SHA-1 of its id (file stem), read as an
integer `h`: stable across machines, Python versions and dataset orderings, and
independent of how many documents a copy of the dataset holds.

- `dev` (about 20 %): `h % 5 == 0`. Unchanged since the first session, so dev
  numbers stay comparable across sessions. Rules and thresholds are tuned here.
- `test` (about 13 %): `h % 5 != 0` and `(h // 5) % 6 == 0`, carved out of
  what used to be train. It is scored only when a change is finished, never
  while writing rules or choosing a model: once a split has steered a decision
  it no longer measures receipts nobody has seen. (`h // 5` and `h % 5` are
  independent for a uniform hash, so test is an even sixth of the old train.)
- `train`: everything else. The only split anything learns from (classifier,
  span scorer, entity-database seed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Literal, TypeVar

Split = Literal["train", "dev", "test"]
SPLIT_NAMES: tuple[str, ...] = ("train", "dev", "test")
DEV_MODULUS = 5
TEST_MODULUS = 6

T = TypeVar("T")


def split_of(doc_id: str) -> Split:
    digest = int(hashlib.sha1(doc_id.encode("utf-8")).hexdigest(), 16)
    if digest % DEV_MODULUS == 0:
        return "dev"
    if (digest // DEV_MODULUS) % TEST_MODULUS == 0:
        return "test"
    return "train"


def in_split(doc_id: str, split: str | None) -> bool:
    """True when `doc_id` belongs to `split` ("train", "dev", "test", or None/"all" for everything)."""
    if split in (None, "", "all"):
        return True
    if split not in SPLIT_NAMES:
        raise ValueError(f"unknown split {split!r}; use train, dev, test or all")
    return split_of(doc_id) == split


def filter_split(ids: Iterable[str], split: str | None) -> list[str]:
    return [i for i in ids if in_split(i, split)]
