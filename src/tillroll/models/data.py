"""Training documents for the classifier: dataset examples as words with gold labels.

Real receipts (SROIE, WildReceipt, our own annotated JSON) are read with
`tillroll.io.datasets.read_dataset`, OCR'd through the shared OCR cache, and
their OCR words get gold labels from the evaluation toolkit's alignment
(`tillroll.io.gold.align.gold_labelled_document`), so the classifier learns the
words the OCR engine really produces, typos and glued words included. An image
whose OCR is not cached can instead contribute its annotation words
(`uncached="gold"`), which is much faster but teaches clean text only; the mix
used is recorded in the model's config.json.

Synthetic receipts (`synth:DIR`) are schema-v1 JSON documents whose words carry
exact labels; their own words are used (OCR'ing them would only cost time).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..config import DEFAULT_ENGINE
from ..document import Document
from ..errors import ConfigError
from ..labels import LABELS

UNCACHED_POLICIES = ("ocr", "gold", "skip")


@dataclass
class DataSummary:
    """How many documents each source gave and where their words came from (for the model card)."""

    sources: list[dict[str, Any]] = field(default_factory=list)

    def add(self, spec: str, n_ocr: int, n_gold: int, n_synth: int, n_skipped: int) -> None:
        self.sources.append({"spec": spec, "ocr_words": n_ocr, "gold_words": n_gold, "synthetic": n_synth, "skipped": n_skipped})

    def to_dict(self) -> dict[str, Any]:
        return {"sources": self.sources, "documents": sum(s["ocr_words"] + s["gold_words"] + s["synthetic"] for s in self.sources)}


def parse_specs(specs: str | Iterable[str]) -> list[str]:
    if isinstance(specs, str):
        specs = specs.split(",")
    out = [s.strip() for s in specs if s and s.strip()]
    if not out:
        raise ConfigError("no data given; use e.g. --data sroie:DIR:train,wildreceipt:DIR:train,synth:DIR")
    return out


def training_documents(
    specs: str | Iterable[str],
    engine_name: str = DEFAULT_ENGINE,
    uncached: str = "ocr",
    limit_per_source: int | None = None,
    summary: DataSummary | None = None,
) -> list[Document]:
    """Labelled documents from every spec ("sroie:DIR:train", "wildreceipt:DIR:dev", "synth:DIR", ...).

    `uncached` says what to do with an image whose OCR words are not in the
    cache: run OCR ("ocr"), use its annotation words ("gold") or leave it out ("skip").
    """
    if uncached not in UNCACHED_POLICIES:
        raise ConfigError(f"unknown policy {uncached!r} for uncached images; choose one of {', '.join(UNCACHED_POLICIES)}")
    summary = summary if summary is not None else DataSummary()
    from ..io.datasets import iter_dataset, parse_spec
    from ..io.gold.align import gold_labelled_document

    docs: list[Document] = []
    engine = None
    for spec in parse_specs(specs):
        kind, _, _ = parse_spec(spec)
        n_ocr = n_gold = n_synth = n_skipped = 0
        for example in iter_dataset(spec):
            if limit_per_source and n_ocr + n_gold + n_synth >= limit_per_source:
                break
            if kind == "synth":
                # Synthetic words are exact by construction; OCR'ing them would only cost time.
                doc = gold_labelled_document(example, None, attach_image=False)
                n_synth += 1
            else:
                if engine is None:
                    from ..ocr.base import get_engine
                    from ..ocr.cache import CachedEngine

                    engine = CachedEngine(get_engine(engine_name))
                cached = engine.path_for(example.load_image()).exists()
                if cached or uncached == "ocr":
                    doc = gold_labelled_document(example, engine, attach_image=False)
                    n_ocr += 1
                elif uncached == "gold":
                    doc = gold_labelled_document(example, None, attach_image=False)
                    n_gold += 1
                else:
                    n_skipped += 1
                    continue
            if example.annotated_labels != frozenset(LABELS):
                doc.meta["annotated_labels"] = sorted(example.annotated_labels)
            docs.append(doc)
        summary.add(spec, n_ocr, n_gold, n_synth, n_skipped)
    return docs
