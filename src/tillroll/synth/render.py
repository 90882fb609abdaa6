"""Draw composed receipt lines with real fonts and record every word's exact pixel box.

Fonts come from Debian packages (fonts-dejavu-core, fonts-liberation,
fonts-freefont-ttf): monospaced faces for the classic thermal look, proportional
ones for modern tills and invoices. Each word is drawn on its own at a measured
position, and its box is the union of the glyphs' ink box and the font's
ascender-to-descender band at that baseline, so boxes look like OCR boxes (one
height per line) and always contain the ink.

Separator rules ("-----", "=====") and dot leaders are drawn but are not words:
OCR engines mostly skip them or return fragments, so as gold words they would
only add noise to training and swamp character error rates; an OCR word found
there still gets `misc` when the evaluation aligns OCR words with these boxes.
Their boxes are returned separately as decorations.
"""

from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError, EngineUnavailableError
from ..labels import MISC
from .compose import Line, Segment, Token
from .templates import Template

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image, ImageFont

FONT_DIRS_ENV = "TILLROLL_FONT_DIRS"
DECORATION = "decoration"  # role of drawn-only tokens (rules, leaders)
DEFAULT_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")

# family -> (regular file, bold file, Debian package that ships them)
FONT_FACES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "mono": (
        ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "fonts-dejavu-core"),
        ("LiberationMono-Regular.ttf", "LiberationMono-Bold.ttf", "fonts-liberation"),
        ("FreeMono.ttf", "FreeMonoBold.ttf", "fonts-freefont-ttf"),
    ),
    "proportional": (
        ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "fonts-dejavu-core"),
        ("DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf", "fonts-dejavu-extra"),
        ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf", "fonts-liberation"),
        ("LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf", "fonts-liberation"),
        ("FreeSans.ttf", "FreeSansBold.ttf", "fonts-freefont-ttf"),
    ),
}


def font_dirs() -> list[Path]:
    env = os.environ.get(FONT_DIRS_ENV)
    dirs = env.split(os.pathsep) if env else list(DEFAULT_FONT_DIRS)
    return [Path(d).expanduser() for d in dirs if d]


@lru_cache(maxsize=8)
def _font_index(dirs: tuple[Path, ...]) -> dict[str, Path]:
    index: dict[str, Path] = {}
    for d in dirs:
        if d.is_dir():
            for path in sorted(d.rglob("*.ttf")):
                index.setdefault(path.name, path)
    return index


@dataclass(frozen=True)
class Face:
    name: str
    regular: Path
    bold: Path


def available_faces(family: str) -> list[Face]:
    """Installed faces of `family` ("mono" or "proportional"); EngineUnavailableError if none."""
    if family not in FONT_FACES:
        raise ConfigError(f"unknown font family {family!r}; choose one of {', '.join(FONT_FACES)}")
    index = _font_index(tuple(font_dirs()))
    faces = []
    for regular, bold, _package in FONT_FACES[family]:
        if regular in index:
            faces.append(Face(regular[:-4], index[regular], index.get(bold, index[regular])))
    if not faces:
        packages = sorted({p for _, _, p in FONT_FACES[family]})
        raise EngineUnavailableError(
            f"no {family} font found under {', '.join(str(d) for d in font_dirs())}; the synthetic receipt "
            f"generator needs the Debian package(s) {' or '.join(packages)} "
            f"(sudo apt-get install {' '.join(packages)}, or run scripts/install-system-deps.sh), "
            f"or point {FONT_DIRS_ENV} at a folder holding {', '.join(r for r, _, _ in FONT_FACES[family])}"
        )
    return faces


@lru_cache(maxsize=256)
def load_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(str(path), size)


@dataclass(frozen=True)
class Style:
    """The per-receipt drawing choices: paper size, face, size, spacing (all in pixels)."""

    face: Face
    family: str
    font_px: int
    paper_width: int
    margin: int
    top: int
    bottom: int
    line_spacing: float
    dpi: float

    @property
    def content_width(self) -> int:
        return self.paper_width - 2 * self.margin


def _pick(value: object, rng: random.Random) -> float:
    if isinstance(value, list):
        return rng.uniform(float(value[0]), float(value[1]))
    return float(value)  # type: ignore[arg-type]


def choose_style(template: Template, rng: random.Random) -> Style:
    data = template.data
    paper = template.paper
    dpi = _pick(data.get("dpi", 200), rng)
    px_per_mm = dpi / 25.4
    width = round(paper["width_mm"] * px_per_mm)
    margin = round(_pick(paper.get("margin_mm", 3), rng) * px_per_mm)
    family = rng.choice(list(data["fonts"]))
    face = rng.choice(available_faces(family))
    content = width - 2 * margin
    if family == "mono" or "text_mm" not in data:
        columns = rng.randint(*data.get("columns", [40, 48]))
        regular = load_font(face.regular, 100)
        advance = regular.getlength("0") / 100  # em fraction per character
        # A proportional face set by column count gets its average width (about 0.55 em).
        font_px = math.floor(content / columns / (advance if family == "mono" else 0.55))
    else:
        font_px = round(_pick(data["text_mm"], rng) * px_per_mm)
    return Style(
        face=face,
        family=family,
        font_px=max(8, font_px),
        paper_width=width,
        margin=margin,
        top=round(_pick(paper.get("top_mm", 5), rng) * px_per_mm),
        bottom=round(_pick(paper.get("bottom_mm", 8), rng) * px_per_mm),
        line_spacing=_pick(data.get("line_spacing", 1.3), rng),
        dpi=dpi,
    )


@dataclass
class PlacedWord:
    text: str
    label: str
    role: str | None
    box: tuple[float, float, float, float]
    line: int


@dataclass
class _Placed:
    segment: Segment
    x: float
    width: float
    tokens: list[Token] = field(default_factory=list)


class _Layout:
    """Turns logical lines into rows of positioned segments for one style."""

    def __init__(self, style: Style) -> None:
        self.style = style
        self.width = style.content_width

    def font(self, seg: Segment) -> ImageFont.FreeTypeFont:
        face = self.style.face
        return load_font(face.bold if seg.bold else face.regular, max(8, round(self.style.font_px * seg.scale)))

    def measure(self, seg: Segment, tokens: list[Token] | None = None) -> float:
        tokens = seg.tokens if tokens is None else tokens
        if not tokens:
            return 0.0
        return self.font(seg).getlength(" ".join(t.text for t in tokens))

    def start_x(self, seg: Segment, width: float, cursor: float) -> float:
        if seg.anchor is None:
            x = cursor + self.font(seg).getlength(" ") if cursor > 0 else 0.0
        else:
            at = seg.anchor * self.width
            x = {"left": at, "center": at - width / 2, "right": at - width}[seg.align]
        return min(max(0.0, x), max(0.0, self.width - width))

    def wrap(self, seg: Segment) -> list[list[Token]]:
        """Split a segment wider than the paper into chunks of whole words."""
        chunks: list[list[Token]] = [[]]
        for tok in seg.tokens:
            if chunks[-1] and self.measure(seg, chunks[-1] + [tok]) > self.width:
                chunks.append([])
            chunks[-1].append(tok)
        for chunk in chunks:  # a single word wider than the paper: cut it (very long names)
            while self.measure(seg, chunk) > self.width and len(chunk[-1].text) > 1:
                chunk[-1] = Token(chunk[-1].text[:-1], chunk[-1].label, chunk[-1].role)
        return chunks

    def shrink(self, placed: _Placed, limit: float) -> bool:
        """Shorten a description so that it ends before `limit`; False when that would gut it."""
        seg, tokens = placed.segment, list(placed.tokens)
        while tokens and placed.x + self.measure(seg, tokens) > limit:
            if len(tokens) > 1:
                tokens.pop()
            elif len(tokens[0].text) > 4:
                tokens[0] = Token(tokens[0].text[:-1], tokens[0].label, tokens[0].role)
            else:
                return False
        placed.tokens, placed.width = tokens, self.measure(seg, tokens)
        return True

    def rows(self, line: Line) -> list[list[_Placed]]:
        rows: list[list[_Placed]] = []
        current: list[_Placed] = []
        cursor = 0.0
        for seg in line.segments:
            if seg.fill == "line":
                char_w = self.font(seg).getlength(seg.fill_char)
                text = seg.fill_char * max(1, int(self.width // char_w))
                filled = Segment([Token(text, MISC, DECORATION)], anchor=0.0, scale=seg.scale, bold=seg.bold)
                if current:
                    rows.append(current)
                rows.append([_Placed(filled, 0.0, self.measure(filled), list(filled.tokens))])
                current, cursor = [], 0.0
                continue
            if seg.fill == "gap":
                current.append(_Placed(seg, cursor, 0.0))
                continue
            chunks = self.wrap(seg) if self.measure(seg) > self.width else [list(seg.tokens)]
            for k, tokens in enumerate(chunks):
                width = self.measure(seg, tokens)
                x = self.start_x(seg, width, cursor)
                # Segments that follow their predecessor ("2 Pizza") sit one space after it by construction.
                gap = self.font(seg).getlength(" " if seg.anchor is None else "  ") - 0.5
                real = [p for p in current if p.segment.fill != "gap"]
                if real and x < cursor + gap:
                    prev = real[-1]
                    if not (prev.segment.shrinkable and self.shrink(prev, x - gap)):
                        rows.append(current)
                        current = []
                        x = self.start_x(seg, width, 0.0) if seg.anchor is not None else 0.0
                if k > 0 and current:
                    rows.append(current)
                    current = []
                current.append(_Placed(seg, x, width, tokens))
                cursor = x + width
        if current or not rows:
            rows.append(current)
        return [self.fill_gaps(r) for r in rows]

    def fill_gaps(self, row: list[_Placed]) -> list[_Placed]:
        out: list[_Placed] = []
        for i, placed in enumerate(row):
            if placed.segment.fill != "gap":
                out.append(placed)
                continue
            before = next((p for p in reversed(row[:i]) if p.segment.fill != "gap"), None)
            after = next((p for p in row[i + 1 :] if p.segment.fill != "gap"), None)
            if before is None or after is None:
                continue
            font = self.font(placed.segment)
            space = font.getlength(" ")
            start, end = before.x + before.width + space, after.x - space
            count = int((end - start) // font.getlength(placed.segment.fill_char))
            if count >= 3:
                tok = Token(placed.segment.fill_char * count, MISC, DECORATION)
                out.append(_Placed(placed.segment, start, font.getlength(tok.text), [tok]))
        return out


def render(lines: list[Line], style: Style) -> tuple[Image.Image, list[PlacedWord], list[tuple[float, float, float, float]]]:
    """Draw `lines` on white paper; returns the greyscale image, the words in reading order and decoration boxes."""
    from PIL import Image, ImageDraw

    layout = _Layout(style)
    rows = [row for line in lines for row in layout.rows(line)]
    base_font = load_font(style.face.regular, style.font_px)
    ops: list[tuple[float, list[_Placed]]] = []  # (baseline y, row)
    y = float(style.top)
    for row in rows:
        scale = max((p.segment.scale for p in row if p.tokens), default=1.0)
        font = load_font(style.face.regular, max(8, round(style.font_px * scale))) if row else base_font
        ascent, descent = font.getmetrics()
        height = (ascent + descent) * style.line_spacing
        ops.append((y + (height - ascent - descent) / 2 + ascent, row))
        y += height
    page_height = math.ceil(y + style.bottom)
    image = Image.new("L", (style.paper_width, page_height), 255)
    draw = ImageDraw.Draw(image)
    words: list[PlacedWord] = []
    decorations: list[tuple[float, float, float, float]] = []
    for line_id, (baseline, row) in enumerate(ops):
        drawn: list[tuple[Token, list[float]]] = []  # tokens of this row with their ink-tight boxes
        for placed in sorted(row, key=lambda p: p.x):
            seg = placed.segment
            font = layout.font(seg)
            _, band_top, _, band_bottom = font.getbbox("ÅgÉjq", anchor="ls")
            x = style.margin + placed.x
            space = font.getlength(" ")
            for tok in placed.tokens:
                draw.text((x, baseline), tok.text, font=font, fill=0, anchor="ls")
                left, top, right, bottom = font.getbbox(tok.text, anchor="ls")
                box = [
                    float(math.floor(x + left)),
                    float(math.floor(baseline + min(top, band_top)) - 1),
                    float(math.ceil(x + right)),
                    float(math.ceil(baseline + max(bottom, band_bottom)) + 1),
                ]
                drawn.append((tok, box))
                x += font.getlength(tok.text) + space
        # One pixel of horizontal margin, like OCR boxes, but never into the neighbouring word:
        # boxes that touch would read as one word, or as two lines, to the line grouping.
        drawn.sort(key=lambda d: d[1][0])
        for k, (_tok, box) in enumerate(drawn):
            before = drawn[k - 1][1][2] if k > 0 else -math.inf
            after = drawn[k + 1][1][0] if k + 1 < len(drawn) else math.inf
            box[0] = max(box[0] - 1, min(box[0], before))
            box[2] = min(box[2] + 1, max(box[2], after))
        for tok, box in sorted(drawn, key=lambda d: d[1][0]):
            clipped = (max(0.0, box[0]), max(0.0, box[1]), min(float(image.width), box[2]), min(float(image.height), box[3]))
            if tok.role == DECORATION:
                decorations.append(clipped)
            else:
                words.append(PlacedWord(tok.text, tok.label, tok.role, clipped, line_id))
    return image, words, decorations
