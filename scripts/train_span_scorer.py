"""Train the span scorer (tillroll.extract.span_scorer) on the train split; choose its ridge penalty on dev.

Each receipt runs through the joint pipeline (cached OCR, shipped classifier,
rules, assembler) once; the processed documents are kept in --work so that
refits cost seconds. Candidates are right when their value equals the gold's by
the strict scorer (letters and digits). The test split is never read here.

    TILLROLL_CACHE_DIR=$PWD/.cache python scripts/train_span_scorer.py \
        --train sroie:$D/sroie/train:train,wildreceipt:$D/wildreceipt:train \
        --dev sroie:$D/sroie/train:dev,wildreceipt:$D/wildreceipt:dev --out src/tillroll/extract/data/span_scorer.json
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path
from typing import Any

from tillroll.config import PipelineConfig
from tillroll.document import Document, Field
from tillroll.evaluate.values import strict_match
from tillroll.extract.span_scorer import FEATURES, SCORED_FIELDS, SpanScorer, candidates, fit_conditional_logit, training_groups


def processed(
    spec: str, work: Path, model_dir: Path | None, cached_only: bool, ocr: str = "rapidocr", allow_test: bool = False
) -> list[tuple[Document, dict[str, Field]]]:
    """(joint pipeline's document, gold fields) per receipt of `spec`, from --work when already computed."""
    from tillroll.evaluate.runner import build_stages, cached_engine, load_example_document
    from tillroll.io.datasets import read_dataset
    from tillroll.pipeline import Pipeline

    if spec.endswith(":test") and not allow_test:
        raise SystemExit("the span scorer never trains or selects on the test split (score it with --score-only)")
    key = f"{ocr}-" + spec.replace("/", "_").replace(":", "_") + ("-cached" if cached_only else "") + (f"-{model_dir.name}" if model_dir else "")
    path = work / f"{key}.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())  # noqa: S301 - our own cache file
    from tillroll.ocr.static import StaticEngine

    config = PipelineConfig(model="joint", model_dir=model_dir)
    # "gold": the annotation's own words (no OCR cost, cleaner text than users get).
    static = StaticEngine()
    engine: Any = static if ocr == "gold" else cached_engine(ocr)
    # The rules' spans are what the scorer learns to re-decide: run the joint model without it.
    pipeline = Pipeline(config, stages=[s for s in build_stages("joint", engine, config) if getattr(s, "name", "") != "spans"])
    out = []
    skipped = 0
    t0 = time.time()
    for example in read_dataset(spec):
        doc = load_example_document(example)
        if ocr == "gold":
            static.words = example.gold_ocr_words()
        elif cached_only and not engine.path_for(doc.pages[0].image).exists():
            skipped += 1
            continue
        doc = pipeline.run(doc)
        for p in doc.pages:
            p.image = None
        gold = {k: v for k, v in example.reference.fields.items() if k in example.annotated_fields and k in SCORED_FIELDS}
        out.append((doc, gold))
    print(f"{spec}: {len(out)} receipts ({skipped} without cached OCR skipped) in {time.time() - t0:.0f}s", file=sys.stderr)
    work.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(out))
    return out


def choice_accuracy(scorer: SpanScorer | None, docs: list[tuple[Document, dict[str, Field]]], field_name: str) -> dict[str, Any]:
    """Right / wrong field values of the rules and of the scorer, over receipts with a gold value."""
    rules_right = model_right = oracle = n = 0
    for doc, gold in docs:
        g = gold.get(field_name)
        if g is None:
            continue
        n += 1
        rule_field = doc.fields.get(field_name)
        rules_ok = rule_field is not None and strict_match(g.value, rule_field.value, field_name)
        rules_right += rules_ok
        cands = candidates(doc, field_name, rule_field)
        if not cands:
            model_right += rules_ok
            continue
        from tillroll.extract.span_scorer import _value_of

        values = [rule_field.value if (c.from_rules and rule_field is not None) else _value_of(c.words, field_name) for c in cands]
        oracle += any(strict_match(g.value, v, field_name) for v in values)
        if scorer is None:
            continue
        scores = [scorer.score(field_name, c.features) for c in cands]
        best = max(range(len(cands)), key=lambda i: scores[i])
        model_right += strict_match(g.value, values[best], field_name)
    return {"receipts": n, "rules": rules_right, "scorer": model_right, "any_candidate": oracle}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", required=True)
    ap.add_argument("--dev", required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--work", type=Path, default=Path("runs/span-scorer"))
    ap.add_argument("--model-dir", type=Path, default=None, help="classifier whose probabilities are features (default: shipped)")
    ap.add_argument("--cached-only", action="store_true", help="train on the training receipts whose OCR is cached, skip the rest")
    ap.add_argument("--ocr", default="rapidocr", help="OCR engine whose cached words the training receipts are read with (gold: their annotation words)")
    ap.add_argument("--dev-ocr", default=None, help="OCR engine for the dev receipts (default: --ocr)")
    ap.add_argument(
        "--score-only",
        default=None,
        help="do not train: score the weights in --out on these specs (e.g. the test split, once a change is finished)",
    )
    ap.add_argument("--l2", default="0.0001,0.001,0.01,0.1", help="ridge penalties to try; dev picks one per field")
    args = ap.parse_args()
    if args.score_only:
        scorer = SpanScorer.load(args.out)
        for spec in args.score_only.split(","):
            docs = processed(spec, args.work, args.model_dir, False, args.dev_ocr or args.ocr, allow_test=True)
            print(spec, {f: choice_accuracy(scorer, docs, f) for f in SCORED_FIELDS})
        return

    train: list[tuple[Document, dict[str, Field]]] = []
    for spec in args.train.split(","):
        train += processed(spec, args.work, args.model_dir, args.cached_only, args.ocr)
    dev: list[tuple[Document, dict[str, Field]]] = []
    for spec in args.dev.split(","):
        dev += processed(spec, args.work, args.model_dir, args.cached_only, args.dev_ocr or args.ocr)
    weights, means, scales, report = {}, {}, {}, {}
    for field_name in SCORED_FIELDS:
        groups = training_groups(train, field_name, lambda g, v, f=field_name: strict_match(g, v, f))
        best: tuple[int, float, Any] | None = None
        trials = []
        for l2 in (float(x) for x in args.l2.split(",")):
            w, m, s = fit_conditional_logit(groups, l2)
            scorer = SpanScorer({field_name: w}, {field_name: m}, {field_name: s})
            acc = choice_accuracy(scorer, dev, field_name)
            trials.append({"l2": l2, "dev": acc})
            print(f"{field_name} l2={l2}: dev {acc}", file=sys.stderr)
            if best is None or acc["scorer"] > best[0]:
                best = (acc["scorer"], l2, (w, m, s))
        assert best is not None
        w, m, s = best[2]
        weights[field_name], means[field_name], scales[field_name] = w, m, s
        scorer = SpanScorer({field_name: w}, {field_name: m}, {field_name: s})
        report[field_name] = {
            "l2": best[1],
            "train_groups": len(groups),
            "train": choice_accuracy(scorer, train, field_name),
            "dev": choice_accuracy(scorer, dev, field_name),
            "trials": trials,
            "weights": dict(zip(FEATURES, (round(x, 3) for x in w))),
        }
    meta = {
        "train": args.train,
        "dev": args.dev,
        "ocr": args.ocr,
        "dev_ocr": args.dev_ocr or args.ocr,
        "cached_only": args.cached_only,
        "train_receipts": len(train),
        "selection": report,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(SpanScorer(weights, means, scales, meta).to_json() + "\n", encoding="utf-8")
    print(json.dumps({f: {k: v for k, v in r.items() if k != "trials"} for f, r in report.items()}, indent=1))


if __name__ == "__main__":
    main()
