"""The learned key-value extractor at run time (onnxruntime + tokenizers + numpy; no torch, no sklearn).

`KvModel.extract(doc)` runs, per page:

1. the entity tagger over the page's words -> entities (header / question /
   answer). The shipped tagger is `segment_tagger.json` (`segmenter`: trees
   that join neighbouring words into segments, then label each segment; see the
   model card). Older folders hold a per-word BIO tagger decoded by
   `decode.decode_entities`: `word_tagger.json` (trees over word features) or
   `entities.onnx` (a 2-layer MiniLM LayoutLM, int8, `train_entities`);
2. the linker (`linker.json`, gradient-boosted trees over pair geometry and text
   cues) over every question x answer pair -> links, one-to-many
   (`decode.decode_links`);

and returns `KeyValue`s (key = question text, value = answer text, word ids,
confidence = link probability x the two entities' confidences) plus the entities.

`KeyValuesStage` is the pipeline's "key_values" stage, after "assemble": with
the model installed it replaces the assembler's same-line heuristic pairs; when
the model folder is absent, or `PipelineConfig.key_values == "heuristic"`, or
`TILLROLL_KV=heuristic` is set, the heuristic's pairs stay (see README).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ...config import PipelineConfig
from ...document import Document, KeyValue, Word
from ...errors import ConfigError, ModelError
from ..encoding import EncodingOptions, SpecialIds, encode_page, load_tokenizer, merge_window_probabilities, pad_batch, softmax
from .data import BIO_LABELS, Entity, KvPage
from .decode import decode_entities
from .linker import TreeEnsemble, link_page, load_linker
from .segmenter import SegmentTagger, load_segment_tagger
from .word_tagger import WordTagger, load_word_tagger

DEFAULT_KV_MODEL_DIR = Path(__file__).resolve().parent / "model"
ENTITY_ONNX = "entities.onnx"
WORD_TAGGER = "word_tagger.json"
SEGMENT_TAGGER = "segment_tagger.json"
LINKER_FILE = "linker.json"
KV_MODE_ENV = "TILLROLL_KV"  # "heuristic" switches the learned model off
KV_DIR_ENV = "TILLROLL_KV_MODEL_DIR"
KV_MODES = ("auto", "model", "heuristic")


def kv_model_dir(model_dir: str | Path | None = None) -> Path:
    if model_dir:
        return Path(model_dir)
    env = os.environ.get(KV_DIR_ENV)
    return Path(env) if env else DEFAULT_KV_MODEL_DIR


def kv_model_available(model_dir: str | Path | None = None) -> bool:
    d = kv_model_dir(model_dir)
    tagger = (d / SEGMENT_TAGGER).is_file() or (d / WORD_TAGGER).is_file() or ((d / ENTITY_ONNX).is_file() and (d / "tokenizer.json").is_file())
    return tagger and (d / LINKER_FILE).is_file()


class KvModel:
    """A loaded key-value model folder (word_tagger.json or entities.onnx + tokenizer.json, linker.json, config.json)."""

    def __init__(self, model_dir: str | Path | None = None, threads: int | None = None) -> None:
        self.model_dir = kv_model_dir(model_dir)
        tagger = next((n for n in (SEGMENT_TAGGER, WORD_TAGGER) if (self.model_dir / n).is_file()), ENTITY_ONNX)
        needed = (tagger, LINKER_FILE) if tagger != ENTITY_ONNX else (ENTITY_ONNX, "tokenizer.json", LINKER_FILE)
        missing = [n for n in needed if not (self.model_dir / n).is_file()]
        if missing:
            raise ModelError(f"the key-value model folder {self.model_dir} lacks {', '.join(missing)}; train one with `tillroll train --task kv`")
        self.config: dict[str, Any] = {}
        config_path = self.model_dir / "config.json"
        if config_path.is_file():
            try:
                self.config = json.loads(config_path.read_text(encoding="utf-8"))
            except ValueError as exc:
                raise ModelError(f"{config_path} is not valid JSON: {exc}") from exc
        self.linker: TreeEnsemble = load_linker(self.model_dir / LINKER_FILE)
        self.word_tagger: WordTagger | None = None
        self.segment_tagger: SegmentTagger | None = None
        if tagger == SEGMENT_TAGGER:
            self.segment_tagger = load_segment_tagger(self.model_dir / SEGMENT_TAGGER)
            return
        if tagger == WORD_TAGGER:
            self.word_tagger = load_word_tagger(self.model_dir / WORD_TAGGER)
            return
        import onnxruntime as ort

        labels = self.config.get("labels", list(BIO_LABELS))
        if list(labels) != list(BIO_LABELS):
            raise ModelError(f"{self.model_dir} was trained with tags {labels}, this tillroll uses {list(BIO_LABELS)}; retrain it")
        enc = self.config.get("encoding", {})
        defaults = EncodingOptions()
        self.options = EncodingOptions(
            max_length=int(enc.get("max_length", defaults.max_length)),
            stride=int(enc.get("stride", defaults.stride)),
            max_word_tokens=int(enc.get("max_word_tokens", defaults.max_word_tokens)),
        )
        self.tokenizer = load_tokenizer(self.model_dir / "tokenizer.json")
        self.special = SpecialIds(self.tokenizer)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or int(os.environ.get("TILLROLL_CLASSIFIER_THREADS", "1"))
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        path = self.model_dir / ENTITY_ONNX
        try:
            self.session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"cannot load {path}: {exc}; re-train or re-export the key-value model") from exc

    def tag_probabilities(self, page: KvPage) -> np.ndarray:
        """BIO probabilities per word of `page` (n_words x len(BIO_LABELS)); word taggers only."""
        if not page.texts:
            return np.zeros((0, len(BIO_LABELS)), dtype=np.float32)
        if self.word_tagger is not None:
            return self.word_tagger.predict(page)
        if self.segment_tagger is not None:
            raise ModelError(f"{self.model_dir} tags segments, not words; use page_entities")
        encoded = encode_page(self.tokenizer, page.texts, page.boxes, page.size, options=self.options, special=self.special)
        batch = pad_batch(encoded.windows, self.special.pad or 0)
        (logits,) = self.session.run(["logits"], {k: batch[k] for k in ("input_ids", "bbox", "attention_mask")})
        return merge_window_probabilities(encoded, list(softmax(logits.astype(np.float32))), len(BIO_LABELS))

    def page_entities(self, page: KvPage) -> list[Entity]:
        """Header / question / answer entities of one page."""
        if self.segment_tagger is not None:
            return self.segment_tagger.predict(page)
        return decode_entities(page, self.tag_probabilities(page))

    def predict_page(self, page: KvPage) -> tuple[list[Entity], list[tuple[int, int, float]]]:
        """Entities and (question, answer, probability) links of one page."""
        entities = self.page_entities(page)
        return entities, link_page(self.linker, page, entities)

    def extract(self, doc: Document) -> tuple[list[KeyValue], list[dict[str, Any]]]:
        """Key-value pairs of every page of `doc`, and its entities as JSON-ready dicts."""
        sizes = {p.index: (float(p.width), float(p.height)) for p in doc.pages}
        by_page: dict[int, list[Word]] = {}
        for w in doc.words:
            by_page.setdefault(w.page, []).append(w)
        pairs: list[KeyValue] = []
        entity_records: list[dict[str, Any]] = []
        for index, words in sorted(by_page.items()):
            size = sizes.get(index) or (max(w.x1 for w in words), max(w.y1 for w in words))
            page = KvPage(
                id=str(index),
                texts=[w.text for w in words],
                boxes=[w.box for w in words],
                size=size,
                lines=[w.line if w.line is not None else -1 for w in words],
            )
            entities, links = self.predict_page(page)
            for e in entities:
                entity_records.append({"label": e.label, "word_ids": [words[i].id for i in e.words], "confidence": e.confidence})
            for q, a, p in links:
                eq, ea = entities[q], entities[a]
                pairs.append(
                    KeyValue(
                        key=page.entity_text(eq).strip().rstrip(":").strip(),
                        value=page.entity_text(ea).strip(),
                        key_word_ids=[words[i].id for i in eq.words],
                        value_word_ids=[words[i].id for i in ea.words],
                        confidence=round(p * eq.confidence * ea.confidence, 4),
                    )
                )
        return pairs, entity_records


def resolve_mode(config: PipelineConfig) -> str:
    """'model' or 'heuristic': what the key-values stage will do with this configuration and installation."""
    mode = os.environ.get(KV_MODE_ENV) or getattr(config, "key_values", "auto")
    if mode not in KV_MODES:
        raise ConfigError(f"unknown key-values mode {mode!r} ({KV_MODE_ENV} or --key-values); choose one of {', '.join(KV_MODES)}")
    if mode == "heuristic":
        return "heuristic"
    available = kv_model_available(getattr(config, "kv_model_dir", None))
    if mode == "model" and not available:
        raise ModelError(
            f"no key-value model in {kv_model_dir(getattr(config, 'kv_model_dir', None))}; train one with `tillroll train --task kv` or use the heuristic"
        )
    return "model" if available else "heuristic"


class KeyValuesStage:
    """Pipeline stage "key_values": learned key->value links, or the assembler's heuristic pairs as they are."""

    name = "key_values"

    def __init__(self, config: PipelineConfig | None = None, model: KvModel | None = None) -> None:
        self.config = config or PipelineConfig()
        self.mode = "model" if model is not None else resolve_mode(self.config)
        self._model = model

    @property
    def model(self) -> KvModel:
        # Loaded on first use (after OCR has given its memory back), like the classifier.
        if self._model is None:
            self._model = KvModel(getattr(self.config, "kv_model_dir", None))
        return self._model

    def __call__(self, doc: Document) -> Document:
        doc.meta["key_values"] = self.mode
        if self.mode != "model" or not doc.words:
            return doc
        pairs, entities = self.model.extract(doc)
        doc.key_values = pairs
        doc.meta["kv_entities"] = entities
        return doc
