"""Readers on the real shared datasets (skipped where ../shared/datasets is absent)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tillroll.io.datasets import iter_dataset, read_dataset
from tillroll.labels import LABELS

pytestmark = pytest.mark.datasets


def test_io_datasets_shared_sroie_dev_entities_located_on_gold_boxes(shared_datasets: Path) -> None:
    examples = read_dataset(f"sroie:{shared_datasets / 'sroie' / 'train'}:dev")
    assert 100 <= len(examples) <= 150 and all(e.split == "dev" for e in examples)
    located = Counter(ok for e in examples for ok in e.located.values())
    assert located[True] / (located[True] + located[False]) >= 0.97  # the bar
    for e in examples:
        assert all(w.label in LABELS and w.label_source == "human" for w in e.reference.words)
        assert e.reference.fields["total"].value  # every SROIE receipt has a total


def test_io_datasets_shared_wildreceipt_reads_every_record(shared_datasets: Path) -> None:
    examples = read_dataset(f"wildreceipt:{shared_datasets / 'wildreceipt'}")
    assert len(examples) == 314
    assert len({e.id for e in examples}) == 314  # ids (image stems) are unique: the split is well defined
    labels = Counter(w.label for e in examples for w in e.reference.words)
    assert labels["line_item"] > 500 and labels["total"] > 100
    with_items = [e for e in examples if e.reference.line_items]
    assert len(with_items) > 250
    assert sum(li.amount is not None for e in with_items for li in e.reference.line_items) > 0.8 * sum(len(e.reference.line_items) for e in with_items)


def test_io_datasets_shared_funsd_links_become_key_values(shared_datasets: Path) -> None:
    first = next(iter_dataset(f"funsd:{shared_datasets / 'funsd' / 'train'}"))
    assert first.reference.key_values and all(kv.key_word_ids and kv.value_word_ids for kv in first.reference.key_values)
