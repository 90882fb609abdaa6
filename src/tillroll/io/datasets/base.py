"""What every dataset reader returns: `Example`s holding a gold reference `Document`.

An `Example` is the dataset's answer for one image, expressed in tillroll's own
document model, so training, evaluation and the review UI never look at a
dataset's native format:

- `reference.words`: the annotated words with boxes in the pixels of the image
  as loaded (`ImageOps.exif_transpose(...).convert("RGB")`), each carrying a
  gold `label` with `label_source="human"`;
- `reference.fields`, `reference.line_items`, `reference.key_values`: gold
  structured output, values normalised like the pipeline normalises its own;
- `annotated_labels`: the labels the dataset actually annotates. SROIE marks
  only shop name, address, date and total, so a phone number it leaves
  unlabelled is "unknown", not "misc"; scorers fold every other label into misc
  on both sides so a model is not punished for finding what the dataset ignores;
  `annotated_fields` does the same for fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ...document import Document, Field, Page, Word
from ...labels import FIELD_NAMES, LABELS, MISC
from ...ocr.base import OcrWord
from ...ocr.lines import assign_lines
from ..splits import split_of

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

ALL_LABELS: frozenset[str] = frozenset(LABELS)
ALL_FIELDS: frozenset[str] = frozenset(FIELD_NAMES)


@dataclass
class Example:
    """One annotated image of a dataset."""

    id: str
    dataset: str  # "sroie" | "wildreceipt" | "funsd" | "annotated"
    image_path: Path
    reference: Document
    annotated_labels: frozenset[str] = ALL_LABELS
    # The output fields the dataset gives values for; only these are scored, so a
    # phone number found on a SROIE receipt is not a false positive.
    annotated_fields: frozenset[str] = ALL_FIELDS
    # SROIE only: the entity strings as printed, and which of them the gold
    # alignment could find on the annotated lines (see io.gold.align).
    entities: dict[str, str] = field(default_factory=dict)
    located: dict[str, bool] = field(default_factory=dict)
    # True when the annotation's texts separate words with spaces (WildReceipt's
    # often do not, which matters for word-level OCR metrics).
    spaced_text: bool = True
    # False when annotators changed the case of what is printed (SROIE's texts
    # are all capitals), so OCR text is compared case-insensitively.
    case_sensitive_text: bool = True

    @property
    def split(self) -> str:
        return split_of(self.id)

    def load_image(self) -> Image.Image:
        """The image exactly as the pipeline and the OCR cache see it."""
        return load_rgb(self.image_path)

    def gold_ocr_words(self) -> list[OcrWord]:
        """The reference words as an OCR engine would report them ("OCR = gold")."""
        return [OcrWord(w.text, w.box, 1.0) for w in self.reference.words]

    def gold_words(self) -> list[Word]:
        """Copies of the labelled reference words (safe to modify)."""
        return [Word.from_dict(w.to_dict()) for w in self.reference.words]


def load_rgb(path: str | Path) -> Image.Image:
    from PIL import Image, ImageOps

    with Image.open(path) as img:
        return ImageOps.exif_transpose(img).convert("RGB")


def image_size(path: Path) -> tuple[int, int]:
    """Width and height after EXIF orientation, read from the header only (no decode)."""
    from PIL import Image

    with Image.open(path) as img:
        width, height = img.size
        orientation = img.getexif().get(0x0112, 1)
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def quad_to_box(coords: Iterable[float]) -> tuple[float, float, float, float]:
    """Axis-aligned box around a polygon given as x1, y1, x2, y2, ... (any corner order)."""
    values = [float(v) for v in coords]
    xs, ys = values[0::2], values[1::2]
    return (min(xs), min(ys), max(xs), max(ys))


def split_line_into_words(text: str, box: tuple[float, float, float, float]) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Split an annotated text line into words with boxes estimated from character positions.

    Line annotations (SROIE, WildReceipt) carry one box per line; the classifier
    labels words. Monospaced-ish receipt fonts make the character offset a good
    estimate of where a word starts and ends within the line box.
    """
    x0, y0, x1, y1 = box
    n = max(1, len(text))
    step = (x1 - x0) / n
    words = []
    pos = 0
    for token in text.split():
        start = text.index(token, pos)
        end = start + len(token)
        pos = end
        words.append((token, (round(x0 + start * step, 1), y0, round(x0 + end * step, 1), y1)))
    return words


def build_reference(
    source: str,
    width: int,
    height: int,
    words: list[tuple[str, tuple[float, float, float, float], str]],
) -> Document:
    """A reference document from (text, box, label) triples, in reading order with line ids.

    Lines are rebuilt with the same grouping the OCR stage uses, so gold words
    and OCR words of a page are ordered the same way.
    """
    doc = Document(source=source, pages=[Page(index=0, width=width, height=height, text_source="annotation")])
    built = []
    for text, box, label in words:
        if not text.strip():
            continue
        w = Word(id=-1, page=0, text=text, box=box, ocr_confidence=1.0)
        w.set_label(label or MISC, 1.0, "human")
        built.append(w)
    doc.words = assign_lines(built)
    doc.renumber_words()
    doc.meta["ocr"] = "gold"
    return doc


def human_field(text: str, value: str, word_ids: list[int] | None = None, currency: str | None = None) -> Field:
    return Field(text=text, value=value, confidence=1.0, word_ids=list(word_ids or []), source="human", currency=currency)
