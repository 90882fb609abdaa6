"""Toy receipts with exact word labels, for the model tests (no datasets, no OCR)."""

from __future__ import annotations

import random

from tillroll.document import Document, Page, Word
from tillroll.labels import MISC

SHOPS = ["ACME MART", "BIG STORE", "CORNER SHOP", "FRESH FOODS"]
ITEMS = ["MILK", "BREAD", "EGGS", "RICE", "TEA", "SUGAR"]


def toy_receipt(rng: random.Random, partial: bool = False) -> Document:
    """A small receipt laid out like a real one: shop, date, items with amounts, total."""
    words: list[Word] = []
    y = 10.0

    def line(parts: list[tuple[str, str]]) -> None:
        nonlocal y
        x = 20.0
        for text, label in parts:
            w = Word(id=len(words), page=0, text=text, box=(x, y, x + 12 * len(text), y + 20), line=int(y))
            w.set_label(label, 1.0, "human")
            words.append(w)
            x += 12 * len(text) + 14
        y += 30

    line([(t, "shop_name") for t in rng.choice(SHOPS).split()])
    line([(f"{rng.randint(1, 28):02d}/0{rng.randint(1, 9)}/2024", "date_time")])
    for _ in range(rng.randint(1, 4)):
        line([(rng.choice(ITEMS), "line_item"), (f"{rng.randint(1, 99)}.{rng.randint(0, 99):02d}", "amount")])
    line([("THANK", MISC), ("YOU", MISC)])
    line([("TOTAL", "total"), (f"{rng.randint(100, 999)}.{rng.randint(0, 99):02d}", "total")])
    doc = Document(pages=[Page(index=0, width=400, height=int(y) + 20)], words=words)
    if partial:
        doc.meta["annotated_labels"] = ["shop_name", "date_time", "total", MISC]
        for w in doc.words:
            if w.label in ("line_item", "amount"):
                w.label = MISC  # as SROIE would have it: unmarked, not known to be misc
    return doc
