"""Draw docs/synth-gallery.png: a contact sheet of synthetic receipts across locales and templates.

Top row: clean renders; bottom row: the same receipts degraded (strength 0.6),
with word boxes coloured by label (tillroll.labels.LABEL_COLOURS) on every
other tile so the annotation can be seen as well.

    .venv/bin/python scripts/make_synth_gallery.py --out docs/synth-gallery.png
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from PIL import Image, ImageDraw

from tillroll.labels import LABEL_COLOURS
from tillroll.synth.generate import make_one
from tillroll.synth.render import available_faces, load_font

# (locale, template): one of each locale, every template at least once.
PICKS = [
    ("mt", "thermal80_table"),
    ("uk", "thermal80_simple"),
    ("my", "thermal58_compact"),
    ("us", "thermal80_restaurant"),
    ("de", "thermal80_fiscal_eu"),
    ("it", "a4_invoice"),
    ("es", "thermal80_simple"),
    ("pl", "thermal80_fiscal_eu"),
    ("mt", "thermal80_restaurant"),
    ("my", "thermal80_table"),
    ("uk", "a4_invoice"),
    ("de", "thermal58_compact"),
]


def tile(locale: str, template: str, seed: int, strength: float, boxes: bool, height: int) -> Image.Image:
    receipt = make_one(seed, 0, [locale], strength, templates=[template])
    image = Image.open(io.BytesIO(receipt.image_bytes)).convert("RGB")
    if boxes:
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        for w in receipt.document.words:
            r, g, b = LABEL_COLOURS[w.label]
            draw.rectangle(w.box, outline=(r, g, b, 255), fill=(r, g, b, 60), width=2)
        image = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    scale = height / image.height
    image = image.resize((max(1, round(image.width * scale)), height), Image.LANCZOS)
    caption = f"{locale} · {template}{' · degraded' if strength else ''}"
    canvas = Image.new("RGB", (image.width, height + 22), (255, 255, 255))
    canvas.paste(image, (0, 22))
    font = load_font(available_faces("proportional")[0].regular, 13)
    ImageDraw.Draw(canvas).text((4, 4), caption, fill=(0, 0, 0), font=font)
    return canvas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/synth-gallery.png"))
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--height", type=int, default=460)
    args = parser.parse_args()

    rows = []
    for half in (PICKS[:6], PICKS[6:]):
        for strength in (0.0, 0.6):
            tiles = [tile(loc, tpl, args.seed + i, strength, boxes=(i % 2 == 1), height=args.height) for i, (loc, tpl) in enumerate(half)]
            rows.append(tiles)
    gap = 10
    width = max(sum(t.width for t in row) + gap * (len(row) + 1) for row in rows)
    height = sum(max(t.height for t in row) + gap for row in rows) + gap
    sheet = Image.new("RGB", (width, height), (215, 215, 215))
    y = gap
    for row in rows:
        x = gap
        for t in row:
            sheet.paste(t, (x, y))
            x += t.width + gap
        y += max(t.height for t in row) + gap
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # A 256-colour palette keeps the sheet around a megabyte in the repository without visible loss.
    sheet.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(args.out, optimize=True)
    print(f"wrote {args.out} ({sheet.width}x{sheet.height})")


if __name__ == "__main__":
    main()
