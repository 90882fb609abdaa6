"""Render samples/receipt-mt.png: a made-up Maltese café receipt, as a thermal printer would print it.

The shop, address, phone and VAT number are invented (the VAT number is the
format's placeholder, MT12345678). The receipt is ours, so it ships with the
repository under the project's licence; re-run this script to regenerate it:

    .venv/bin/python scripts/make_sample_receipt.py [--out samples/receipt-mt.png]

Needs Pillow and DejaVu Sans Mono (Debian: fonts-dejavu-core).
"""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
COLUMNS = 36  # characters per printed line, as on 58 mm thermal paper
VAT_RATE = Decimal("0.18")  # Malta's standard rate; menu prices include it

ITEMS = [  # description, quantity, unit price (EUR, VAT included)
    ("Cappuccino", 2, Decimal("2.80")),
    ("Pastizzi Rikotta", 3, Decimal("0.70")),
    ("Ftira Tuna", 1, Decimal("6.50")),
    ("Kinnie 250ml", 1, Decimal("2.20")),
]


def _row(left: str, right: str, width: int = COLUMNS) -> str:
    return left + " " * max(1, width - len(left) - len(right)) + right


def receipt_lines() -> list[tuple[str, str]]:
    """(style, text) per printed line; style is "title", "center", "bold" or "plain"."""
    subtotal = sum((q * p for _, q, p in ITEMS), Decimal("0"))
    net = (subtotal / (1 + VAT_RATE)).quantize(Decimal("0.01"))
    vat = subtotal - net
    lines: list[tuple[str, str]] = [
        ("title", "CAFE IL-FOSOS"),
        ("center", "14 Triq il-Merkanti"),
        ("center", "Valletta VLT 1175, Malta"),
        ("center", "Tel: +356 2123 4567"),
        ("center", "VAT No: MT12345678"),
        ("plain", ""),
        ("plain", _row("Date: 21/11/2026", "Time: 10:42")),
        ("plain", _row("Table: 7", "Cashier: Maria")),
        ("plain", "-" * COLUMNS),
        ("plain", _row("Item", "Qty  Price  Amount")),
        ("plain", "-" * COLUMNS),
    ]
    for name, qty, price in ITEMS:
        lines.append(("plain", _row(name, f"{qty:>3} {price:>6} {qty * price:>7}")))
    lines += [
        ("plain", "-" * COLUMNS),
        ("plain", _row("SUBTOTAL", f"{subtotal:.2f}")),
        ("plain", _row("VAT 18% (incl.)", f"{vat:.2f}")),
        ("bold", _row("TOTAL EUR", f"{subtotal:.2f}", COLUMNS // 2 + 6)),
        ("plain", ""),
        ("plain", _row("Card", f"{subtotal:.2f}")),
        ("plain", ""),
        ("center", "Grazzi u nerġgħu narawkom!"),
        ("center", "Thank you, see you again"),
    ]
    return lines


def render(out: Path) -> Path:
    regular = ImageFont.truetype(str(FONT_DIR / "DejaVuSansMono.ttf"), 22)
    bold = ImageFont.truetype(str(FONT_DIR / "DejaVuSansMono-Bold.ttf"), 22)
    big = ImageFont.truetype(str(FONT_DIR / "DejaVuSansMono-Bold.ttf"), 34)
    margin, line_h = 36, 32
    width = int(regular.getlength("M") * COLUMNS) + 2 * margin
    lines = receipt_lines()
    height = margin * 2 + sum(line_h + (16 if style == "title" else 0) + (10 if style == "bold" else 0) for style, _ in lines)
    # Thermal paper is not pure white; a faint warm tint keeps the sample honest.
    img = Image.new("RGB", (width, height), (250, 249, 244))
    draw = ImageDraw.Draw(img)
    y = margin
    for style, text in lines:
        if style == "title":
            w = big.getlength(text)
            draw.text(((width - w) / 2, y), text, font=big, fill=(20, 20, 20))
            y += line_h + 16
        elif style == "center":
            w = regular.getlength(text)
            draw.text(((width - w) / 2, y), text, font=regular, fill=(25, 25, 25))
            y += line_h
        elif style == "bold":
            draw.text((margin, y + 4), text, font=ImageFont.truetype(str(FONT_DIR / "DejaVuSansMono-Bold.ttf"), 30), fill=(10, 10, 10))
            y += line_h + 10
        else:
            draw.text((margin, y), text, font=bold if text.startswith(("SUBTOTAL",)) else regular, fill=(25, 25, 25))
            y += line_h
    out.parent.mkdir(parents=True, exist_ok=True)
    img.save(out, optimize=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "samples" / "receipt-mt.png")
    print(render(parser.parse_args().out))


if __name__ == "__main__":
    main()
