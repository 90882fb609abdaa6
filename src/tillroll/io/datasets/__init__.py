"""Dataset readers: every annotated source becomes a list of `Example`s with a gold `Document`.

A dataset is named by a spec string, as on the command line:

    sroie:/data/sroie/train           every receipt
    sroie:/data/sroie/train:dev       the fixed dev split (tillroll.io.splits)
    sroie:/data/sroie/train:test      the test split: scored only when a change is finished
    wildreceipt:/data/wildreceipt:train
    funsd:/data/funsd/train:all
    annotated:/data/reviewed          schema-v1 JSON with human labels next to images
    synth:/data/synth                 the same format, as the synthetic generator writes it
    einvoices:/data/einvoices         Factur-X PDFs as shipped (also einvoices-text:, einvoices-scanned:;
                                      see tillroll.io.datasets.einvoices)

    >>> examples = read_dataset("sroie:../shared/datasets/sroie/train:dev")
    >>> examples[0].reference.words[0].label
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from ...errors import ConfigError
from ..splits import SPLIT_NAMES, in_split
from .base import Example, load_rgb

DATASET_KINDS: tuple[str, ...] = ("sroie", "wildreceipt", "funsd", "annotated", "synth", "einvoices", "einvoices-text", "einvoices-scanned")
SPLITS: tuple[str, ...] = (*SPLIT_NAMES, "all")


def _reader(kind: str) -> Callable[..., Iterator[Example]]:
    if kind == "sroie":
        from .sroie import iter_sroie

        return iter_sroie
    if kind == "wildreceipt":
        from .wildreceipt import iter_wildreceipt

        return iter_wildreceipt
    if kind == "funsd":
        from .funsd import iter_funsd

        return iter_funsd
    if kind.startswith("einvoices"):
        from functools import partial

        from .einvoices import KIND_FORMS, iter_einvoices

        return partial(iter_einvoices, form=KIND_FORMS[kind])
    from .annotated import iter_annotated

    return iter_annotated


def parse_spec(spec: str) -> tuple[str, Path, str]:
    """Split "kind:DIR[:split]" into (kind, dir, split); split defaults to "all"."""
    kind, sep, rest = spec.partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in DATASET_KINDS or not rest:
        raise ConfigError(
            f"dataset spec {spec!r} should look like KIND:DIR[:SPLIT] with KIND one of {', '.join(DATASET_KINDS)} and SPLIT one of {', '.join(SPLITS)}"
        )
    split = "all"
    head, sep, tail = rest.rpartition(":")
    if sep and tail in SPLITS:
        rest, split = head, tail
    return kind, Path(rest).expanduser(), split


def iter_dataset(spec: str, limit: int | None = None) -> Iterator[Example]:
    """Examples of `spec` in a stable order (sorted by file), filtered to its split.

    Bad files raise `DataError` naming the file; a missing folder too.
    """
    kind, path, split = parse_spec(spec)
    count = 0
    in_split("", split)  # validates the split name before any file is read
    for example in _reader(kind)(path, keep=lambda doc_id: in_split(doc_id, split)):
        if kind == "synth":
            example.dataset = "synth"
        yield example
        count += 1
        if limit is not None and count >= limit:
            return


def read_dataset(spec: str, limit: int | None = None) -> list[Example]:
    """All examples of `spec` (see `iter_dataset`)."""
    return list(iter_dataset(spec, limit=limit))


__all__ = ["Example", "DATASET_KINDS", "SPLITS", "iter_dataset", "load_rgb", "parse_spec", "read_dataset"]
