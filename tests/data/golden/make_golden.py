"""Write the golden receipts' words JSON (the inputs) from the layouts below.

    python tests/data/golden/make_golden.py                    # inputs only; prints current outputs
    python tests/data/golden/make_golden.py --write-expected   # after reviewing every value by hand

The expected files are reviewed by a person, never regenerated blindly: they
are what a correct extraction of each printed receipt is.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "unit"))
# The layout helpers live beside the unit tests, found through the path set just above.
from receipt_builder import build, layout_words  # noqa: E402

from tillroll.config import PipelineConfig  # noqa: E402
from tillroll.extract.assemble import AssembleStage  # noqa: E402
from tillroll.extract.checks import CheckStage  # noqa: E402
from tillroll.rules.entities import EntityDatabase  # noqa: E402
from tillroll.rules.joint import RulesStage  # noqa: E402

RECEIPTS = {
    "malaysia_rounded_total": [
        "        KEDAI RUNCIT MAJU SDN BHD",
        "              (123456-X)",
        "      NO. 12, JALAN MAWAR 3,",
        "      TAMAN BUNGA, 43000 KAJANG,",
        "            SELANGOR",
        "     TEL: 03-8736 1234",
        "     GST REG NO: 000123456789",
        "        SIMPLIFIED TAX INVOICE",
        "Date: 14/03/2018        Time: 12:45 PM",
        "Cashier: ANN",
        "ITEM                QTY   PRICE   AMOUNT",
        "MILO 1KG              2   14.50    29.00",
        "GARDENIA BREAD",
        "                      1    3.50     3.50",
        "SUBTOTAL                          32.50",
        "GST 6%                             1.95",
        "TOTAL                            34.45",
        "ROUNDING ADJ                      -0.05",
        "ROUNDED TOTAL (RM)               34.40",
        "CASH                             50.00",
        "CHANGE                           15.60",
        "      THANK YOU, PLEASE COME AGAIN",
    ],
    "malta_cafe_vat": [
        "          IL-KAFE TAL-BELT LTD",
        "       45, Triq il-Merkanti",
        "         Valletta VLT 1175",
        "        Tel: +356 2123 4567",
        "     VAT No: MT1234-5634",
        "Table 4                 Covers: 2",
        "12 Ottubru 2024            09:15",
        "2 x 3.50 Cappuccino           7.00",
        "Ftira Biz-zejt                6.50",
        "Kinnie                        2.20",
        "TOTAL EUR                    15.70",
        "VAT @ 18% included            2.39",
        "Card                         15.70",
        "        Grazzi u erġa' ejja",
    ],
    "us_diner_month_first": [
        "          SUNNYSIDE DINER INC",
        "       1557 Scenic Hwy",
        "     Snellville, GA 30078",
        "       Phone: (770) 979-4200",
        "Server: Kim          Check #1042",
        "03/04/2024            7:42 PM",
        "Pancakes                      8.99",
        "Coffee                        2.50",
        "Bacon Side                    3.25",
        "Subtotal                     14.74",
        "Tax                           0.88",
        "Amount Due                   $15.62",
        "Visa                         15.62",
        "       Thanks for visiting!",
    ],
}
out_dir = Path(__file__).resolve().parent
for name, rows in RECEIPTS.items():
    words = [{"text": w.text, "box": list(w.box), "confidence": w.confidence} for w in layout_words(rows)]
    meta = {}
    (out_dir / f"{name}.words.json").write_text(
        json.dumps(
            {"comment": "\n".join(rows), "page": {"width": max(len(r) for r in rows) * 10, "height": len(rows) * 24}, **meta, "words": words},
            ensure_ascii=False,
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    doc = build(rows)
    cfg = PipelineConfig(entity_db=":memory:", country_hint=meta.get("country_hint"))
    db = EntityDatabase(":memory:", seed=False)
    for st in [RulesStage(cfg, entity_db=db), AssembleStage(cfg, entity_db=db), CheckStage(cfg)]:
        doc = st(doc)
    print("=====", name)
    for line in doc.lines():
        print(" ".join(f"{w.text}[{w.label[:4]}]" for w in line))
    exp = {
        "fields": {k: {"value": v.value, **({"currency": v.currency} if v.currency else {})} for k, v in doc.fields.items()},
        "line_items": [{k: v for k, v in li.to_dict().items() if k in ("description", "quantity", "unit_price", "amount")} for li in doc.line_items],
        "checks": {c.name: c.passed for c in doc.checks},
        "key_values": [[kv.key, kv.value] for kv in doc.key_values],
    }
    print(json.dumps(exp, ensure_ascii=False, indent=1))
    if "--write-expected" in sys.argv:
        (out_dir / f"{name}.expected.json").write_text(json.dumps(exp, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
