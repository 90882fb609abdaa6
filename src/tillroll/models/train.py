"""Train the layout-aware word classifier on labelled documents (paper section 5).

Input is a list of `Document`s whose words carry gold labels (OCR words labelled
by the evaluation toolkit's alignment, synthetic receipts, or annotation words);
unlabelled words are ignored by the loss. Output is a model folder:

    out_dir/
      model.onnx        int8 ONNX, what `ClassifyStage` runs (no torch needed)
      tokenizer.json    WordPiece vocabulary (MiniLM, uncased)
      labels.json       label order of the output layer
      config.json       the resolved training configuration, data summary and dev scores
      history.json      per-epoch loss and dev scores
      torch/            full-precision weights, for `--init` fine-tuning and re-export

Training uses fixed seeds, dynamic padding (each batch is padded to its
longest window, windows of similar length are batched together), linear
warm-up and decay, and early stopping on dev macro word F1: the weights of the
best epoch are the ones saved.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..document import Document, Word
from ..errors import ConfigError, DataError
from ..labels import LABEL_TO_ID, LABELS, MISC
from .encoding import IGNORE_INDEX, OPEN_LABEL, EncodedPage, EncodingOptions, SpecialIds, encode_page, load_tokenizer, merge_window_probabilities, pad_batch

CONFIG_FILE = "config.json"


@dataclass
class TrainConfig:
    """Every knob of a training run; saved, resolved, as config.json next to the weights."""

    name: str = "tillroll-layoutlm"
    architecture: str = "minilm-l4"  # see layoutlm.ARCHITECTURES
    pretrained: bool = True  # start the text encoder from MiniLM
    init: str | None = None  # fine-tune a model folder written by an earlier run instead
    epochs: int = 6
    learning_rate: float = 1e-4
    new_parameter_lr_factor: float = 5.0  # 2-D embeddings and classifier start untrained: learn them faster
    batch_size: int = 8
    eval_batch_size: int = 16
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_grad_norm: float = 1.0
    # The 30k x 384 WordPiece table is half the parameters; a few hundred receipts
    # cannot improve it, and updating it costs optimiser time on every step.
    freeze_word_embeddings: bool = True
    patience: int = 2  # epochs without a better dev macro F1 before stopping
    seed: int = 13
    threads: int = 2
    max_length: int = 512
    stride: int = 128
    max_word_tokens: int = 2
    layout_frame: str = "page"  # box coordinates relative to the image or to the words' frame (EncodingOptions)
    time_budget_s: float | None = None  # stop after the epoch that crosses this wall time
    max_steps_per_epoch: int | None = None  # cap (tuning trials, smoke runs)
    export: bool = True  # write the int8 ONNX model at the end
    data: dict[str, Any] = field(default_factory=dict)  # description of the training data (for the model card)

    def encoding(self) -> EncodingOptions:
        return EncodingOptions(max_length=self.max_length, stride=self.stride, max_word_tokens=self.max_word_tokens, layout_frame=self.layout_frame)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ConfigError(f"unknown training options {sorted(unknown)}; known: {sorted(known)}")
        return cls(**d)


@dataclass
class TrainResult:
    out_dir: Path
    best_epoch: int
    dev_scores: dict[str, Any]
    history: list[dict[str, Any]]


@dataclass
class EncodedDoc:
    pages: list[EncodedPage]
    gold: list[np.ndarray]  # per page: gold label id per word (IGNORE_INDEX when unlabelled, OPEN_LABEL)
    annotated: np.ndarray  # (n_labels,) bool: labels the source dataset annotates


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


ANNOTATED_LABELS_META = "annotated_labels"  # Document.meta key: labels the dataset marks (default: all)


def annotated_mask(doc: Document) -> np.ndarray:
    names = doc.meta.get(ANNOTATED_LABELS_META)
    if not names:
        return np.ones(len(LABELS), dtype=bool)
    return np.array([label in names for label in LABELS], dtype=bool)


def document_pages(doc: Document) -> list[tuple[list[str], list[tuple[float, float, float, float]], tuple[float, float], list[int]]]:
    """Per page: word texts, boxes, page size and gold label ids, in the document's word order.

    In a dataset that does not annotate every label (doc.meta["annotated_labels"]),
    a misc word is OPEN_LABEL: it may be misc or any label the dataset leaves unmarked.
    """
    annotated = annotated_mask(doc)
    partial = not annotated.all()
    sizes = {p.index: (float(p.width), float(p.height)) for p in doc.pages}
    by_page: dict[int, list[Word]] = {}
    for w in doc.words:
        by_page.setdefault(w.page, []).append(w)
    out = []
    for index in sorted(by_page):
        words = by_page[index]
        size = sizes.get(index) or (max(w.x1 for w in words), max(w.y1 for w in words))
        labels = []
        for w in words:
            if w.label not in LABEL_TO_ID:
                labels.append(IGNORE_INDEX)
            elif partial and w.label == MISC:
                labels.append(OPEN_LABEL)
            else:
                labels.append(LABEL_TO_ID[w.label])
        out.append(([w.text for w in words], [w.box for w in words], size, labels))
    return out


def encode_documents(docs: Sequence[Document], tokenizer: Any, options: EncodingOptions) -> list[EncodedDoc]:
    special = SpecialIds(tokenizer)
    encoded = []
    for doc in docs:
        annotated = annotated_mask(doc)
        open_labels = tuple(bool(x) for x in (~annotated)) if not annotated.all() else None
        if open_labels is not None:
            open_labels = tuple(v or i == LABEL_TO_ID[MISC] for i, v in enumerate(open_labels))
        pages, gold = [], []
        for texts, boxes, size, labels in document_pages(doc):
            pages.append(encode_page(tokenizer, texts, boxes, size, labels=labels, options=options, special=special, open_labels=open_labels))
            gold.append(np.asarray(labels, dtype=np.int64))
        encoded.append(EncodedDoc(pages, gold, annotated))
    return encoded


def token_loss(logits: Any, labels: Any, open_labels: Any) -> Any:
    """Cross-entropy on exactly labelled tokens plus a partial-label loss on OPEN_LABEL tokens.

    For an open token the target is the set of acceptable labels: the loss is
    -log of the probability mass the model puts on that set, so SROIE's
    unmarked words teach "not a shop/address/date/total" without claiming "misc".
    """
    import torch

    log_probs = torch.log_softmax(logits.float(), dim=-1)
    exact = labels >= 0
    open_ = labels == OPEN_LABEL
    losses = []
    if exact.any():
        losses.append(-log_probs[exact].gather(1, labels[exact].unsqueeze(1)).squeeze(1))
    if open_.any():
        allowed = open_labels.unsqueeze(1).expand(-1, labels.shape[1], -1)[open_]
        masked = log_probs[open_].masked_fill(~allowed, float("-inf"))
        losses.append(-torch.logsumexp(masked, dim=-1))
    if not losses:
        return logits.sum() * 0.0
    return torch.cat(losses).mean()


def length_bucketed_batches(lengths: Sequence[int], batch_size: int, rng: random.Random, pool: int = 32) -> list[list[int]]:
    """Shuffled batches of indices where each batch holds windows of similar length.

    Sorting inside pools of `pool` batches keeps padding (wasted CPU) small
    while every epoch still sees a different order and mix.
    """
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    chunk = batch_size * pool
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: lengths[i])
        batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def word_scores(gold: np.ndarray, pred: np.ndarray, labels: Sequence[str] = LABELS) -> dict[str, Any]:
    """Word-level micro/macro/weighted F1 and per-label P/R/F1 over words with a gold label.

    Used for early stopping during training. Micro F1 over single-label words
    equals accuracy; macro averages the labels present in gold or predictions.
    """
    mask = gold != IGNORE_INDEX
    g, p = gold[mask], pred[mask]
    n = len(labels)
    confusion = np.bincount(g * n + p, minlength=n * n).reshape(n, n) if len(g) else np.zeros((n, n), dtype=np.int64)
    tp = np.diag(confusion).astype(float)
    support = confusion.sum(axis=1).astype(float)
    predicted = confusion.sum(axis=0).astype(float)
    precision = np.divide(tp, predicted, out=np.zeros(n), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros(n), where=support > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(n), where=(precision + recall) > 0)
    present = (support > 0) | (predicted > 0)
    micro = float(tp.sum() / max(1, len(g)))
    per_label = {labels[i]: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]), "support": int(support[i])} for i in range(n)}
    return {
        "micro": {"f1": micro, "precision": micro, "recall": micro},
        "macro": {"f1": float(f1[present].mean()) if present.any() else 0.0},
        "weighted": {"f1": float((f1 * support).sum() / max(1.0, support.sum()))},
        "per_label": per_label,
        "n_words": int(len(g)),
    }


def predict_probabilities(model: Any, docs: Sequence[EncodedDoc], pad_id: int, n_labels: int, batch_size: int) -> list[list[np.ndarray]]:
    """Per document, per page: word probabilities from the torch model (same merge as inference)."""
    import torch

    model.eval()
    flat = [(d, p, w) for d, doc in enumerate(docs) for p, page in enumerate(doc.pages) for w in range(len(page.windows))]
    flat.sort(key=lambda t: len(docs[t[0]].pages[t[1]].windows[t[2]]))
    window_probs: dict[tuple[int, int, int], np.ndarray] = {}
    with torch.no_grad():
        for start in range(0, len(flat), batch_size):
            keys = flat[start : start + batch_size]
            windows = [docs[d].pages[p].windows[w] for d, p, w in keys]
            batch = pad_batch(windows, pad_id)
            logits = model(
                input_ids=torch.from_numpy(batch["input_ids"]),
                bbox=torch.from_numpy(batch["bbox"]),
                attention_mask=torch.from_numpy(batch["attention_mask"]),
            ).logits
            probs = torch.softmax(logits.float(), dim=-1).numpy()
            for key, row in zip(keys, probs):
                window_probs[key] = row
    out = []
    for d, doc in enumerate(docs):
        out.append(
            [merge_window_probabilities(page, [window_probs[(d, p, w)] for w in range(len(page.windows))], n_labels) for p, page in enumerate(doc.pages)]
        )
    return out


def fold_unannotated(gold: np.ndarray, pred: np.ndarray, annotated: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Score a partially annotated document fairly: labels it does not annotate count as misc on both sides."""
    misc = LABEL_TO_ID[MISC]
    gold = np.where(gold == OPEN_LABEL, misc, gold)
    pred = np.where(annotated[pred], pred, misc)
    return gold, pred


def evaluate_torch(model: Any, docs: Sequence[EncodedDoc], pad_id: int, batch_size: int) -> dict[str, Any]:
    probs = predict_probabilities(model, docs, pad_id, len(LABELS), batch_size)
    golds, preds = [], []
    for doc, doc_probs in zip(docs, probs):
        for gold, page_probs in zip(doc.gold, doc_probs):
            g, p = fold_unannotated(gold, page_probs.argmax(axis=1), doc.annotated)
            golds.append(g)
            preds.append(p)
    if not golds:
        return word_scores(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    return word_scores(np.concatenate(golds), np.concatenate(preds))


def _check_docs(docs: Sequence[Document], what: str) -> None:
    n = sum(1 for d in docs for w in d.words if w.label in LABEL_TO_ID)
    if n == 0:
        raise DataError(f"the {what} documents have no labelled words; give annotated data (see `tillroll train --help`)")


def train(
    train_docs: Sequence[Document],
    dev_docs: Sequence[Document],
    out_dir: str | Path,
    config: TrainConfig | None = None,
    progress: bool = True,
    on_epoch: Callable[[int, dict[str, Any]], None] | None = None,
) -> TrainResult:
    """Train, early-stop on dev macro F1, save the best weights and export int8 ONNX to `out_dir`.

    `on_epoch(epoch, dev_scores)` is called after each epoch (tuning uses it to prune trials).
    """
    from .layoutlm import NEW_PARAMETER_PREFIXES, build_model, load_trained, minilm_dir, require_torch

    require_torch()
    import torch
    from tqdm import tqdm

    config = config or TrainConfig()
    _check_docs(train_docs, "training")
    _check_docs(dev_docs, "dev")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(max(1, config.threads))
    seed_everything(config.seed)
    rng = random.Random(config.seed)
    started = time.time()

    tokenizer_path = (Path(config.init) / "tokenizer.json") if config.init else (minilm_dir() / "tokenizer.json")
    tokenizer = load_tokenizer(tokenizer_path)
    special = SpecialIds(tokenizer)
    options = config.encoding()
    train_enc = encode_documents(train_docs, tokenizer, options)
    dev_enc = encode_documents(dev_docs, tokenizer, options)
    windows = [w for doc in train_enc for page in doc.pages for w in page.windows if any(x != IGNORE_INDEX for x in w.labels)]
    lengths = [len(w) for w in windows]

    if config.init:
        model = load_trained(Path(config.init))
        if model.config.num_labels != len(LABELS):
            raise ConfigError(f"--init model has {model.config.num_labels} labels, this tillroll has {len(LABELS)}")
    else:
        model = build_model(len(LABELS), config.architecture, pretrained=config.pretrained, seed=config.seed)

    if config.freeze_word_embeddings:
        model.layoutlm.embeddings.word_embeddings.weight.requires_grad_(False)
    steps_per_epoch = math.ceil(len(windows) / config.batch_size)
    if config.max_steps_per_epoch:
        steps_per_epoch = min(steps_per_epoch, config.max_steps_per_epoch)
    total_steps = max(1, steps_per_epoch * config.epochs)
    no_decay = ("bias", "LayerNorm.weight")
    groups: dict[tuple[bool, bool], list[Any]] = {}  # torch parameters
    for n, p in model.named_parameters():
        if p.requires_grad:
            is_new = (not config.init) and n.startswith(NEW_PARAMETER_PREFIXES)
            groups.setdefault((is_new, any(k in n for k in no_decay)), []).append(p)
    optimizer = torch.optim.AdamW(
        [
            {
                "params": params,
                "lr": config.learning_rate * (config.new_parameter_lr_factor if is_new else 1.0),
                "weight_decay": 0.0 if decay_free else config.weight_decay,
            }
            for (is_new, decay_free), params in groups.items()
        ]
    )
    warmup = int(config.warmup_ratio * total_steps)

    def lr_factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)

    history: list[dict[str, Any]] = []
    best_f1, best_epoch, best_state, best_scores = -1.0, 0, None, {}
    epochs_without_gain = 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        batches = length_bucketed_batches(lengths, config.batch_size, rng)[:steps_per_epoch]
        losses = []
        bar = tqdm(batches, desc=f"epoch {epoch}/{config.epochs}", disable=not progress, mininterval=5, unit="batch")
        for batch_ids in bar:
            batch = pad_batch([windows[i] for i in batch_ids], special.pad, n_labels=len(LABELS))
            logits = model(
                input_ids=torch.from_numpy(batch["input_ids"]),
                bbox=torch.from_numpy(batch["bbox"]),
                attention_mask=torch.from_numpy(batch["attention_mask"]),
            ).logits
            loss = token_loss(logits, torch.from_numpy(batch["labels"]), torch.from_numpy(batch["open_labels"]))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            losses.append(float(loss.detach()))
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
        scores = evaluate_torch(model, dev_enc, special.pad, config.eval_batch_size)
        record = {
            "epoch": epoch,
            "train_loss": round(float(np.mean(losses)) if losses else 0.0, 4),
            "dev_macro_f1": round(scores["macro"]["f1"], 4),
            "dev_micro_f1": round(scores["micro"]["f1"], 4),
            "elapsed_s": round(time.time() - started, 1),
        }
        history.append(record)
        if progress:
            print(json.dumps(record), flush=True)
        if on_epoch:
            on_epoch(epoch, scores)
        if scores["macro"]["f1"] > best_f1:
            best_f1, best_epoch, best_scores = scores["macro"]["f1"], epoch, scores
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            epochs_without_gain = 0
        else:
            epochs_without_gain += 1
            if epochs_without_gain >= config.patience:
                break
        if config.time_budget_s and time.time() - started > config.time_budget_s:
            break

    if best_state is not None:
        model.load_state_dict(best_state)
    save_model(model, out_dir, config, tokenizer_path, best_epoch, best_scores, history, n_train=len(train_docs), n_dev=len(dev_docs))
    return TrainResult(out_dir=out_dir, best_epoch=best_epoch, dev_scores=best_scores, history=history)


def save_model(
    model: Any,
    out_dir: Path,
    config: TrainConfig,
    tokenizer_path: Path,
    best_epoch: int,
    dev_scores: dict[str, Any],
    history: list[dict[str, Any]],
    n_train: int,
    n_dev: int,
) -> None:
    from .export import export_to
    from .layoutlm import TORCH_SUBDIR

    model.save_pretrained(str(out_dir / TORCH_SUBDIR))
    if tokenizer_path.resolve() != (out_dir / "tokenizer.json").resolve():
        shutil.copy2(tokenizer_path, out_dir / "tokenizer.json")
    (out_dir / "labels.json").write_text(json.dumps(list(LABELS)), encoding="utf-8")
    resolved = asdict(config)
    resolved["encoding"] = asdict(config.encoding())
    resolved["trained_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    resolved["best_epoch"] = best_epoch
    resolved["n_train_documents"] = n_train
    resolved["n_dev_documents"] = n_dev
    resolved["dev_word_scores_torch"] = {k: dev_scores[k] for k in ("micro", "macro", "weighted") if k in dev_scores}
    resolved["torch_threads"] = config.threads
    resolved["environment"] = {"python_hash_seed": os.environ.get("PYTHONHASHSEED")}
    (out_dir / CONFIG_FILE).write_text(json.dumps(resolved, indent=2), encoding="utf-8")
    (out_dir / "history.json").write_text(json.dumps(history, indent=2), encoding="utf-8")
    if config.export:
        export_to(model, out_dir)
