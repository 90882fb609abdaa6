"""Inference: label every OCR word with the int8 ONNX classifier (onnxruntime + tokenizers, no torch).

`ClassifyStage` is the pipeline's "classify" stage. It loads the model once,
when the pipeline is built, and then labels documents page by page: each page
is encoded (see `encoding`), its windows run as one batch, and window
probabilities are merged back onto words. Every word gets `label`,
`label_confidence` (the winning probability), `label_source="model"` and
`label_scores` (all 12 probabilities) for the rules to weigh.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..config import PipelineConfig
from ..document import Document, Word
from ..errors import ModelError
from ..labels import LABELS
from .encoding import EncodingOptions, SpecialIds, encode_page, load_tokenizer, merge_window_probabilities, pad_batch, read_labels_file, softmax
from .export import ONNX_FILE, ONNX_INPUTS

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default"
# One thread per session: a receipt is small, and batch front ends get their
# parallelism from several processes, which threads inside each would only fight.
THREADS_ENV = "TILLROLL_CLASSIFIER_THREADS"


def resolve_model_dir(model_dir: str | Path | None) -> Path:
    return Path(model_dir) if model_dir else DEFAULT_MODEL_DIR


@dataclass
class ModelInfo:
    labels: list[str]
    options: EncodingOptions
    config: dict[str, Any]


def read_model_info(model_dir: Path) -> ModelInfo:
    labels = read_labels_file(model_dir / "labels.json")
    unknown = [x for x in labels if x not in LABELS]
    if unknown:
        raise ModelError(f"{model_dir}/labels.json has labels this tillroll does not know: {unknown}; retrain the model")
    config: dict[str, Any] = {}
    config_path = model_dir / "config.json"
    if config_path.is_file():
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ModelError(f"{config_path} is not valid JSON: {exc}") from exc
    encoding = config.get("encoding", {})
    defaults = EncodingOptions()
    options = EncodingOptions(
        max_length=int(encoding.get("max_length", defaults.max_length)),
        stride=int(encoding.get("stride", defaults.stride)),
        max_word_tokens=int(encoding.get("max_word_tokens", defaults.max_word_tokens)),
        layout_frame=str(encoding.get("layout_frame", defaults.layout_frame)),
    )
    return ModelInfo(labels=labels, options=options, config=config)


def require_onnx(model_dir: Path) -> Path:
    """The classifier's ONNX file in `model_dir`; ModelError saying what to do when it is missing."""
    onnx_path = model_dir / ONNX_FILE
    if not onnx_path.is_file():
        raise ModelError(
            f"no classifier at {onnx_path}; pass a folder written by `tillroll train` "
            "(or reinstall tillroll to restore the shipped model), or use --model rules"
        )
    return onnx_path


class Classifier:
    """A loaded classifier: `predict_page` maps words + boxes to per-word label probabilities."""

    def __init__(self, model_dir: str | Path | None = None, threads: int | None = None) -> None:
        import onnxruntime as ort

        self.model_dir = resolve_model_dir(model_dir)
        onnx_path = require_onnx(self.model_dir)
        self.info = read_model_info(self.model_dir)
        self.labels = self.info.labels
        self.tokenizer = load_tokenizer(self.model_dir / "tokenizer.json")
        self.special = SpecialIds(self.tokenizer)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or int(os.environ.get(THREADS_ENV, "1"))
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(str(onnx_path), sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"cannot load {onnx_path}: {exc}; re-export the model with `tillroll export`") from exc
        names = {i.name for i in self.session.get_inputs()}
        if not set(ONNX_INPUTS) <= names:
            raise ModelError(f"{onnx_path} expects inputs {sorted(names)}, not {list(ONNX_INPUTS)}; re-export it")

    def predict_page(self, texts: Sequence[str], boxes: Sequence[Sequence[float]], page_size: tuple[float, float]) -> np.ndarray:
        """Probabilities, shape (n_words, n_labels), in the order of `self.labels`."""
        n_labels = len(self.labels)
        if not texts:
            return np.zeros((0, n_labels), dtype=np.float32)
        page = encode_page(self.tokenizer, texts, boxes, page_size, options=self.info.options, special=self.special)
        batch = pad_batch(page.windows, self.special.pad)
        (logits,) = self.session.run(["logits"], {k: batch[k] for k in ONNX_INPUTS})
        probs = softmax(logits.astype(np.float32))
        return merge_window_probabilities(page, list(probs), n_labels)

    def label_document(self, doc: Document) -> Document:
        """Label every word of `doc` in place, page by page (boxes are scaled by their own page)."""
        sizes = {p.index: (float(p.width), float(p.height)) for p in doc.pages}
        by_page: dict[int, list[Word]] = {}
        for w in doc.words:
            by_page.setdefault(w.page, []).append(w)
        for index, words in sorted(by_page.items()):
            # A hand-built document may have words but no page record: its extent stands in.
            size = sizes.get(index) or (max(w.x1 for w in words), max(w.y1 for w in words))
            probs = self.predict_page([w.text for w in words], [w.box for w in words], size)
            for word, row in zip(words, probs):
                best = int(row.argmax())
                word.set_label(self.labels[best], round(float(row[best]), 4), "model")
                word.label_scores = {label: round(float(p), 5) for label, p in zip(self.labels, row)}
        return doc


class ClassifyStage:
    """Pipeline stage "classify": the neural word labeller (paper section 5)."""

    name = "classify"

    def __init__(self, config: PipelineConfig, classifier: Classifier | None = None) -> None:
        self.config = config
        self._classifier = classifier
        if classifier is None:
            # A missing model is reported now, when the pipeline is built; the session itself
            # is loaded on first use, after OCR has run and handed its buffers back, so the
            # two never hold their peak memory at the same time in a one-shot `extract`.
            require_onnx(resolve_model_dir(config.model_dir))

    @property
    def classifier(self) -> Classifier:
        if self._classifier is None:
            self._classifier = Classifier(self.config.model_dir)
        return self._classifier

    def __call__(self, doc: Document) -> Document:
        doc.meta.setdefault("classifier", self.classifier.info.config.get("name", self.classifier.model_dir.name))
        return self.classifier.label_document(doc)
