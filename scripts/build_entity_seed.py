"""Build the entity-database seed shipped in src/tillroll/rules/data/entities_seed.json.

Only the TRAIN split (tillroll.io.splits) is read, so rules-only scores on the
dev split are not inflated by shops the database was seeded with.

    python scripts/build_entity_seed.py                       # SROIE train (CC BY 4.0): the shipped seed
    python scripts/build_entity_seed.py --wildreceipt --out /tmp/seed.json   # local use only: its licence is unclear
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from tillroll.io.splits import split_of
from tillroll.labels import ADDRESS, SHOP_NAME, WILDRECEIPT_CLASS_TO_FIELD
from tillroll.rules.entities import skeleton

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"
OUT = Path(__file__).resolve().parents[1] / "src" / "tillroll" / "rules" / "data" / "entities_seed.json"


def sroie_rows(root: Path) -> list[tuple[str, str]]:
    rows = []
    for p in sorted((root / "sroie/train/entities").glob("*.txt")):
        if split_of(p.stem) != "train":
            continue
        ent = json.loads(p.read_text(encoding="utf-8", errors="replace"))
        if ent.get("company"):
            rows.append((SHOP_NAME, " ".join(ent["company"].split())))
        if ent.get("address"):
            rows.append((ADDRESS, " ".join(ent["address"].split())))
    return rows


def wildreceipt_rows(root: Path) -> list[tuple[str, str]]:
    classes = [c.strip() for c in (root / "wildreceipt/class_list.txt").read_text().splitlines() if c.strip()]
    names = [c.split(maxsplit=1)[-1] for c in classes]
    rows = []
    for line in (root / "wildreceipt/train.txt").read_text().splitlines():
        rec = json.loads(line)
        if split_of(Path(rec["file_name"]).stem) != "train":
            continue
        parts: dict[str, list[str]] = {}
        for ann in rec["annotations"]:
            field = WILDRECEIPT_CLASS_TO_FIELD.get(names[ann["label"]])
            if field in (SHOP_NAME, ADDRESS):
                parts.setdefault(field, []).append(ann["text"])
        for field, texts in parts.items():
            rows.append((field, " ".join(texts)))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-root", type=Path, default=DATA)
    ap.add_argument("--wildreceipt", action="store_true", help="also add WildReceipt train (not for the shipped seed)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    rows = sroie_rows(args.data_root)
    sources = ["SROIE 2019 task 3, training split of tillroll.io.splits (CC BY 4.0)"]
    if args.wildreceipt:
        rows += wildreceipt_rows(args.data_root)
        sources.append("WildReceipt, training split of tillroll.io.splits (licence as stated by its authors)")
    # The database keys entities by their OCR-tolerant skeleton, so spellings that share one
    # are a single entity; the gold itself sometimes carries an OCR slip ("GARDENIA BAKERIES
    # (KI ) SDN BHD" once against "(KL)" eight times), so the most frequent spelling wins.
    spellings: dict[tuple[str, str], Counter[str]] = {}
    for kind, text in rows:
        spellings.setdefault((kind, skeleton(text)), Counter())[text] += 1
    unique = [{"kind": kind, "text": counts.most_common(1)[0][0]} for (kind, _), counts in spellings.items()]
    args.out.write_text(json.dumps({"sources": sources, "entities": unique}, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {len(unique)} entities to {args.out}")


if __name__ == "__main__":
    main()
