"""Build the int8 text detector that the default OCR engine ships (`src/tillroll/ocr/models/`).

The PP-OCRv6 small detector in the rapidocr wheel is an fp32 network; detection
was about three quarters of a receipt's OCR time on session 9's CPU. Static int8
quantisation (7-bit weights per channel, activations per tensor, QDQ format) ran
it three times faster on session 10's CPU (model not recorded; the gain int8
dot-product instructions such as VNNI give; measured with full 8-bit weights), 1.2x faster on one thread of an AVX2-only CPU and level
on two, with the same boxes to within noise (docs/benchmarks.md, "Sessions 10-11:
an int8 text detector for the default engine"). The 7-bit weights make AVX2 and
VNNI CPUs compute the same integers (see `quantize`).

Activation ranges are calibrated on pages the project renders itself
(`tillroll synth` receipts in every locale, plain and degraded, and A4 invoice
pages), so the derived model carries no dataset licence: only the Apache-2.0
licence of the PP-OCRv6 weights it is made from.

    python scripts/quantize_ocr_detector.py            # writes the shipped model
    python scripts/quantize_ocr_detector.py --out X.onnx --receipts 8 --invoices 2

The output is deterministic for a given rapidocr / onnxruntime release (rebuilt twice
on 2026-12-03: byte-identical).
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from tillroll.ocr.rapidocr import DETECTOR_INT8_PATH, rapidocr_models_dir

# The detector's input scaling, as RapidOCR applies it in the default engine: the
# longer side capped (Global.max_side_len, lowered here to bound the calibrator's
# memory, which keeps every intermediate tensor), then the shorter side raised
# to 736 px and both rounded to multiples of 32 (Det.limit_side_len).
CALIBRATION_MAX_SIDE = 1600
DETECTOR_SHORT_SIDE = 736


def calibration_pages(receipts: int, invoices: int, seed: int, work: Path) -> list[Path]:
    """Render `receipts` synthetic receipts (half clean, half degraded) and `invoices` A4 invoice pages."""
    from tillroll.synth.generate import generate
    from tillroll.synth.invoice.generate import iter_generate_invoices
    from tillroll.synth.localedata import available_locales

    locales = ",".join(available_locales())
    clean = generate(receipts // 2, locales, seed, work / "clean", degrade=0.0)
    rough = generate(receipts - receipts // 2, locales, seed + 1, work / "rough", degrade=0.7)
    pages = [Path(p) for p in [*clean, *rough]]
    for written in iter_generate_invoices(invoices, "all", seed, work / "invoices", form="image"):
        pages.extend(Path(p) for p in written)
    return [p for p in pages if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".tif", ".tiff")]


def detector_inputs(paths: list[Path]) -> list[np.ndarray]:
    """Each page as the detector's normalised NCHW input."""
    import cv2
    from PIL import Image
    from rapidocr.ch_ppocr_det.utils import DetPreProcess

    prepare = DetPreProcess(DETECTOR_SHORT_SIDE, "min", [0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
    out = []
    for path in paths:
        with Image.open(path) as img:
            for frame in range(getattr(img, "n_frames", 1)):
                img.seek(frame)
                bgr = np.asarray(img.convert("RGB"))[:, :, ::-1].copy()
                h, w = bgr.shape[:2]
                scale = min(1.0, CALIBRATION_MAX_SIDE / max(h, w))
                if scale < 1.0:
                    bgr = cv2.resize(bgr, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
                x = prepare(bgr)
                if x is None:  # an image too small for the detector's input
                    continue
                out.append(x)
    return out


def quantize(source: Path, out: Path, inputs: list[np.ndarray], work: Path) -> None:
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    model = onnx.load(str(source))
    name = model.graph.input[0].name
    # Per-channel weight scales need DequantizeLinear's `axis`, which opset 13 added; the wheel's model is opset 11.
    onnx.save(version_converter.convert_version(model, 13), str(work / "opset13.onnx"))
    quant_pre_process(str(work / "opset13.onnx"), str(work / "prepared.onnx"), skip_symbolic_shape=True)

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._feeds = iter([{name: x} for x in inputs])

        def get_next(self) -> dict[str, Any] | None:
            return next(self._feeds, None)

    out.parent.mkdir(parents=True, exist_ok=True)
    quantize_static(
        str(work / "prepared.onnx"),
        str(out),
        Reader(),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        # 7-bit weights: CPUs without VNNI (AVX2 only) multiply uint8 x int8 pairs with an
        # instruction that saturates at int16, which with full-range weights changed the
        # probability map (IoU with the fp32 map 0.92 on an AVX2 EPYC, 0.97 on a VNNI CPU).
        # With 7 bits nothing saturates, so every CPU computes the same integers (IoU 0.97).
        reduce_range=True,
        calibrate_method=CalibrationMethod.MinMax,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DETECTOR_INT8_PATH)
    parser.add_argument("--receipts", type=int, default=24, help="synthetic receipts to calibrate on")
    parser.add_argument("--invoices", type=int, default=4, help="synthetic A4 invoices to calibrate on")
    parser.add_argument("--seed", type=int, default=20261203)
    args = parser.parse_args()
    source = rapidocr_models_dir() / "PP-OCRv6_det_small.onnx"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pages = calibration_pages(args.receipts, args.invoices, args.seed, work)
        inputs = detector_inputs(pages)
        print(f"calibrating on {len(inputs)} pages")
        quantize(source, args.out, inputs, work)
    data = args.out.read_bytes()
    print(f"wrote {args.out} ({len(data) / 1e6:.1f} MB, sha256 {hashlib.sha256(data).hexdigest()[:16]})")


if __name__ == "__main__":
    main()
