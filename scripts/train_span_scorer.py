"""Train the span scorer (tillroll.extract.span_scorer) on the train split; choose its features and ridge penalty on dev.

Each receipt runs through the joint pipeline (cached OCR of the default engine,
a classifier, rules, assembler) once; the processed documents are kept in --work
(keyed by OCR engine, split and classifier) so that refits cost seconds.
Candidates are right when their value, spelled as the stage would spell it,
equals the gold's by the strict scorer (letters and digits). The test split is
never read here except by --score-only. Per field, dev picks the feature set
and ridge penalty with the most right values, among those that beat the rules'
spans over all dev receipts and lose on no dev dataset; a field where none does
gets no weights, and the stage leaves it to the rules.

Cross-fitting: a classifier's probabilities on the receipts it was trained on
are more confident than on anyone else's, and a scorer trained on them learns
to trust it too much. So each training dataset is run through a classifier that
never saw it (--train-model-dirs: the leave-one-dataset-out models), and the
dev receipts through the shipped one, as users get it. This is dataset-level
cross-fitting (two folds, one per dataset), not per-receipt folds.

Retrain (one command; the OCR engine is config.DEFAULT_ENGINE unless --ocr says otherwise):

    D=/work/shared/datasets
    TILLROLL_CACHE_DIR=$PWD/.cache TILLROLL_HOME=$(mktemp -d) nice -n 15 .venv/bin/python scripts/train_span_scorer.py \\
        --train sroie:$D/sroie/train:train,wildreceipt:$D/wildreceipt:train \\
        --train-model-dirs sroie=runs/lodo-no-sroie,wildreceipt=runs/lodo-no-wild \\
        --dev sroie:$D/sroie/train:dev,wildreceipt:$D/wildreceipt:dev \\
        --out src/tillroll/extract/data/span_scorer.json
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tillroll.config import DEFAULT_ENGINE, PipelineConfig
from tillroll.document import Document, Field
from tillroll.evaluate.values import strict_match
from tillroll.extract.span_scorer import (
    FEATURE_SETS,
    FEATURES,
    SCORED_FIELDS,
    SpanScorer,
    SpanScorerStage,
    _value_of,
    candidates,
    fit_conditional_logit,
)


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


@dataclass
class Choice:
    """One receipt's candidates for one field: features, the value each would give, which is the rules' one."""

    gold: str
    features: list[list[float]]
    values: list[str]
    rules_index: int | None
    rules_value: str | None


class Speller:
    """The entity database's spelling of a candidate's value, as the stage gives a span it chose (memoised)."""

    def __init__(self) -> None:
        self.stage = SpanScorerStage(PipelineConfig(model="joint"))
        self.memo: dict[tuple[str, str], str] = {}

    def __call__(self, field_name: str, value: str) -> str:
        key = (field_name, value)
        if key not in self.memo:
            self.memo[key] = self.stage._spelling(field_name, value)
        return self.memo[key]


def choices(docs: list[tuple[Document, dict[str, Field]]], field_name: str, spell: Speller) -> list[Choice]:
    """Every receipt with a gold value for the field, with its candidates (none when the rules found no evidence)."""
    out = []
    for doc, gold in docs:
        g = gold.get(field_name)
        if g is None:
            continue
        rule_field = doc.fields.get(field_name)
        cands = candidates(doc, field_name, rule_field)
        values = [rule_field.value if (c.from_rules and rule_field is not None) else spell(field_name, _value_of(c.words, field_name)) for c in cands]
        rules_index = next((i for i, c in enumerate(cands) if c.from_rules), None)
        out.append(Choice(g.value, [c.features for c in cands], values, rules_index, rule_field.value if rule_field else None))
    return out


def choice_accuracy(scorer: SpanScorer | None, items: list[Choice], field_name: str) -> dict[str, Any]:
    """Right field values of the rules and of the scorer (by the strict scorer), over receipts with a gold value."""
    rules_right = model_right = oracle = changed = 0
    for c in items:
        rules_ok = strict_match(c.gold, c.rules_value, field_name)
        rules_right += rules_ok
        if not c.values:
            model_right += rules_ok
            continue
        oracle += any(strict_match(c.gold, v, field_name) for v in c.values)
        if scorer is None:
            continue
        if c.rules_index is None:
            continue  # the stage never fills a field the rules left empty (SpanScorerStage)
        scores = [scorer.score(field_name, f) for f in c.features]
        best = max(range(len(scores)), key=lambda i: scores[i])
        changed += best != c.rules_index
        model_right += strict_match(c.gold, c.values[best], field_name)
    return {"receipts": len(items), "rules": rules_right, "scorer": model_right, "any_candidate": oracle, "changed": changed}


def groups_of(items: list[Choice], field_name: str) -> list[tuple[list[list[float]], list[bool]]]:
    return [(c.features, [strict_match(c.gold, v, field_name) for v in c.values]) for c in items if c.values]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", required=True)
    ap.add_argument("--dev", required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--work", type=Path, default=Path("runs/span-scorer"))
    ap.add_argument("--model-dir", type=Path, default=None, help="classifier for the dev (and test) receipts (default: shipped)")
    ap.add_argument(
        "--train-model-dirs",
        default=None,
        help="KIND=DIR,...: classifier per training dataset kind, one that never saw that dataset "
        "(cross-fitting, e.g. sroie=runs/lodo-no-sroie,wildreceipt=runs/lodo-no-wild); default --model-dir",
    )
    ap.add_argument("--prepare-only", action="store_true", help="run the pipeline over the receipts into --work, fit nothing")
    ap.add_argument("--cached-only", action="store_true", help="train on the training receipts whose OCR is cached, skip the rest")
    ap.add_argument("--ocr", default=DEFAULT_ENGINE, help="OCR engine whose cached words the training receipts are read with (gold: their annotation words)")
    ap.add_argument("--dev-ocr", default=None, help="OCR engine for the dev receipts (default: --ocr)")
    ap.add_argument(
        "--score-only",
        default=None,
        help="do not train: score the weights in --out on these specs (e.g. the test split, once a change is finished)",
    )
    ap.add_argument("--l2", default="0.0001,0.001,0.01,0.1", help="ridge penalties to try; dev picks one per field")
    ap.add_argument(
        "--feature-sets",
        default=",".join(FEATURE_SETS),
        help=f"feature sets to try ({', '.join(FEATURE_SETS)}); dev picks one per field with the ridge penalty",
    )
    args = ap.parse_args()
    spell = Speller()
    if args.score_only:
        scorer = SpanScorer.load(args.out)
        for spec in args.score_only.split(","):
            docs = processed(spec, args.work, args.model_dir, False, args.dev_ocr or args.ocr, allow_test=True)
            print(spec, {f: choice_accuracy(scorer, choices(docs, f, spell), f) for f in SCORED_FIELDS})
        return

    train_dirs = dict(kv.split("=", 1) for kv in args.train_model_dirs.split(",")) if args.train_model_dirs else {}
    train: list[tuple[Document, dict[str, Field]]] = []
    for spec in args.train.split(","):
        kind = spec.split(":", 1)[0]
        model_dir = Path(train_dirs[kind]) if kind in train_dirs else args.model_dir
        train += processed(spec, args.work, model_dir, args.cached_only, args.ocr)
    dev_by_spec = {spec: processed(spec, args.work, args.model_dir, args.cached_only, args.dev_ocr or args.ocr) for spec in args.dev.split(",")}
    if args.prepare_only:
        return
    sets = args.feature_sets.split(",")
    weights, means, scales, report = {}, {}, {}, {}
    for field_name in SCORED_FIELDS:
        tr = choices(train, field_name, spell)
        dv = {spec: choices(d, field_name, spell) for spec, d in dev_by_spec.items()}
        dv_all = [c for items in dv.values() for c in items]
        groups = groups_of(tr, field_name)
        best: tuple[int, str, float, Any] | None = None
        trials: list[dict[str, Any]] = []
        for set_name in sets:
            use = [FEATURES.index(f) for f in FEATURE_SETS[set_name]]
            for l2 in (float(x) for x in args.l2.split(",")):
                w, m, s_ = fit_conditional_logit(groups, l2, use=use)
                scorer = SpanScorer({field_name: w}, {field_name: m}, {field_name: s_})
                acc = choice_accuracy(scorer, dv_all, field_name)
                per = {spec.split(":")[0]: choice_accuracy(scorer, items, field_name) for spec, items in dv.items()}
                trials.append({"features": set_name, "l2": l2, "dev": acc, "dev_per_dataset": per, "train": choice_accuracy(scorer, tr, field_name)})
                print(f"{field_name} {set_name} l2={l2}: dev {acc} per dataset {per}", file=sys.stderr)
                # Eligible: more right than the rules over all dev receipts and fewer on no dataset.
                if acc["scorer"] > (best[0] if best else acc["rules"]) and all(v["scorer"] >= v["rules"] for v in per.values()):
                    best = (acc["scorer"], set_name, l2, (w, m, s_))
        if best is None:
            # No setting beat the rules on dev without losing on a dataset: the field keeps the rules' span.
            report[field_name] = {"kept": False, "train_groups": len(groups), "trials": trials}
            print(f"{field_name}: no setting beats the rules on dev in every dataset; left to the rules", file=sys.stderr)
            continue
        w, m, s_ = best[3]
        weights[field_name], means[field_name], scales[field_name] = w, m, s_
        scorer = SpanScorer({field_name: w}, {field_name: m}, {field_name: s_})
        report[field_name] = {
            "kept": True,
            "features": best[1],
            "l2": best[2],
            "train_groups": len(groups),
            "train": choice_accuracy(scorer, tr, field_name),
            "dev": choice_accuracy(scorer, dv_all, field_name),
            "trials": trials,
            "weights": dict(zip(FEATURES, (round(x, 3) for x in w))),
        }
    meta = {
        "train": args.train,
        "dev": args.dev,
        "ocr": args.ocr,
        "dev_ocr": args.dev_ocr or args.ocr,
        "cached_only": args.cached_only,
        "train_model_dirs": args.train_model_dirs,
        "model_dir": str(args.model_dir) if args.model_dir else "shipped",
        "train_receipts": len(train),
        "selection": report,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(SpanScorer(weights, means, scales, meta).to_json() + "\n", encoding="utf-8")
    print(json.dumps({f: {k: v for k, v in r.items() if k != "trials"} for f, r in report.items()}, indent=1))


if __name__ == "__main__":
    main()
