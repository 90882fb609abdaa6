"""Tiny FUNSD-format forms for key-value tests: a header, questions with answers to their right or below, one other text.

`write_form(root, doc_id, seed)` writes `root/annotations/<id>.json` and
`root/images/<id>.png` (the text drawn where its boxes say), and returns the
form's entities. Boxes are estimated at 9 px per character and 18 px per line.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

CHAR_W, LINE_H = 9, 18
PAGE = (800, 1000)

QUESTIONS = ["Name:", "Date:", "Company:", "Phone:", "Address:", "Account No:", "Fax:", "Subject:", "Total:"]
ANSWERS = ["John Smith", "12/03/1998", "Acme Tobacco Co.", "(212) 555 0134", "14 Elm Street", "88213", "555 0199", "Price change", "$ 1,250.00"]


def _words(text: str, x: float, y: float) -> list[dict[str, Any]]:
    out = []
    for token in text.split():
        out.append({"text": token, "box": [x, y, x + CHAR_W * len(token), y + LINE_H]})
        x += CHAR_W * (len(token) + 1)
    return out


def _entity(eid: int, text: str, label: str, x: float, y: float) -> dict[str, Any]:
    words = _words(text, x, y)
    box = [words[0]["box"][0], y, words[-1]["box"][2], y + LINE_H]
    return {"id": eid, "text": text, "label": label, "box": box, "words": words, "linking": []}


def make_form(seed: int, n_pairs: int = 5) -> list[dict[str, Any]]:
    """Entities of one form: answers to the right of their question, or (every third pair) below it."""
    rng = random.Random(seed)
    form = [_entity(0, "REQUEST FORM", "header", 300, 40)]
    picks = rng.sample(range(len(QUESTIONS)), n_pairs)
    y = 120.0
    for k, i in enumerate(picks):
        q = _entity(len(form), QUESTIONS[i], "question", 60, y)
        below = k % 3 == 2
        ax, ay = (60.0, y + 2 * LINE_H) if below else (60.0 + CHAR_W * len(QUESTIONS[i]) + 40, y)
        a = _entity(len(form) + 1, ANSWERS[i], "answer", ax, ay)
        q["linking"].append([q["id"], a["id"]])
        a["linking"].append([q["id"], a["id"]])
        form += [q, a]
        y += 5 * LINE_H if below else 3 * LINE_H
    form.append(_entity(len(form), "Page 1 of 1", "other", 600, 940))
    return form


def write_form(root: Path, doc_id: str, seed: int = 0, n_pairs: int = 5) -> list[dict[str, Any]]:
    from PIL import Image, ImageDraw

    form = make_form(seed, n_pairs)
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "annotations" / f"{doc_id}.json").write_text(json.dumps({"form": form}), encoding="utf-8")
    image = Image.new("L", PAGE, 255)
    draw = ImageDraw.Draw(image)
    for entity in form:
        for w in entity["words"]:
            draw.text((w["box"][0], w["box"][1] + 2), w["text"], fill=0)
    image.save(root / "images" / f"{doc_id}.png")
    return form
