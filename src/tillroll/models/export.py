"""Export a trained torch classifier to ONNX and quantise it to int8 for CPU inference.

Dynamic int8 quantisation is per channel: per-tensor scales lost accuracy on
this model (a few embedding/projection rows have much larger ranges than the
rest). The quantised file is what ships and what `ClassifyStage` runs; the
float ONNX file is removed unless asked for, because nothing at runtime needs it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from ..errors import ModelError

ONNX_FILE = "model.onnx"  # the int8 model inference loads
FLOAT_ONNX_FILE = "model.float.onnx"
ONNX_INPUTS = ("input_ids", "bbox", "attention_mask")
OPSET = 17


def export_onnx(model: Any, path: Path) -> Path:
    """Write `model` (LayoutLMForTokenClassification) as float ONNX with dynamic batch and length."""
    import torch

    class _LogitsOnly(torch.nn.Module):
        # The HF model returns a dataclass; ONNX wants plain tensors in, plain tensors out.
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, bbox: Any, attention_mask: Any) -> Any:  # torch tensors, traced for export
            return self.inner(input_ids=input_ids, bbox=bbox, attention_mask=attention_mask).logits

    model = model.eval()
    wrapper = _LogitsOnly(model).eval()
    sample_len = 16
    dummy = (
        torch.ones((1, sample_len), dtype=torch.long),
        torch.zeros((1, sample_len, 4), dtype=torch.long),
        torch.ones((1, sample_len), dtype=torch.long),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            wrapper,
            dummy,
            str(path),
            input_names=list(ONNX_INPUTS),
            output_names=["logits"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "bbox": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                "logits": {0: "batch", 1: "sequence"},
            },
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    return path


def quantize_int8(float_path: Path, int8_path: Path) -> Path:
    """Dynamic int8 quantisation, per channel, of every MatMul/Gather weight."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(float_path), str(int8_path), per_channel=True, weight_type=QuantType.QInt8)
    return int8_path


def export_model_dir(model_dir: Path, keep_float: bool = False) -> Path:
    """Re-export `model_dir/torch` to `model_dir/model.onnx` (int8). Returns the int8 path."""
    from .layoutlm import load_trained

    model_dir = Path(model_dir)
    model = load_trained(model_dir)
    return export_to(model, model_dir, keep_float=keep_float)


def export_to(model: Any, model_dir: Path, keep_float: bool = False) -> Path:
    model_dir = Path(model_dir)
    float_path = model_dir / FLOAT_ONNX_FILE
    int8_path = model_dir / ONNX_FILE
    export_onnx(model, float_path)
    tmp = model_dir / f".{ONNX_FILE}.{os.getpid()}.tmp"
    try:
        quantize_int8(float_path, tmp)
        os.replace(tmp, int8_path)
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        raise ModelError(f"int8 quantisation of {float_path} failed: {exc}") from exc
    finally:
        if not keep_float:
            float_path.unlink(missing_ok=True)
    # onnxruntime's quantiser leaves a pre-processing copy behind in some versions.
    for leftover in model_dir.glob("*-opt.onnx"):
        leftover.unlink(missing_ok=True)
    return int8_path


def copy_runtime_files(model_dir: Path, target: Path) -> None:
    """Copy only what inference needs (the shipped default model) from `model_dir` to `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for name in (ONNX_FILE, "tokenizer.json", "labels.json", "config.json"):
        src = Path(model_dir) / name
        if not src.is_file():
            raise ModelError(f"{src} missing; run `tillroll export {model_dir}` first")
        shutil.copy2(src, target / name)
