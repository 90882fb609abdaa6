"""FUNSD (Jaume et al. 2019): scanned forms with entities, words and question->answer links.

    DIR/annotations/<id>.json   {"form": [{"id", "box", "text", "label", "words": [{"box", "text"}], "linking": [[from, to]]}]}
    DIR/images/<id>.png

FUNSD trains and scores the generic key-value extractor, not the 12 receipt
labels, so every word is misc for word labelling (labels.FUNSD_LABELS) and the
gold lives in `reference.key_values`: one pair per question->answer link. The
form entity label of each word is kept in `reference.meta["funsd_labels"]`
(word id -> question/answer/header/other) for key-value models, with the
entity of each word in `meta["funsd_entities"]` and the question->answer links
(entity ids) in `meta["funsd_links"]`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from ...document import KeyValue
from ...errors import DataError
from ...labels import FUNSD_LABELS, MISC
from .base import Example, build_reference, image_size, quad_to_box

ANNOTATED_LABELS = frozenset({MISC})


def resolve_root(path: Path) -> Path:
    """Accept `.../funsd/train`, `.../funsd` (holding train/) and the original `training_data/`."""
    if not path.is_dir():
        raise DataError(f"FUNSD folder {path} does not exist; pass the folder that holds annotations/ and images/")
    for sub in ("", "train", "training_data"):
        if (path / sub / "annotations").is_dir():
            return path / sub
    raise DataError(f"no annotations/ folder under {path}; pass the FUNSD folder that holds annotations/ and images/")


def read_example(ann_path: Path, image_dir: Path) -> Example:
    doc_id = ann_path.stem
    image_path = next((image_dir / f"{doc_id}{s}" for s in (".png", ".jpg", ".jpeg") if (image_dir / f"{doc_id}{s}").exists()), None)
    if image_path is None:
        raise DataError(f"FUNSD image for {doc_id} not found in {image_dir}")
    try:
        form = json.loads(ann_path.read_text(encoding="utf-8"))["form"]
        entities = {int(e["id"]): e for e in form}
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{ann_path}: not a FUNSD annotation ({exc!r}); expected {{'form': [...]}}") from exc
    triples = []
    owner = []
    for entity in form:
        label = entity.get("label", "other")
        if label not in FUNSD_LABELS:
            raise DataError(f"{ann_path}: entity {entity.get('id')} has unknown label {label!r}; expected one of {FUNSD_LABELS}")
        for word in entity.get("words", []):
            if str(word.get("text", "")).strip():
                triples.append((str(word["text"]), quad_to_box(word["box"]), MISC))
                owner.append(int(entity["id"]))
    width, height = image_size(image_path)
    reference = build_reference(str(image_path), width, height, triples)
    by_key = {(t, b): e for (t, b, _), e in zip(triples, owner)}
    entity_words: dict[int, list[int]] = {}
    for w in reference.words:
        eid = by_key.get((w.text, w.box))
        if eid is not None:
            entity_words.setdefault(eid, []).append(w.id)
    funsd_labels = {}
    for eid, ids in entity_words.items():
        for i in ids:
            funsd_labels[i] = entities[eid].get("label", "other")
    pairs = set()
    for entity in form:
        for link in entity.get("linking", []):
            if len(link) == 2:
                a, b = int(link[0]), int(link[1])
                if a in entities and b in entities and entities[a].get("label") == "question" and entities[b].get("label") == "answer":
                    pairs.add((a, b))
    for q, a in sorted(pairs):
        reference.key_values.append(
            KeyValue(
                key=str(entities[q].get("text", "")).strip(),
                value=str(entities[a].get("text", "")).strip(),
                key_word_ids=sorted(entity_words.get(q, [])),
                value_word_ids=sorted(entity_words.get(a, [])),
            )
        )
    # Word id -> entity id and every question->answer link, for the key-value model
    # (models/kv): it learns entity grouping and linking from these.
    funsd_entities = {i: eid for eid, ids in entity_words.items() for i in ids}
    reference.meta.update(
        {
            "dataset": "funsd",
            "id": doc_id,
            "funsd_labels": funsd_labels,
            "funsd_entities": funsd_entities,
            "funsd_links": [[q, a] for q, a in sorted(pairs)],
        }
    )
    return Example(id=doc_id, dataset="funsd", image_path=image_path, reference=reference, annotated_labels=ANNOTATED_LABELS, annotated_fields=frozenset())


def iter_funsd(path: str | Path, keep: Callable[[str], bool] = lambda doc_id: True) -> Iterator[Example]:
    root = resolve_root(Path(path))
    files = sorted((root / "annotations").glob("*.json"))
    if not files:
        raise DataError(f"no *.json annotations in {root / 'annotations'}")
    for ann_path in files:
        if keep(ann_path.stem):
            yield read_example(ann_path, root / "images")
