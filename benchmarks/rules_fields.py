"""Rules-only field scores on the dev split, from cached OCR (a quick loop while tuning the rules).

    TILLROLL_CACHE_DIR=/work/main/.cache python benchmarks/rules_fields.py --data sroie
    TILLROLL_CACHE_DIR=/work/main/.cache python benchmarks/rules_fields.py --data wildreceipt

Images are OCR'd through the shared cache (`CachedEngine(get_engine("rapidocr"))`);
by default an image whose OCR is not cached yet is skipped (--ocr runs it).
A field counts as correct when the predicted value equals the gold value once
both are normalised by `tillroll.extract.normalize` (dates to ISO, amounts to
decimal strings) and, for text fields, compared without case, spaces or
punctuation (the usual SROIE convention). Precision is over predicted fields,
recall over gold fields; micro F1 pools the fields.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

from PIL import Image, ImageOps

from tillroll.config import PipelineConfig
from tillroll.document import Document, Page
from tillroll.extract import normalize as nz
from tillroll.extract.assemble import AssembleStage
from tillroll.extract.checks import CheckStage
from tillroll.io.splits import split_of
from tillroll.labels import SROIE_ENTITY_TO_FIELD, WILDRECEIPT_CLASS_TO_FIELD
from tillroll.ocr.base import get_engine
from tillroll.ocr.cache import CachedEngine
from tillroll.ocr.stage import words_to_document
from tillroll.rules.joint import RulesStage

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def canon(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum())


def comparable(field: str, text: str, country: str | None) -> str:
    if field in ("total", "subtotal", "vat_included"):
        a = nz.parse_amount(text)
        return a.text if a else canon(text)
    if field == "date":
        d = nz.parse_date(text, country=country)
        return d.iso if d else canon(text)
    if field == "time":
        t = nz.parse_time(text)
        return t.iso[:5] if t else canon(text)
    if field == "telephone":
        return "".join(c for c in text if c.isdigit())[-8:]
    return canon(text)


def sroie_items(root: Path, split: str) -> list[tuple[str, Path, dict[str, str]]]:
    out = []
    for p in sorted((root / "sroie/train/images").glob("*.jpg")):
        if split_of(p.stem) != split:
            continue
        ent_path = root / "sroie/train/entities" / f"{p.stem}.txt"
        ent = json.loads(ent_path.read_text(encoding="utf-8", errors="replace"))
        gold = {SROIE_ENTITY_TO_FIELD[k]: v for k, v in ent.items() if k in SROIE_ENTITY_TO_FIELD and v}
        out.append((p.stem, p, gold))
    return out


def wildreceipt_items(root: Path, split: str) -> list[tuple[str, Path, dict[str, str]]]:
    classes = [c.strip().split(maxsplit=1)[-1] for c in (root / "wildreceipt/class_list.txt").read_text().splitlines() if c.strip()]
    out = []
    for line in (root / "wildreceipt/train.txt").read_text().splitlines():
        rec = json.loads(line)
        stem = Path(rec["file_name"]).stem
        if split_of(stem) != split:
            continue
        gold: dict[str, list[str]] = {}
        for ann in rec["annotations"]:
            field = WILDRECEIPT_CLASS_TO_FIELD.get(classes[ann["label"]])
            if field:
                gold.setdefault(field, []).append(ann["text"])
        # A field annotated on several boxes: scored against the first box for amounts/dates, all boxes for names.
        flat = {f: (" ".join(v) if f in ("shop_name", "address") else v[0]) for f, v in gold.items()}
        out.append((stem, root / "wildreceipt" / rec["file_name"], flat))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="sroie", choices=["sroie", "wildreceipt"])
    ap.add_argument("--split", default="dev")
    ap.add_argument("--root", type=Path, default=DATA)
    ap.add_argument("--ocr", action="store_true", help="run OCR for images not in the cache")
    ap.add_argument("--show", type=int, default=0, help="print this many wrong predictions per field")
    ap.add_argument("--fields", default="")
    args = ap.parse_args()
    items = sroie_items(args.root, args.split) if args.data == "sroie" else wildreceipt_items(args.root, args.split)
    engine = CachedEngine(get_engine("rapidocr"))
    cfg = PipelineConfig()
    stages = [RulesStage(cfg), AssembleStage(cfg), CheckStage(cfg)]
    tp, n_pred, n_gold = Counter(), Counter(), Counter()
    wrong: dict[str, list[str]] = {}
    skipped = 0
    rules_ms = []
    for stem, path, gold in items:
        image = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        if not args.ocr and not engine.path_for(image).exists():
            skipped += 1
            continue
        words = engine.read(image)
        doc = Document(source=str(path), pages=[Page(0, image.width, image.height)])
        words_to_document(doc, 0, words)
        t0 = time.perf_counter()
        for st in stages:
            doc = st(doc)
        rules_ms.append((time.perf_counter() - t0) * 1000)
        country = doc.meta.get("country")
        fields = list(args.fields.split(",") if args.fields else gold.keys())
        for f in fields:
            g = gold.get(f)
            p = doc.fields.get(f)
            if p is not None:
                n_pred[f] += 1
            if g is not None:
                n_gold[f] += 1
            if g is not None and p is not None and comparable(f, g, country) == comparable(f, p.value, country):
                tp[f] += 1
            elif g is not None:
                wrong.setdefault(f, []).append(f"{stem}: gold={g!r} pred={(p.value if p else None)!r}")
    print(f"{args.data} {args.split}: {len(items) - skipped} documents scored, {skipped} skipped (OCR not cached)")
    print(f"{'field':14s} {'P':>6s} {'R':>6s} {'F1':>6s}  (tp/pred/gold)")
    T = P = G = 0
    for f in sorted(n_gold):
        p = tp[f] / n_pred[f] if n_pred[f] else 0.0
        r = tp[f] / n_gold[f] if n_gold[f] else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        T, P, G = T + tp[f], P + n_pred[f], G + n_gold[f]
        print(f"{f:14s} {p:6.3f} {r:6.3f} {f1:6.3f}  ({tp[f]}/{n_pred[f]}/{n_gold[f]})")
    p, r = (T / P if P else 0), (T / G if G else 0)
    print(f"{'micro':14s} {p:6.3f} {r:6.3f} {2 * p * r / (p + r) if p + r else 0:6.3f}")
    if rules_ms:
        rules_ms.sort()
        print(f"rules+assemble+check ms: median {rules_ms[len(rules_ms) // 2]:.2f}, p95 {rules_ms[int(len(rules_ms) * 0.95)]:.2f}")
    for f, ws in wrong.items():
        for line in ws[: args.show]:
            print(f"  WRONG {f}: {line}")


if __name__ == "__main__":
    os.environ.setdefault("TILLROLL_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".cache"))
    sys.exit(main())
