"""The train/dev/test split: fixed by id hash, dev unchanged from the two-way split, test carved from train."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from tillroll.io.splits import filter_split, in_split, split_of


def _old_two_way(doc_id: str) -> str:
    # The split every earlier session used: dev numbers are only comparable if dev stays this.
    return "dev" if int(hashlib.sha1(doc_id.encode()).hexdigest(), 16) % 5 == 0 else "train"


IDS = [f"X{n:012d}" for n in range(4000)] + [f"receipt_{n}" for n in range(2000)]


def test_io_splits_dev_is_unchanged_and_test_comes_only_from_old_train() -> None:
    for doc_id in IDS:
        new, old = split_of(doc_id), _old_two_way(doc_id)
        assert (new == "dev") == (old == "dev")
        if new == "test":
            assert old == "train"


def test_io_splits_sizes_are_about_20_13_67_percent() -> None:
    counts = Counter(split_of(i) for i in IDS)
    assert counts["dev"] / len(IDS) == pytest.approx(0.20, abs=0.02)
    assert counts["test"] / len(IDS) == pytest.approx(0.8 / 6, abs=0.02)
    assert counts["train"] / len(IDS) == pytest.approx(0.8 * 5 / 6, abs=0.02)


def test_io_splits_known_ids_and_filtering() -> None:
    assert (split_of("X000000000001"), split_of("X000000000002"), split_of("X000000000011")) == ("train", "dev", "test")
    ids = ["X000000000001", "X000000000002", "X000000000011"]
    assert filter_split(ids, "test") == ["X000000000011"]
    assert filter_split(ids, "all") == ids and filter_split(ids, None) == ids
    assert in_split("X000000000011", "test") and not in_split("X000000000011", "train")
    with pytest.raises(ValueError, match="use train, dev, test or all"):
        in_split("X000000000001", "holdout")
