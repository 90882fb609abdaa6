from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps

from samplekit import encrypted_pdf, image_bytes, image_pdf, render_lines, text_pdf
from tillroll.config import LoadLimits
from tillroll.errors import (
    CorruptInputError,
    EmptyInputError,
    EncryptedPDFError,
    FileTooLargeError,
    ImageTooLargeError,
    InputError,
    InputNotFoundError,
    TooManyPagesError,
    UnsupportedFormatError,
)
from tillroll.io.load import load_document, sniff_format


@pytest.fixture(scope="module")
def receipt() -> Image.Image:
    return render_lines(["CAFE VALLETTA", "TOTAL 12.30"], size=32)


@pytest.mark.parametrize("fmt,expected", [("JPEG", "jpeg"), ("PNG", "png"), ("TIFF", "tiff"), ("WEBP", "webp"), ("BMP", "bmp")])
def test_load_reads_every_raster_format_from_path_and_bytes(tmp_path: Path, receipt: Image.Image, fmt: str, expected: str) -> None:
    data = image_bytes(receipt, fmt)
    # a misleading extension: the format comes from the bytes
    path = tmp_path / "receipt.dat"
    path.write_bytes(data)
    from_path = load_document(path)
    from_bytes = load_document(data, name="upload")
    for doc in (from_path, from_bytes):
        assert doc.meta["input_format"] == expected
        assert len(doc.pages) == 1
        page = doc.pages[0]
        assert (page.width, page.height) == receipt.size
        assert page.image is not None and page.image.mode == "RGB"
        assert page.coordinates == "original" and page.text_source == "ocr"
        assert doc.words == []
    assert from_path.source == str(path)
    assert from_bytes.source == "upload"
    assert np.array_equal(np.asarray(from_path.pages[0].image), np.asarray(from_bytes.pages[0].image))


def test_load_gives_the_same_pixels_as_the_dataset_readers(tmp_path: Path, receipt: Image.Image) -> None:
    # the OCR cache keys on pixels: the loader must decode exactly like the dataset code
    path = tmp_path / "r.jpg"
    receipt.save(path, quality=85)
    expected = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    assert load_document(path).pages[0].image.tobytes() == expected.tobytes()


def test_load_reads_every_page_of_a_multipage_tiff(tmp_path: Path) -> None:
    first = render_lines(["PAGE ONE"], size=30)
    second = render_lines(["PAGE TWO IS WIDER"], size=30)
    path = tmp_path / "two.tiff"
    first.save(path, save_all=True, append_images=[second])
    doc = load_document(path)
    assert [p.index for p in doc.pages] == [0, 1]
    assert [(p.width, p.height) for p in doc.pages] == [first.size, second.size]


def test_load_applies_exif_orientation(receipt: Image.Image) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # camera held sideways: rotate 90 degrees clockwise to view
    sideways = receipt.rotate(90, expand=True)
    doc = load_document(image_bytes(sideways, "JPEG", exif=exif))
    assert (doc.pages[0].width, doc.pages[0].height) == receipt.size


def test_load_flattens_transparency_onto_white_paper() -> None:
    img = Image.new("RGBA", (40, 20), (0, 0, 0, 0))  # fully transparent "paper"
    doc = load_document(image_bytes(img, "PNG"))
    assert np.asarray(doc.pages[0].image).min() == 255


def test_load_accepts_tiny_and_blank_images() -> None:
    for img in (Image.new("RGB", (1, 1), "white"), Image.new("L", (300, 500), 255)):
        doc = load_document(image_bytes(img, "PNG"))
        assert len(doc.pages) == 1 and doc.words == []


def test_load_uses_a_pdf_text_layer_with_boxes_in_rendered_pixels() -> None:
    pdf = text_pdf([[(20, 30, "CAFE VALLETTA"), (20, 60, "TOTAL 12.30")], [(20, 30, "PAGE 2")]])
    doc = load_document(pdf, name="invoice.pdf", limits=LoadLimits(pdf_dpi=144))
    assert doc.meta["input_format"] == "pdf"
    assert [p.text_source for p in doc.pages] == ["pdf_text_layer", "pdf_text_layer"]
    page = doc.pages[0]
    assert page.coordinates == "pdf" and page.dpi == 144
    assert (page.width, page.height) == (452, 800)  # 226 x 400 pt at 2 px/pt
    assert [w.text for w in doc.words] == ["CAFE", "VALLETTA", "TOTAL", "12.30", "PAGE", "2"]
    assert [w.page for w in doc.words] == [0, 0, 0, 0, 1, 1]
    assert doc.words[2].line == doc.words[3].line != doc.words[0].line
    # "TOTAL" starts 20 pt from the left and 60 pt from the top: 40 px, ~120 px at 2 px/pt
    total = doc.words[2]
    assert total.x0 == pytest.approx(40, abs=4)
    assert total.y0 == pytest.approx(120, abs=8)
    # and the box really covers the ink drawn there
    ink = np.asarray(page.image.convert("L"))[int(total.y0) : int(total.y1), int(total.x0) : int(total.x1)]
    assert (ink < 128).sum() > 50


def test_load_leaves_a_scanned_pdf_page_to_ocr() -> None:
    doc = load_document(image_pdf(render_lines(["TOTAL 12.30"])))
    assert doc.pages[0].text_source == "ocr"
    assert doc.words == []
    assert doc.pages[0].image is not None


def test_load_ocrs_a_scanned_pdf_page_whose_text_layer_is_only_a_stamp() -> None:
    # scanners and printers stamp "1/1" as text over the picture: not a text layer to trust
    doc = load_document(image_pdf(render_lines(["TOTAL 12.30"]), stamp="1/1"))
    assert doc.pages[0].text_source == "ocr" and doc.words == []


def test_load_renders_oversized_pdf_pages_within_the_pixel_limit() -> None:
    doc = load_document(text_pdf([[(20, 30, "BIG")]], size=(2000, 2000)), limits=LoadLimits(max_pixels=4_000_000))
    page = doc.pages[0]
    assert page.width * page.height <= 4_000_000
    assert page.dpi is not None and page.dpi < 200


def test_load_rejects_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match="no such file") as err:
        load_document(tmp_path / "nope.jpg")
    assert "nope.jpg" in str(err.value)


def test_load_rejects_a_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="folder"):
        load_document(tmp_path)


def test_load_rejects_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(EmptyInputError, match="empty") as err:
        load_document(path)
    assert err.value.source == str(path)
    with pytest.raises(EmptyInputError):
        load_document(b"", name="upload.png")


def test_load_rejects_a_truncated_image(receipt: Image.Image) -> None:
    for fmt in ("JPEG", "PNG"):
        data = image_bytes(receipt, fmt)
        with pytest.raises(CorruptInputError, match="again|damaged") as err:
            load_document(data[: len(data) // 2], name=f"cut.{fmt.lower()}")
        assert f"cut.{fmt.lower()}" in str(err.value)


def test_load_rejects_a_corrupt_header() -> None:
    with pytest.raises(CorruptInputError):
        load_document(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, name="bad.png")


@pytest.mark.parametrize(
    "data,what",
    [(b"hello, this is a text file\n", "text"), (b"GIF89a" + b"\x00" * 40, "GIF"), (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40, "HEIC")],
)
def test_load_rejects_what_is_not_an_image(data: bytes, what: str) -> None:
    with pytest.raises(UnsupportedFormatError, match=what) as err:
        load_document(data, name="notes.jpg")
    assert "JPEG, PNG" in str(err.value)  # says what would work


def test_load_rejects_images_over_the_pixel_limit(receipt: Image.Image) -> None:
    small_limit = LoadLimits(max_pixels=receipt.width * receipt.height - 1)
    with pytest.raises(ImageTooLargeError, match="megapixels"):
        load_document(image_bytes(receipt, "PNG"), limits=small_limit)


def test_load_rejects_a_decompression_bomb_before_decoding() -> None:
    # A PNG header announcing 30000 x 30000 pixels (2.7 GB decoded): refused from
    # the header alone, before any pixel is decompressed.
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    with pytest.raises(ImageTooLargeError, match="megapixels|pixels"):
        load_document(data, name="bomb.png")


def test_load_rejects_files_over_the_byte_limit(tmp_path: Path, receipt: Image.Image) -> None:
    data = image_bytes(receipt, "PNG")
    path = tmp_path / "r.png"
    path.write_bytes(data)
    limits = LoadLimits(max_bytes=len(data) - 1)
    with pytest.raises(FileTooLargeError, match="MB"):
        load_document(path, limits=limits)
    with pytest.raises(FileTooLargeError):
        load_document(data, limits=limits)


def test_load_rejects_an_encrypted_pdf() -> None:
    with pytest.raises(EncryptedPDFError, match="password") as err:
        load_document(encrypted_pdf(), name="statement.pdf")
    assert "statement.pdf" in str(err.value)


def test_load_rejects_a_corrupt_pdf() -> None:
    with pytest.raises(CorruptInputError, match="PDF"):
        load_document(b"%PDF-1.4\n" + b"\x00garbage" * 50, name="broken.pdf")


def test_load_rejects_too_many_pages(tmp_path: Path) -> None:
    pdf = text_pdf([[(10, 10, f"P{i}")] for i in range(3)])
    with pytest.raises(TooManyPagesError, match="3 pages"):
        load_document(pdf, limits=LoadLimits(max_pages=2))
    path = tmp_path / "three.tiff"
    pages = [render_lines([f"P{i}"], size=20) for i in range(3)]
    pages[0].save(path, save_all=True, append_images=pages[1:])
    with pytest.raises(TooManyPagesError):
        load_document(path, limits=LoadLimits(max_pages=2))


def test_load_sniffs_formats_from_magic_bytes() -> None:
    assert sniff_format(b"\xff\xd8\xff\xe0rest") == "jpeg"
    assert sniff_format(b"junk before %PDF-1.7 header") == "pdf"
    assert sniff_format(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert sniff_format(b"plain text") is None


_VALID_FILES = {fmt: image_bytes(render_lines(["TOTAL 12.30"], size=20), fmt) for fmt in ("JPEG", "PNG", "TIFF", "WEBP", "BMP")}
_VALID_FILES["PDF"] = text_pdf([[(10, 10, "TOTAL 12.30")]])


@settings(max_examples=150, deadline=None)
@given(
    fmt=st.sampled_from(sorted(_VALID_FILES)),
    cut=st.floats(min_value=0.0, max_value=1.0),
    flips=st.lists(st.tuples(st.floats(min_value=0.0, max_value=0.999), st.integers(min_value=1, max_value=255)), max_size=4),
)
# A TIFF whose tag directory breaks Pillow's page count with TypeError("Missing dimensions").
@example(fmt="TIFF", cut=0.4375, flips=[(0.004273984071292534, 1)])
def test_load_damaged_files_give_a_document_or_an_input_error_never_a_crash(fmt: str, cut: float, flips: list[tuple[float, int]]) -> None:
    # what users really send: files cut off in transfer, or with flipped bytes
    data = bytearray(_VALID_FILES[fmt][: max(0, int(len(_VALID_FILES[fmt]) * cut))])
    for where, xor in flips:
        if data:
            data[int(where * len(data))] ^= xor
    try:
        doc = load_document(bytes(data), name=f"damaged.{fmt.lower()}")
    except InputError as exc:
        assert "damaged" in str(exc) and exc.code  # names the file, typed
    else:
        assert doc.pages and all(p.image is not None and p.image.mode == "RGB" for p in doc.pages)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2048))
def test_load_arbitrary_bytes_never_crash(data: bytes) -> None:
    try:
        load_document(data, name="random.bin")
    except InputError:
        pass
