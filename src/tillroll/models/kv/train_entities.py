"""Train the key-value entity model: a LayoutLM token classifier over BIO tags (training side, torch).

Same family as the receipt classifier (`models.layoutlm`: MiniLM-initialised
LayoutLM, WordPiece pre-split words, boxes on a 0..1000 grid, windows of 512
tokens) with its own label set (`data.BIO_LABELS`). The exported ONNX model has
two outputs: the tag logits and the last hidden layer, whose per-word vectors
the linker may read (see `linker`).

No early stopping: the run keeps the last step's weights (linear decay to 0),
so the dev split is only reported, never used to pick a checkpoint.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..encoding import EncodingOptions, SpecialIds, encode_page, load_tokenizer, merge_window_probabilities, pad_batch
from .data import BIO_LABELS, KvPage

ONNX_OUTPUTS = ("logits", "hidden")


@dataclass
class EntityTrainConfig:
    architecture: str = "minilm-l2"
    epochs: int = 12
    learning_rate: float = 1.5e-4
    new_parameter_lr_factor: float = 5.0
    batch_size: int = 4
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_grad_norm: float = 1.0
    seed: int = 13
    threads: int = 2
    max_length: int = 512
    stride: int = 128
    max_word_tokens: int = 1  # form text is mostly dictionary words; one piece per word keeps windows short
    time_budget_s: float | None = None  # wall-clock budget: the schedule decays to 0 by then (see progress)
    eval_every_epoch: bool = False
    # Forms never repeat a layout, and a tagger free to learn absolute positions memorises
    # the training forms (measured: 97 % tag accuracy on them, 48 % on dev after 6 epochs).
    # So every batch's boxes are scaled and shifted at random (up to this share of the page),
    # and the 2-D tables learn at the pretrained rate, not the faster rate of new layers.
    box_jitter: float = 0.12  # dev entity F1 after every epoch (costs a dev pass each), else at the end
    data: dict[str, Any] = field(default_factory=dict)

    def encoding(self) -> EncodingOptions:
        return EncodingOptions(max_length=self.max_length, stride=self.stride, max_word_tokens=self.max_word_tokens)


def _encode(pages: Sequence[KvPage], tokenizer: Any, options: EncodingOptions, special: SpecialIds) -> list[Any]:
    return [encode_page(tokenizer, p.texts, p.boxes, p.size, labels=p.bio_tags(), options=options, special=special) for p in pages]


def jitter_boxes(bbox: np.ndarray, words: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Per window: one random scale (1 +- share) and shift (+- share of the page) of every word box, clipped to 0..1000."""
    out = bbox.astype(np.float64).copy()
    for i in range(bbox.shape[0]):
        if not words[i].any():
            continue
        moved = out[i].copy()
        for a, b in ((0, 2), (1, 3)):
            scale = 1.0 + rng.uniform(-share, share)
            moved[:, [a, b]] *= scale
            lo, hi = moved[words[i], a].min(), moved[words[i], b].max()
            # Shift within +- share of the page, but keep the words on it (no pile-up at the edges).
            low, high = max(-share * 1000, -lo), min(share * 1000, 1000 - hi)
            moved[:, [a, b]] += rng.uniform(low, high) if low < high else (low + high) / 2
        out[i] = np.where(words[i][:, None], moved, out[i])
    return np.clip(np.rint(out), 0, 1000).astype(bbox.dtype)


def _pad_id(special: SpecialIds) -> int:
    if special.pad is None:  # SpecialIds refuses such a tokenizer; this keeps the type exact
        raise ValueError("the tokenizer has no [PAD] token")
    return int(special.pad)


def predict_tags_torch(model: Any, encoded: Sequence[Any], pad_id: int) -> list[np.ndarray]:
    """Per page: BIO probabilities per word (same window merge as inference)."""
    import torch

    model.eval()
    out = []
    with torch.no_grad():
        for page in encoded:
            if not page.windows:
                out.append(np.zeros((0, len(BIO_LABELS)), dtype=np.float32))
                continue
            batch = pad_batch(page.windows, pad_id)
            logits = model(
                input_ids=torch.from_numpy(batch["input_ids"]), bbox=torch.from_numpy(batch["bbox"]), attention_mask=torch.from_numpy(batch["attention_mask"])
            ).logits
            probs = torch.softmax(logits.float(), dim=-1).numpy()
            out.append(merge_window_probabilities(page, list(probs), len(BIO_LABELS)))
    return out


def train_entity_model(
    train_pages: Sequence[KvPage],
    dev_pages: Sequence[KvPage],
    out_dir: Path,
    config: EntityTrainConfig,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train, export int8 ONNX (logits + hidden) to `out_dir`, return the history."""
    import torch

    from ..layoutlm import build_model, minilm_dir, require_torch
    from .decode import decode_entities
    from .metrics import entity_scores

    require_torch()
    torch.set_num_threads(max(1, config.threads))
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    np_rng = np.random.default_rng(config.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer_path = minilm_dir() / "tokenizer.json"
    tokenizer = load_tokenizer(tokenizer_path)
    special = SpecialIds(tokenizer)
    pad_id = _pad_id(special)
    options = config.encoding()
    train_enc = _encode(train_pages, tokenizer, options, special)
    dev_enc = _encode(dev_pages, tokenizer, options, special)
    windows = [w for page in train_enc for w in page.windows]
    model = build_model(len(BIO_LABELS), config.architecture, pretrained=config.architecture.startswith("minilm"), seed=config.seed)
    model.layoutlm.embeddings.word_embeddings.weight.requires_grad_(False)
    steps_per_epoch = math.ceil(len(windows) / config.batch_size)
    total_steps = max(1, steps_per_epoch * config.epochs)
    groups: dict[tuple[bool, bool], list[Any]] = {}
    for n, p in model.named_parameters():
        if p.requires_grad:
            groups.setdefault((n.startswith("classifier."), "bias" in n or "LayerNorm.weight" in n), []).append(p)
    optimizer = torch.optim.AdamW(
        [
            {"params": ps, "lr": config.learning_rate * (config.new_parameter_lr_factor if new else 1.0), "weight_decay": 0.0 if free else config.weight_decay}
            for (new, free), ps in groups.items()
        ]
    )
    warmup = max(1, int(config.warmup_ratio * min(total_steps, 2 * steps_per_epoch)))
    started = time.time()

    def progress(step: int) -> float:
        # On a shared machine a run must end on time: with a time budget, the learning
        # rate decays by whichever is further along, steps or wall time, and training
        # ends when either is done, so a slow machine gets fewer steps, not a cut-off schedule.
        done = step / total_steps
        if config.time_budget_s:
            done = max(done, (time.time() - started) / config.time_budget_s)
        return min(1.0, done)

    def lr_factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, 1.0 - progress(step))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-100)
    history: list[dict[str, Any]] = []
    step = 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = list(range(len(windows)))
        rng.shuffle(order)
        losses = []
        for start in range(0, len(order), config.batch_size):
            if progress(step) >= 1.0:
                break
            batch = pad_batch([windows[i] for i in order[start : start + config.batch_size]], pad_id)
            if config.box_jitter:
                batch["bbox"] = jitter_boxes(batch["bbox"], batch["labels"] != -100, config.box_jitter, np_rng)
            logits = model(
                input_ids=torch.from_numpy(batch["input_ids"]), bbox=torch.from_numpy(batch["bbox"]), attention_mask=torch.from_numpy(batch["attention_mask"])
            ).logits
            loss = loss_fn(logits.reshape(-1, len(BIO_LABELS)), torch.from_numpy(batch["labels"]).reshape(-1))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            step += 1
            losses.append(float(loss.detach()))
        record: dict[str, Any] = {
            "epoch": epoch,
            "steps": step,
            "train_loss": round(float(np.mean(losses)), 4) if losses else None,
            "elapsed_s": round(time.time() - started, 1),
        }
        finished = progress(step) >= 1.0 or epoch == config.epochs
        if dev_pages and (finished or config.eval_every_epoch):
            probs = predict_tags_torch(model, dev_enc, pad_id)
            predicted = [decode_entities(p, pr) for p, pr in zip(dev_pages, probs)]
            scores = entity_scores([(p.entities, pred) for p, pred in zip(dev_pages, predicted)])
            record["dev_entity_f1"] = round(scores["micro"]["f1"], 4)
        history.append(record)
        log(json.dumps(record))
        (out_dir / "history.json").write_text(json.dumps(history, indent=1), encoding="utf-8")
        model.save_pretrained(str(out_dir / "torch"))  # a usable checkpoint if the run is stopped
        if finished:
            break
    import shutil

    shutil.copy2(tokenizer_path, out_dir / "tokenizer.json")
    export_entity_model(model, out_dir)
    summary = asdict(config)
    summary["encoding"] = asdict(options)
    summary["labels"] = list(BIO_LABELS)
    summary["epochs_run"] = len(history)
    summary["history"] = history
    return summary


def export_entity_model(model: Any, out_dir: Path) -> Path:
    """Float ONNX with outputs (logits, hidden), then per-channel dynamic int8 as `entities.onnx`."""
    import os

    import torch

    from ..export import OPSET, quantize_int8

    class _Both(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, bbox: Any, attention_mask: Any) -> tuple[Any, Any]:
            out = self.inner(input_ids=input_ids, bbox=bbox, attention_mask=attention_mask, output_hidden_states=True)
            return out.logits, out.hidden_states[-1]

    wrapper = _Both(model.eval()).eval()
    n = 16
    dummy = (torch.ones((1, n), dtype=torch.long), torch.zeros((1, n, 4), dtype=torch.long), torch.ones((1, n), dtype=torch.long))
    float_path = out_dir / "entities.float.onnx"
    with torch.no_grad():
        torch.onnx.export(
            wrapper,
            dummy,
            str(float_path),
            input_names=["input_ids", "bbox", "attention_mask"],
            output_names=list(ONNX_OUTPUTS),
            dynamic_axes={k: {0: "batch", 1: "sequence"} for k in ("input_ids", "bbox", "attention_mask", *ONNX_OUTPUTS)},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    int8_path = out_dir / "entities.onnx"
    quantize_int8(float_path, int8_path)
    float_path.unlink(missing_ok=True)
    for leftover in out_dir.glob("*-opt.onnx"):
        leftover.unlink(missing_ok=True)
    os.sync()
    return int8_path
