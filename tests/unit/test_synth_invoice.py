"""Synthetic invoices: exact arithmetic, deterministic output, labels that cover every field's words, readable as a dataset."""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tillroll.cli import _load_commands, app
from tillroll.errors import ConfigError
from tillroll.io.datasets import read_dataset
from tillroll.labels import ADDRESS, AMOUNT, DATE_TIME, INVOICE_FIELD_NAMES, LINE_ITEM, SHOP_NAME, TOTAL, VAT_INFO
from tillroll.synth.invoice.content import available_invoice_locales, check_invoice, iban_is_valid, load_invoice_locale, make_invoice, parse_invoice_locales
from tillroll.synth.invoice.generate import iter_generate_invoices, make_one_invoice, parse_layouts
from tillroll.synth.invoice.layout import LAYOUTS

_load_commands()
ALL = tuple(available_invoice_locales())


@pytest.fixture(scope="module")
def sample() -> list:
    return [make_one_invoice(11, i, ALL) for i in range(48)]


def test_invoice_locales_and_layouts_are_many_enough() -> None:
    assert set(ALL) >= {"de", "fr", "gb", "nl", "it", "es", "pl", "sv"}
    assert len(LAYOUTS) >= 6
    assert parse_invoice_locales("en-GB,se") == ("gb", "sv")
    with pytest.raises(ConfigError, match="unknown invoice locale"):
        parse_invoice_locales("xx")
    with pytest.raises(ConfigError, match="unknown invoice layout"):
        parse_layouts("din_left,fancy")


def test_invoice_arithmetic_is_exact_over_many_seeds() -> None:
    kinds = Counter()
    for seed in range(300):
        locale = load_invoice_locale(ALL[seed % len(ALL)])
        inv = make_invoice(locale, random.Random(seed))
        check_invoice(inv)  # raises on any broken rule
        kinds[inv.kind] += 1
        assert 1 <= len([r for r in inv.rows if not r.is_discount]) <= 40
        assert all(isinstance(r.amount, Decimal) and r.amount == r.amount.quantize(Decimal("0.01")) for r in inv.rows)
    assert kinds["credit_note"] >= 20 and kinds["invoice"] >= 200


def test_check_invoice_catches_a_wrong_total() -> None:
    inv = make_invoice(load_invoice_locale("de"), random.Random(3))
    inv.gross += Decimal("0.01")
    with pytest.raises(AssertionError):
        check_invoice(inv)


def test_iban_check_digits_are_valid_and_checked() -> None:
    assert iban_is_valid("DE88200800000970375700") and iban_is_valid("GB82 WEST 1234 5698 7654 32")
    assert not iban_is_valid("DE88200800000970375701")
    for code in ALL:
        inv = make_invoice(load_invoice_locale(code), random.Random(code))
        assert iban_is_valid(inv.iban) and inv.iban[:2] == load_invoice_locale(code)["iban"][:2]


def test_gold_totals_add_up_in_the_json(sample: list) -> None:
    for item in sample:
        doc = item.document
        f = {k: Decimal(v.value) for k, v in doc.fields.items() if k in ("subtotal", "vat_included", "total", "amount_due")}
        assert sum(Decimal(li.amount) for li in doc.line_items) == f["subtotal"]
        assert sum(Decimal(r.tax) for r in doc.tax_breakdown) == f["vat_included"]
        assert sum(Decimal(r.base) for r in doc.tax_breakdown) == f["subtotal"]
        assert f["subtotal"] + f["vat_included"] == f["total"]
        assert f["amount_due"] <= f["total"] or doc.document_type == "credit_note"
        if doc.document_type == "credit_note":
            assert f["total"] < 0 and all(Decimal(li.amount) <= 0 for li in doc.line_items)


def test_every_field_quotes_its_printed_words_with_matching_labels(sample: list) -> None:
    label_of = {"shop_name": SHOP_NAME, "address": ADDRESS, "vat_info": VAT_INFO, "date": DATE_TIME, "total": TOTAL}
    for item in sample:
        doc = item.document
        for name, field in doc.fields.items():
            assert field.word_ids, (item.id, name)
            words = [doc.words[i] for i in field.word_ids]
            assert field.text == " ".join(w.text for w in words), (item.id, name)
            if name in label_of:
                assert {w.label for w in words} == {label_of[name]}, (item.id, name)
        for li in doc.line_items:
            labels = Counter(doc.words[i].label for i in li.word_ids)
            assert labels[LINE_ITEM] >= 1 and labels[AMOUNT] >= 1  # "1 234,56": two words where a space groups thousands
        for row in doc.tax_breakdown:
            assert row.word_ids  # the rate and tax as printed
        assert all(w.label_source == "human" and w.label_confidence == 1.0 for w in doc.words)
        # The printed invoice fields are there; invoice number, IBAN and currency always are.
        assert {"invoice_number", "iban", "currency", "buyer_name", "amount_due"} <= set(doc.fields) <= set(doc.fields) | set(INVOICE_FIELD_NAMES)


def test_sample_covers_layouts_locales_pages_credit_notes_and_discounts(sample: list) -> None:
    metas = [s.document.meta for s in sample]
    assert {m["layout"] for m in metas} == set(LAYOUTS)
    assert {m["locale"] for m in metas} == set(ALL)
    assert {m["pages"] for m in metas} >= {1, 2}
    assert all(1 <= m["pages"] <= 3 for m in metas)
    assert any(s.document.document_type == "credit_note" for s in sample)
    assert any(any(r.is_discount or r.discount_pct for r in s.invoice.rows) for s in sample)
    assert any(len(s.invoice.tax_lines) >= 2 for s in sample)
    long_one = make_one_invoice(11, 0, ["de"])
    long_one.invoice  # noqa: B018 - built without error
    forty = [make_invoice(load_invoice_locale("de"), random.Random(1), rows=40)]
    assert len(forty[0].rows) >= 40


def test_same_seed_same_files(tmp_path: Path) -> None:
    a = make_one_invoice(5, 2, ALL)
    b = make_one_invoice(5, 2, ALL)
    assert a.json_text("x.tif") == b.json_text("x.tif")
    assert a.image_bytes() == b.image_bytes()
    assert make_one_invoice(6, 2, ALL).json_text("x.tif") != a.json_text("x.tif")


def test_image_form_reads_back_as_a_dataset_with_invoice_fields(tmp_path: Path) -> None:
    paths = [p for ps in iter_generate_invoices(2, "de,fr", seed=4, out_dir=tmp_path, form="image") for p in ps]
    assert all(p.suffix == ".tif" and p.is_file() for p in paths)
    examples = read_dataset(f"synth:{tmp_path}")
    assert len(examples) == 2
    for ex in examples:
        assert {"invoice_number", "iban", "amount_due", "shop_name"} <= ex.annotated_fields
        assert ex.reference.document_type in ("invoice", "credit_note") and ex.reference.meta["document_type_annotated"]
        from tillroll.io.load import load_document

        doc = load_document(ex.image_path)
        assert len(doc.pages) == ex.reference.meta["pages"]
        assert (doc.pages[0].width, doc.pages[0].height) == (ex.reference.pages[0].width, ex.reference.pages[0].height)


def test_pdf_form_has_the_gold_words_in_its_text_layer(tmp_path: Path) -> None:
    pytest.importorskip("reportlab")
    from tillroll.io.load import load_document

    [pdf] = [p for ps in iter_generate_invoices(1, "pl", seed=8, out_dir=tmp_path, form="pdf") for p in ps]
    [ex] = read_dataset(f"synth:{tmp_path}")
    assert ex.image_path == pdf
    loaded = load_document(pdf)
    assert all(p.text_source == "pdf_text_layer" for p in loaded.pages)
    assert Counter(w.text for w in loaded.words) == Counter(w.text for w in ex.reference.words)
    # Boxes agree with the gold boxes (same face, same positions): each word's nearest gold twin is a few pixels off.
    close = 0
    for w in loaded.words:
        twins = [g for g in ex.reference.words if g.page == w.page and g.text == w.text]
        nearest = min(twins, key=lambda g: abs(g.cx - w.cx) + abs(g.cy - w.cy))
        close += abs(nearest.cx - w.cx) < 6 and abs(nearest.cy - w.cy) < 8
    assert close >= 0.9 * len(loaded.words)


def test_cli_writes_invoices_and_refuses_an_unknown_kind(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["synth", "--kind", "invoice", "--n", "1", "--seed", "2", "--locales", "sv", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "inv-s2-000000.json").is_file() and (tmp_path / "inv-s2-000000.tif").is_file()
    bad = runner.invoke(app, ["synth", "--kind", "letter", "--out", str(tmp_path)])
    assert bad.exit_code != 0 and "unknown --kind" in bad.output


def test_scanned_pages_keep_every_word_inside_its_moved_box(tmp_path: Path) -> None:
    import io

    import numpy as np
    from PIL import Image

    item = make_one_invoice(21, 1, ("de",))
    data, doc = item.scanned(0.8)
    assert data == item.scanned(0.8)[0]  # same seed, same scan
    assert doc.meta["scan"]["0"] and doc.meta["degrade"] == 0.8
    moved = sum(a.box != b.box for a, b in zip(doc.words, item.document.words))
    assert moved > 0.5 * len(doc.words) or "skew 0.00" in doc.meta["scan"]["0"][1]
    with Image.open(io.BytesIO(data)) as tif:
        page = np.asarray(tif.convert("L"))
    inked = 0
    first_page = [w for w in doc.words if w.page == 0]
    for w in first_page:
        x0, y0, x1, y1 = (int(round(v)) for v in w.box)
        inked += page[y0 : y1 + 1, x0 : x1 + 1].min() < 110
    assert inked >= 0.97 * len(first_page)
    with pytest.raises(ConfigError, match="between 0 and 1"):
        next(iter_generate_invoices(1, "de", seed=1, out_dir=tmp_path, degrade=1.5))
