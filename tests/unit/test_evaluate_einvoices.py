"""The e-invoice evaluation: gt.jsonl reading, the three PDF forms, tax-row scoring and the runner end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from samplekit import text_pdf
from tillroll.document import TaxRow
from tillroll.einvoice.gold import apply_gold_version
from tillroll.errors import DataError
from tillroll.evaluate import metrics
from tillroll.evaluate.runner import evaluate_dataset, evaluation_markdown, write_report
from tillroll.evaluate.values import lenient_match, strict_match
from tillroll.io.datasets import parse_spec, read_dataset
from tillroll.io.datasets.einvoices import form_path, scanned_pdf, text_only_pdf

INVOICE_LINES = [
    (30, 30, "Muster GmbH"),
    (30, 50, "Rechnung Nr. 2024-117"),
    (30, 70, "Datum: 05.03.2024"),
    (30, 110, "Summe netto 100,00"),
    (30, 130, "USt 19% 19,00"),
    (30, 150, "Gesamtbetrag 119,00 EUR"),
]


def _with_attachment(pdf_bytes: bytes, target: Path) -> Path:
    """The PDF with a factur-x.xml attachment, as a Factur-X invoice carries its XML."""
    doc = pdfium.PdfDocument(pdf_bytes)
    attachment = doc.new_attachment("factur-x.xml")
    attachment.set_data(b"<rsm:CrossIndustryInvoice>secret 999.99</rsm:CrossIndustryInvoice>")
    doc.save(str(target))
    doc.close()
    return target


def _dataset(root: Path, pages: int = 1) -> Path:
    (root / "pdf").mkdir(parents=True)
    _with_attachment(text_pdf([INVOICE_LINES] * pages, size=(595.0, 842.0)), root / "pdf" / "inv-1.pdf")
    record = {
        "id": "inv-1",
        "pages": pages,
        "fields": {
            "invoice_number": "2024-117",
            "invoice_date": "2024-03-05",
            "seller_name": "Muster GmbH",
            "net_total": "100.00",
            "tax_total": "19.00",
            "grand_total": "119.00",
            "currency": "EUR",
            "unknown_key": "x",
        },
        "tax_breakdown": [{"rate": "19.00", "basis": "100.00", "tax": "19.00"}],
        "line_items": [{"description": "Beratung", "quantity": "1", "unit_price": "100.00", "amount": "100.00"}],
    }
    (root / "gt.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    return root


def _text(path: Path) -> str:
    doc = pdfium.PdfDocument(str(path))
    try:
        return "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def test_einvoices_spec_kinds_name_the_forms(tmp_path: Path) -> None:
    assert parse_spec(f"einvoices-scanned:{tmp_path}:dev") == ("einvoices-scanned", tmp_path, "dev")
    root = _dataset(tmp_path / "ds")
    [shipped] = read_dataset(f"einvoices:{root}")
    assert shipped.image_path == root / "pdf" / "inv-1.pdf"  # as shipped: the file itself
    ref = shipped.reference
    assert {k: f.value for k, f in ref.fields.items()} == {
        "invoice_number": "2024-117",
        "date": "2024-03-05",
        "shop_name": "Muster GmbH",
        "subtotal": "100.00",
        "vat_included": "19.00",
        "total": "119.00",
        "currency": "EUR",
    }
    assert shipped.annotated_fields == frozenset(ref.fields)  # only what the record names is scored
    assert [(r.rate, r.base, r.tax) for r in ref.tax_breakdown] == [("19.00", "100.00", "19.00")]
    assert ref.line_items[0].description == "Beratung" and ref.line_items[0].amount == "100.00"
    assert not ref.words and shipped.annotated_labels == frozenset({"misc"})


def test_einvoices_text_form_drops_the_xml_and_keeps_the_text(tmp_path: Path) -> None:
    source = _dataset(tmp_path / "ds", pages=2) / "pdf" / "inv-1.pdf"
    assert pdfium.PdfDocument(str(source)).count_attachments() == 1
    out = text_only_pdf(source, tmp_path / "text.pdf")
    doc = pdfium.PdfDocument(str(out))
    assert len(doc) == 2 and doc.count_attachments() == 0
    doc.close()
    assert b"secret" not in out.read_bytes()
    assert "Rechnung Nr. 2024-117" in _text(out) and _text(out) == _text(source)


def test_einvoices_scanned_form_is_pictures_at_200_dpi_without_text(tmp_path: Path) -> None:
    source = _dataset(tmp_path / "ds", pages=2) / "pdf" / "inv-1.pdf"
    out = scanned_pdf(source, tmp_path / "scan.pdf")
    assert _text(out).strip() == ""
    from tillroll.io.load import load_document

    doc = load_document(out)
    assert len(doc.pages) == 2 and not doc.words
    assert all(p.text_source == "ocr" for p in doc.pages)
    assert abs(doc.pages[0].width - 595 * 200 / 72) <= 2  # A4 at 200 dpi: 1653 px wide
    assert b"secret" not in out.read_bytes()


def test_einvoices_forms_are_built_once_into_the_cache(tmp_path: Path) -> None:
    source = _dataset(tmp_path / "ds") / "pdf" / "inv-1.pdf"
    first = form_path(source, "text", cache=tmp_path / "forms")
    assert first.parent == tmp_path / "forms" / "text" and first.is_file()
    stamp = first.stat().st_mtime_ns
    assert form_path(source, "text", cache=tmp_path / "forms") == first and first.stat().st_mtime_ns == stamp
    assert form_path(source, "shipped") == source
    with pytest.raises(DataError, match="unknown e-invoice form"):
        form_path(source, "fax")


def test_einvoices_reader_refuses_bad_folders_with_data_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="gt.jsonl"):
        read_dataset(f"einvoices:{tmp_path}")
    (tmp_path / "gt.jsonl").write_text('{"id": "missing"}\n', encoding="utf-8")
    with pytest.raises(DataError, match="missing"):
        read_dataset(f"einvoices:{tmp_path}")
    (tmp_path / "gt.jsonl").write_text("{not json\n", encoding="utf-8")
    with pytest.raises(DataError, match="not JSON"):
        read_dataset(f"einvoices:{tmp_path}")


def test_tax_row_scores_match_rate_and_tax_as_numbers_with_sign() -> None:
    gold = [TaxRow(rate="19.00", base="100.00", tax="19.00"), TaxRow(rate="7.00", base="10.00", tax="0.70")]
    pred = [TaxRow(rate="19", base="100", tax="19.0"), TaxRow(rate="7", base="10.00", tax="-0.70"), TaxRow(rate="0", tax="0")]
    s = metrics.tax_row_scores([(gold, pred)])
    assert (s["tp"], s["fp"], s["fn"]) == (1, 2, 1)  # -0.70 is not 0.70; the 0 % row is extra
    assert s["base"] == {"correct": 1, "of": 1, "accuracy": 1.0}
    assert metrics.tax_row_scores([(gold, [])])["recall"] == 0.0


def test_invoice_field_values_compare_by_meaning() -> None:
    assert strict_match("DE88200800000970375700", "DE88 2008 0000 0970 3757 00", "iban")
    assert strict_match("RE-20140519/499", "RE 20140519/499", "invoice_number")
    assert not strict_match("RE-20140519/499", "RE-20140519/498", "invoice_number")
    assert lenient_match("due_date", ("2024-04-04", "2024-04-04"), ("04.04.2024", "2024-04-04"))
    assert not lenient_match("amount_due", ("-233.47", "-233.47"), ("233.47", "233.47"))  # a credit note keeps its sign


def test_runner_scores_invoice_pdfs_without_reading_the_embedded_xml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tillroll.evaluate.runner as runner_mod

    seen = []
    real_build = runner_mod.build_stages

    def spy(model, engine, config):  # type: ignore[no-untyped-def]
        seen.append(config)
        return real_build(model, engine, config)

    monkeypatch.setattr(runner_mod, "build_stages", spy)
    root = _dataset(tmp_path / "ds")
    report = evaluate_dataset(f"einvoices-text:{root}", model="rules", progress=False, cache_dir=tmp_path / "cache")
    assert seen and all(c.read_embedded_xml is False for c in seen)
    assert report["documents"] == 1 and report["failed"] == 0, report["errors"]
    assert "words" not in report  # no word labels on e-invoices
    per_field = report["fields"]["strict"]["per_field"]
    assert set(per_field) <= {"invoice_number", "date", "shop_name", "subtotal", "vat_included", "total", "currency"}
    assert sum(v["support"] for v in per_field.values()) == 7
    assert report["tax_rows"]["tp"] + report["tax_rows"]["fn"] == 1
    assert report["line_items"]["tp"] + report["line_items"]["fn"] == 1
    [doc] = report["per_document"]
    assert doc["tax_rows"]["gold"] == [{"rate": "19.00", "base": "100.00", "tax": "19.00"}]
    assert doc["line_items"]["gold"] == 1 and isinstance(doc["unscored_fields"], dict)
    assert "Tax rows" in evaluation_markdown(report)
    assert (tmp_path / "rep" / "report.json") in write_report(report, tmp_path / "rep")


@pytest.mark.datasets
def test_einvoices_shared_folder_reads_all_41_records(shared_datasets: Path, tmp_path: Path) -> None:
    folder = shared_datasets / "einvoices"
    if not folder.is_dir():
        pytest.skip("no einvoices folder in the shared datasets")
    examples = read_dataset(f"einvoices:{folder}")
    assert len(examples) == 41 and len({e.id for e in examples}) == 41
    assert sum(len(e.reference.fields) for e in examples) > 300
    assert sum(len(e.reference.tax_breakdown) for e in examples) > 30
    assert all(f.value for e in examples for f in e.reference.fields.values())
    text = text_only_pdf(examples[0].image_path, tmp_path / "one.pdf")
    assert pdfium.PdfDocument(str(text)).count_attachments() == 0


def test_einvoices_amounts_the_page_does_not_print_are_listed_and_scored_apart(tmp_path: Path) -> None:
    root = _dataset(tmp_path / "ds")
    record = json.loads((root / "gt.jsonl").read_text(encoding="utf-8"))
    # The XML's gross line amount (119.00 is printed as the total, 999.99 nowhere) and a tax row the page lacks.
    record["line_items"].append({"description": "Wartung", "amount": "999.99"})
    record["tax_breakdown"].append({"rate": "7.00", "basis": "10.00", "tax": "0.70"})
    (root / "gt.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    [ex] = read_dataset(f"einvoices-text:{root}")
    assert apply_gold_version(ex).reference.meta["amounts_not_printed"] == {"line_items": [1], "tax_rows": [1]}
    report = evaluate_dataset(f"einvoices-text:{root}", model="rules", progress=False, cache_dir=tmp_path / "cache")
    assert report["line_items"]["tp"] + report["line_items"]["fn"] == 2
    assert report["line_items_printed"]["tp"] + report["line_items_printed"]["fn"] == 2
    assert report["line_items_printed"]["tp"] >= report["line_items"]["tp"]  # an unchecked amount can only help
    # The count of unprinted gold amounts is reported beside the scores; the plain score still counts them.
    assert report["line_items_printed"]["unprinted_gold_amounts"] == 1 and report["tax_rows_printed"]["unprinted_gold_amounts"] == 1
    assert report["line_items"]["fn"] >= 1
    # A gold tax row without an amount matches on its rate alone.
    assert metrics.tax_row_scores([([TaxRow(rate="7.00")], [TaxRow(rate="7", tax="0.71")])])["tp"] == 1


def test_einvoices_have_no_gold_words_to_feed_as_ocr(tmp_path: Path) -> None:
    from tillroll.errors import ConfigError

    root = _dataset(tmp_path / "ds")
    with pytest.raises(ConfigError, match="annotates no words"):
        evaluate_dataset(f"einvoices:{root}", ocr="gold", progress=False)
