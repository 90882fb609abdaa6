"""`tillroll train --task kv`: train the entity tagger and the linker on forms, write a model folder.

    out_dir/
      segment_tagger.json  the entity tagger (`--tagger segments`, the default: word joins + segment labels)
      word_tagger.json     or a per-word BIO tree tagger (`--tagger trees`)
      entities.onnx   or an int8 LayoutLM tagger (`--tagger layoutlm`, BIO), outputs logits + hidden
      tokenizer.json  WordPiece vocabulary (MiniLM, uncased; layoutlm only)
      linker.json     gradient-boosted pair scorer as plain arrays (numpy inference)
      config.json     tags, encoding, training options, data summary, dev scores
      history.json    per-epoch loss of the tagger
      torch/          full-precision tagger weights (not needed at run time)

Data are FUNSD-format forms (`funsd:DIR:train`) or any dataset whose
reference carries `funsd_entities` / `funsd_labels` / `funsd_links` in its meta.
The linker learns from the gold entities of the training forms and, with the
segment tagger, also from each training form's entities as a tagger fitted on
the other half of the forms predicts them (so it meets merged or cut entities
in training, as it will on new forms). The dev split is only scored (entity F1,
link F1 from gold words), never used to choose.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ...errors import DataError
from .data import BIO_LABELS, Entity, KvPage, page_from_reference
from .train_entities import EntityTrainConfig, train_entity_model


def read_pages(specs: str) -> list[KvPage]:
    """Gold pages of every dataset spec (comma-separated); forms without entities are an error."""
    from ...io.datasets import read_dataset

    pages: list[KvPage] = []
    for spec in [s.strip() for s in specs.split(",") if s.strip()]:
        for example in read_dataset(spec):
            if "funsd_entities" not in example.reference.meta:
                raise DataError(f"{spec}: {example.id} has no entity annotation; --task kv trains on FUNSD-format forms (funsd:DIR:SPLIT)")
            pages.append(page_from_reference(example.id, example.reference))
    if not pages:
        raise DataError(f"no documents in {specs!r}")
    return pages


def read_ocr_pages(specs: str, ocr: str) -> list[KvPage]:
    """The forms of `specs` as OCR engine `ocr` reads them (through the shared OCR cache), each word
    carrying the gold entity of the annotation word it overlaps (`data.page_from_ocr`)."""
    from ...io.datasets import read_dataset
    from ...io.load import load_document
    from ...ocr.base import get_engine
    from ...ocr.cache import CachedEngine
    from ...ocr.stage import words_to_document
    from .data import page_from_ocr

    engine = CachedEngine(get_engine(ocr))  # the cache the evaluator fills, keyed by the same pixels
    pages: list[KvPage] = []
    for spec in [s.strip() for s in specs.split(",") if s.strip()]:
        for example in read_dataset(spec):
            doc = load_document(example.image_path)
            for page in doc.pages:
                if page.image is not None:
                    words_to_document(doc, page.index, engine.read(page.image))
            pages.append(page_from_ocr(example.id, doc.words, example.reference))
    return pages


def gold_links_of(page: KvPage, entities: Sequence[Entity]) -> list[tuple[int, int]]:
    """The gold links of `page` as index pairs into predicted `entities`: a predicted question and answer
    are linked when their word sets are exactly a gold linked pair's (what link F1 credits)."""
    gold = {(frozenset(page.entities[q].words), frozenset(page.entities[a].words)) for q, a in page.links}
    index = {(e.label, frozenset(e.words)): i for i, e in enumerate(entities)}
    out = []
    for q, a in gold:
        if ("question", q) in index and ("answer", a) in index:
            out.append((index[("question", q)], index[("answer", a)]))
    return sorted(out)


def score_pages(model_dir: Path, pages: Sequence[KvPage]) -> dict[str, Any]:
    """Entity and link F1 of the saved model on gold-word pages (what the model card reports)."""
    from .metrics import entity_scores, link_scores
    from .model import KvModel

    model = KvModel(model_dir)
    ent_pairs, link_pairs = [], []
    for page in pages:
        entities, links = model.predict_page(page)
        ent_pairs.append((page.entities, entities))
        link_pairs.append((page.entities, page.links, entities, [(q, a) for q, a, _ in links]))
    return {"entities": entity_scores(ent_pairs), "links": link_scores(link_pairs), "documents": len(pages)}


def train_kv(
    data: str,
    dev: str | None,
    out_dir: Path,
    config: EntityTrainConfig,
    log: Callable[[str], None] = print,
    entity_model_dir: Path | None = None,
    tagger: str = "segments",
    ocr: str | None = None,
) -> dict[str, Any]:
    """Train both parts and write the model folder; returns the resolved config with dev scores.

    `ocr`: with the segment tagger, also train on the training forms as this OCR engine reads
    them (its words and gaps differ from the annotation's), next to the annotation's words.

    `entity_model_dir`: reuse the tagger of an earlier run in that folder (train the linker only).
    """
    from .linker import choose_thresholds, train_linker

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    train_pages = read_pages(data)
    dev_pages = read_pages(dev) if dev else []
    log(f"{len(train_pages)} training forms, {len(dev_pages)} dev forms")
    summary: dict[str, Any]
    # (page, entities, gold links) the linker learns from: the gold entities, and where the
    # tagger can say so, each training page's entities as a tagger that never saw it predicts.
    linker_pages = [(p, p.entities, p.links) for p in train_pages]
    if tagger == "segments":
        from .segmenter import SEGMENT_LABELS, train_segment_tagger

        t0 = time.time()
        fit_pages = list(train_pages)
        groups = list(range(len(train_pages)))
        if ocr and ocr != "gold":
            fit_pages += read_ocr_pages(data, ocr)
            groups += groups  # a form's OCR copy shares its annotation copy's fold
            linker_pages = [(p, p.entities, p.links) for p in fit_pages]
        segment_tagger, held = train_segment_tagger(fit_pages, seed=config.seed, groups=groups)
        (out_dir / "segment_tagger.json").write_text(json.dumps(segment_tagger.to_dict()), encoding="utf-8")
        linker_pages += [(p, entities, gold_links_of(p, entities)) for p, entities in zip(fit_pages, held)]
        summary = {
            "tagger": {
                "kind": "segment_tagger_trees: joins neighbouring words into segments, then labels each segment (two stages)",
                "join_threshold": segment_tagger.join_threshold,
                "join_threshold_below": segment_tagger.join_threshold_below,
                "lexicon_words": len(segment_tagger.lexicon) - 1,
                "seed": config.seed,
                "seconds": round(time.time() - t0, 1),
            },
            "labels": list(SEGMENT_LABELS),
            "data": {"train": data, "dev": dev, "train_documents": len(train_pages), "dev_documents": len(dev_pages), "ocr_words_from": ocr},
        }
    elif tagger == "trees":
        from .word_tagger import train_word_tagger

        t0 = time.time()
        word_tagger = train_word_tagger(train_pages, seed=config.seed, max_iter=150)
        (out_dir / "word_tagger.json").write_text(json.dumps(word_tagger.to_dict()), encoding="utf-8")
        summary = {
            "tagger": {
                "kind": "gradient_boosted_trees, two stages (the second reads the first's tags of neighbouring words)",
                "seconds": round(time.time() - t0, 1),
            },
            "labels": list(BIO_LABELS),
            "data": {"train": data, "dev": dev, "train_documents": len(train_pages), "dev_documents": len(dev_pages)},
        }
    elif tagger != "layoutlm":
        raise DataError(f"unknown tagger {tagger!r}; choose segments, trees or layoutlm")
    elif entity_model_dir is None:
        config.data = {"train": data, "dev": dev, "train_documents": len(train_pages), "dev_documents": len(dev_pages)}
        summary = train_entity_model(train_pages, dev_pages, out_dir, config, log=log)
    else:
        import shutil

        previous = json.loads((Path(entity_model_dir) / "config.json").read_text(encoding="utf-8"))
        summary = {k: v for k, v in previous.items() if k not in ("linker", "dev_scores")}
        for name in ("entities.onnx", "tokenizer.json", "history.json"):
            if Path(entity_model_dir).resolve() != out_dir.resolve():
                shutil.copy2(Path(entity_model_dir) / name, out_dir / name)
    t0 = time.time()
    threshold, extra, oof_f1 = choose_thresholds(linker_pages, seed=config.seed)
    log(json.dumps({"linker_threshold": threshold, "linker_extra_threshold": extra, "out_of_fold_link_f1": round(oof_f1, 4)}))
    linker = train_linker(linker_pages, seed=config.seed)
    linker.threshold_link, linker.threshold_extra = threshold, extra
    (out_dir / "linker.json").write_text(json.dumps(linker.to_dict()), encoding="utf-8")
    summary["linker"] = {
        "kind": "gradient_boosted_trees",
        "trees": int(linker.feature.shape[0]),
        "depth": linker.depth,
        "threshold_link": linker.threshold_link,
        "threshold_extra": linker.threshold_extra,
        "thresholds_from": "2-fold out-of-fold link F1 on the training forms",
        "out_of_fold_link_f1": round(oof_f1, 4),
        "trained_on": "gold entities of the training forms" + (" and their out-of-fold predicted entities" if len(linker_pages) > len(train_pages) else ""),
        "seconds": round(time.time() - t0, 1),
    }
    if tagger == "layoutlm":
        summary.setdefault("encoding", asdict(config.encoding()))
    summary["name"] = out_dir.name
    (out_dir / "config.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    if dev_pages:
        summary["dev_scores"] = score_pages(out_dir, dev_pages)
        log(json.dumps({"dev_entity_f1": summary["dev_scores"]["entities"]["micro"]["f1"], "dev_link_f1": summary["dev_scores"]["links"]["f1"]}))
        (out_dir / "config.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return summary
