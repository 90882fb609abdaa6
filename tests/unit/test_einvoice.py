"""E-invoices without the shared datasets: CII / UBL built here from hand-made documents.

Covers reading (CII 2.x, ZUGFeRD 1.x, UBL), export (XSD-valid, round trip, missing
business terms named), bad XML (never a crash), the page-vs-XML cross-check on a PDF
built here with factur-x, and the CLI's --format.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from einvoicekit import comparable
from samplekit import text_pdf
from tillroll.config import PipelineConfig
from tillroll.document import Document, Field, LineItem, TaxRow
from tillroll.einvoice import EInvoiceError, MissingBusinessTermsError
from tillroll.einvoice.crosscheck import agree, crosscheck, failed_fields
from tillroll.einvoice.export_cii import export_cii
from tillroll.einvoice.export_ubl import export_ubl
from tillroll.einvoice.read import read_einvoice, read_embedded
from tillroll.einvoice.validate import validate_bytes
from tillroll.pipeline import Pipeline


def _f(value: str, currency: str | None = None) -> Field:
    return Field(text=value, value=value, confidence=0.9, word_ids=[], source="rule", currency=currency)


def invoice_doc(credit: bool = False) -> Document:
    """A complete two-rate invoice, as the visual invoice reader might produce it."""
    doc = Document(source="hand-built", document_type="credit_note" if credit else "invoice")
    values = {
        "invoice_number": "2024-117",
        "date": "2024-03-05",
        "due_date": "2024-04-04",
        "purchase_order": "PO-77",
        "payment_terms": "30 Tage netto",
        "currency": "EUR",
        "shop_name": "Muster GmbH",
        "address": "Hauptstr. 1, 10115 Berlin, DE",
        "vat_info": "DE123456789",
        "buyer_name": "Kunde AG",
        "buyer_address": "Ring 5, Hinterhaus, 80331 München, DE",
        "buyer_vat_info": "DE987654321",
        "iban": "DE02120300000000202051",
        "bic": "BYLADEM1001",
        "subtotal": "150.00",
        "vat_included": "22.50",
        "total": "172.50",
        "amount_due": "172.50",
    }
    for name, value in values.items():
        doc.fields[name] = _f(value, "EUR" if name in ("subtotal", "vat_included", "total", "amount_due") else None)
    doc.line_items = [
        LineItem(description="Beratung", quantity="1", unit_price="100.00", amount="100.00", position="1", unit="HUR", tax_rate="19.00", article_number="B-1"),
        LineItem(description="Buch", quantity="2", unit_price="25.00", amount="50.00", position="2", unit="H87", tax_rate="7.00"),
    ]
    doc.tax_breakdown = [
        TaxRow(rate="19.00", base="100.00", tax="19.00", category="S"),
        TaxRow(rate="7.00", base="50.00", tax="3.50", category="S"),
    ]
    return doc


# ---- export and round trip -------------------------------------------------------


@pytest.mark.parametrize("credit", [False, True])
@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_export_is_xsd_valid_and_reads_back_to_the_same_document(syntax: str, credit: bool) -> None:
    doc = invoice_doc(credit)
    xml = export_cii(doc) if syntax == "cii" else export_ubl(doc)
    kind = "cii" if syntax == "cii" else ("ubl-creditnote" if credit else "ubl-invoice")
    assert validate_bytes(xml, kind, "en16931").valid
    back = read_einvoice(xml).document
    assert comparable(back) == comparable(doc)
    assert all(f.source == "xml" and f.confidence == 1.0 for f in back.fields.values())
    assert back.checks[0].name == "xml_schema" and back.checks[0].passed


def test_a_till_receipt_without_buyer_is_refused_naming_the_business_terms() -> None:
    doc = invoice_doc()
    doc.document_type = "receipt"
    for name in ("buyer_name", "buyer_address", "buyer_vat_info", "invoice_number"):
        del doc.fields[name]
    for export in (export_cii, export_ubl):
        with pytest.raises(MissingBusinessTermsError) as info:
            export(doc)
        assert [t.bt for t in info.value.terms] == ["BT-1", "BT-44", "BT-55"]
        assert "BT-44 Buyer name" in str(info.value)
        assert info.value.to_record()["missing"][0] == {"bt": "BT-1", "name": "Invoice number"}


def test_a_receipt_line_with_one_amount_exports_as_one_unit() -> None:
    doc = invoice_doc()
    doc.line_items = [LineItem(description="Kaffee", amount="150.00")]
    doc.tax_breakdown = [TaxRow(rate="15.00", base="150.00", tax="22.50")]
    back = read_einvoice(export_cii(doc)).document
    item = back.line_items[0]
    assert (item.quantity, item.unit_price, item.unit, item.tax_rate) == ("1", "150.00", "C62", "15.00")
    assert back.tax_breakdown[0].category == "S"


# ---- reading: versions and bad input ---------------------------------------------

ZUGFERD1 = b"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15">
 <rsm:SpecifiedExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
  <ram:ID>urn:ferd:CrossIndustryDocument:invoice:1p0:comfort</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
 </rsm:SpecifiedExchangedDocumentContext>
 <rsm:HeaderExchangedDocument><ram:ID>RE-1</ram:ID><ram:Name>RECHNUNG</ram:Name><ram:TypeCode>380</ram:TypeCode>
  <ram:IssueDateTime><udt:DateTimeString format="102">20150613</udt:DateTimeString></ram:IssueDateTime>
 </rsm:HeaderExchangedDocument>
 <rsm:SpecifiedSupplyChainTradeTransaction>
  <ram:ApplicableSupplyChainTradeAgreement>
   <ram:SellerTradeParty><ram:Name>Bei Spiel GmbH</ram:Name>
    <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE136695976</ram:ID></ram:SpecifiedTaxRegistration></ram:SellerTradeParty>
   <ram:BuyerTradeParty><ram:Name>Theodor Est</ram:Name></ram:BuyerTradeParty>
  </ram:ApplicableSupplyChainTradeAgreement>
  <ram:ApplicableSupplyChainTradeSettlement>
   <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
   <ram:ApplicableTradeTax><ram:CalculatedAmount currencyID="EUR">19.00</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>
    <ram:BasisAmount currencyID="EUR">100.00</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode><ram:ApplicablePercent>19.00</ram:ApplicablePercent></ram:ApplicableTradeTax>
   <ram:SpecifiedTradeSettlementMonetarySummation>
    <ram:LineTotalAmount currencyID="EUR">100.00</ram:LineTotalAmount><ram:ChargeTotalAmount currencyID="EUR">0.00</ram:ChargeTotalAmount>
    <ram:AllowanceTotalAmount currencyID="EUR">0.00</ram:AllowanceTotalAmount><ram:TaxBasisTotalAmount currencyID="EUR">100.00</ram:TaxBasisTotalAmount>
    <ram:TaxTotalAmount currencyID="EUR">19.00</ram:TaxTotalAmount><ram:GrandTotalAmount currencyID="EUR">119.00</ram:GrandTotalAmount>
   </ram:SpecifiedTradeSettlementMonetarySummation>
  </ram:ApplicableSupplyChainTradeSettlement>
  <ram:IncludedSupplyChainTradeLineItem>
   <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
   <ram:SpecifiedSupplyChainTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount currencyID="EUR">50.0000</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedSupplyChainTradeAgreement>
   <ram:SpecifiedSupplyChainTradeDelivery><ram:BilledQuantity unitCode="C62">2.0000</ram:BilledQuantity></ram:SpecifiedSupplyChainTradeDelivery>
   <ram:SpecifiedSupplyChainTradeSettlement><ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:ApplicablePercent>19.00</ram:ApplicablePercent></ram:ApplicableTradeTax>
    <ram:SpecifiedTradeSettlementMonetarySummation><ram:LineTotalAmount currencyID="EUR">100.00</ram:LineTotalAmount></ram:SpecifiedTradeSettlementMonetarySummation></ram:SpecifiedSupplyChainTradeSettlement>
   <ram:SpecifiedTradeProduct><ram:Name>Luftballon</ram:Name></ram:SpecifiedTradeProduct>
  </ram:IncludedSupplyChainTradeLineItem>
 </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>
"""


def test_zugferd_1_namespace_is_read() -> None:
    result = read_einvoice(ZUGFERD1)
    doc = result.document
    assert result.kind == "zugferd1" and result.profile == "comfort"
    values = {k: f.value for k, f in doc.fields.items()}
    assert values["invoice_number"] == "RE-1" and values["date"] == "2015-06-13"
    assert (values["subtotal"], values["vat_included"], values["total"]) == ("100.00", "19.00", "119.00")
    assert values["vat_info"] == "DE136695976" and values["buyer_name"] == "Theodor Est"
    assert doc.line_items[0].quantity == "2.0000" and doc.line_items[0].unit_price == "50.0000"
    assert doc.tax_breakdown[0].rate == "19.00" and doc.tax_breakdown[0].base == "100.00"


def test_schema_invalid_xml_is_read_and_flagged() -> None:
    broken = ZUGFERD1.replace(b"<ram:Name>RECHNUNG</ram:Name>", b"<ram:Nonsense>x</ram:Nonsense>")
    doc = read_einvoice(broken).document
    assert doc.fields["invoice_number"].value == "RE-1"
    schema = next(c for c in doc.checks if c.name == "xml_schema")
    assert not schema.passed and "Nonsense" in schema.detail


def test_unknown_profile_is_a_failed_check() -> None:
    doc = read_einvoice(ZUGFERD1.replace(b"1p0:comfort", b"1p0:komfort")).document
    profile = next(c for c in doc.checks if c.name == "xml_profile")
    assert not profile.passed and "komfort" in profile.detail


@pytest.mark.parametrize(
    "data, words",
    [
        (b"<?xml version='1.0'?><rsm:CrossIndustryInvoice><broken", "malformed"),
        (b"<?xml version='1.0'?><Order xmlns='urn:example:order'><ID>1</ID></Order>", "an order (Order), not an invoice"),
        (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', "not a CII or UBL invoice"),
    ],
)
def test_bad_xml_is_a_typed_error_not_a_crash(data: bytes, words: str) -> None:
    with pytest.raises(EInvoiceError) as info:
        Pipeline(PipelineConfig(model="rules"), stages=[]).process(data, name="bad.xml")
    assert words in str(info.value)


def test_bare_xml_through_the_pipeline() -> None:
    doc = Pipeline(PipelineConfig(model="rules"), stages=[]).process(export_ubl(invoice_doc()), name="in.xml")
    assert doc.source == "in.xml" and doc.meta["input_format"] == "xml"
    assert doc.fields["total"].value == "172.50" and doc.fields["total"].source == "xml"


# ---- PDFs carrying XML: the cross-check ------------------------------------------

PAGE = [(30, 30, "Muster GmbH"), (30, 50, "Rechnung 2024-117"), (30, 70, "Gesamt 172,50 EUR")]


class PageReader:
    """Stands in for the visual extraction: says what a reader found on the page."""

    name = "page_reader"

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields

    def __call__(self, doc: Document) -> Document:
        assert doc.words, "the PDF's text layer was loaded"
        for name, value in self.fields.items():
            doc.fields[name] = _f(value)
        return doc


def _facturx(xml: bytes) -> bytes:
    from facturx import generate_from_binary

    return bytes(generate_from_binary(text_pdf([PAGE], size=(595.0, 842.0)), xml, flavor="factur-x", level="en16931", check_xsd=True))


PAGE_FIELDS = {"shop_name": "Muster GmbH", "invoice_number": "2024-117", "total": "172.50", "date": "2024-03-05"}


def _pipeline(**config: object) -> Pipeline:
    return Pipeline(PipelineConfig(model="rules", **config), stages=[PageReader(PAGE_FIELDS)])  # type: ignore[arg-type]


def test_embedded_xml_wins_and_the_page_agrees() -> None:
    doc = _pipeline().process(_facturx(export_cii(invoice_doc())), name="inv.pdf")
    assert doc.fields["total"].source == "embedded_xml" and doc.fields["total"].confidence == 1.0
    assert doc.fields["buyer_name"].value == "Kunde AG"  # only the XML has it
    assert doc.words and doc.pages  # the page is still there for the review UI
    names = {c.name: c.passed for c in doc.checks}
    assert names["crosscheck_total"] and names["crosscheck_shop_name"] and names["crosscheck_date"]
    assert failed_fields(doc) == []
    assert doc.meta["einvoice"]["attachment"] == "factur-x.xml"


def test_an_altered_amount_fails_the_cross_check_on_exactly_that_field() -> None:
    xml = export_cii(invoice_doc())
    altered = xml.replace(b"<ram:GrandTotalAmount>172.50<", b"<ram:GrandTotalAmount>1725.00<")
    assert altered != xml
    doc = _pipeline().process(_facturx(altered), name="tampered.pdf")
    assert failed_fields(doc) == ["total"]
    check = next(c for c in doc.checks if c.name == "crosscheck_total")
    assert "172.50" in check.detail and "1725.00" in check.detail


def test_malformed_attachment_falls_back_to_the_page_with_a_failed_check() -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(text_pdf([PAGE]))
    pdf.new_attachment("factur-x.xml").set_data(b"<rsm:CrossIndustryInvoice>broken")
    import io

    buf = io.BytesIO()
    pdf.save(buf)
    doc = _pipeline().process(buf.getvalue(), name="broken.pdf")
    assert doc.fields["total"].source == "rule"  # the page's reading
    check = next(c for c in doc.checks if c.name == "embedded_xml")
    assert not check.passed and "malformed" in check.detail


def test_read_embedded_xml_off_reads_the_page_only() -> None:
    doc = _pipeline(read_embedded_xml=False).process(_facturx(export_cii(invoice_doc())), name="inv.pdf")
    assert doc.fields["total"].source == "rule" and "einvoice" not in doc.meta


def test_read_embedded_finds_nothing_in_a_plain_pdf() -> None:
    assert read_embedded(text_pdf([PAGE])) == (None, [])


@pytest.mark.parametrize(
    "name, page, xml, same",
    [
        ("total", "58.00", "58.00", True),
        ("total", "5.80", "58.00", False),
        ("date", "2024-03-05", "2024-03-05", True),
        ("iban", "DE02 1203 0000 0000 2020 51", "DE02120300000000202051", True),
        ("address", "Muster GmbH ● Hauptstr. 1 ● 10115 Berlin ● Germany", "Hauptstr. 1, 10115 Berlin, DE", True),
        ("buyer_address", "Bahnstr. 42 88802Spielkreis Deutschland / Germany", "Bahnstr. 42, 88802 Spielkreis, DE", True),
        ("buyer_address", "Ring 9 80331 München", "Bahnstr. 42, 88802 Spielkreis, DE", False),
        ("shop_name", "Muster GmbH", "Anders AG", False),
    ],
)
def test_agree(name: str, page: str, xml: str, same: bool) -> None:
    assert agree(name, page, xml) is same


def test_crosscheck_skips_fields_the_page_did_not_yield() -> None:
    xml_doc, page_doc = invoice_doc(), Document()
    page_doc.fields["total"] = _f("172.50")
    page_doc.fields["buyer_address"] = _f("87 camino de la calor 41700 Dos Hermanas Spain")
    xml_doc.fields["buyer_address"] = _f("ES")  # a MINIMUM profile gives only the country
    assert [c.name for c in crosscheck(xml_doc, page_doc)] == ["crosscheck_total"]


# ---- CLI -------------------------------------------------------------------------


def test_cli_format_cii_and_missing_terms(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tillroll.cli import _load_commands, app

    _load_commands()
    source = tmp_path / "in.xml"
    source.write_bytes(export_ubl(invoice_doc()))
    result = CliRunner().invoke(app, ["extract", "--format", "cii", "--out", str(tmp_path / "out"), str(source)])
    assert result.exit_code == 0, result.output
    written = tmp_path / "out" / "in.cii.xml"
    assert validate_bytes(written.read_bytes(), "cii", "en16931").valid
    assert etree.fromstring(written.read_bytes()).tag.endswith("CrossIndustryInvoice")

    partial = tmp_path / "partial.xml"
    partial.write_bytes(export_cii(invoice_doc()).replace(b"<ram:Name>Kunde AG</ram:Name>", b""))
    result = CliRunner().invoke(app, ["extract", "--format", "ubl", str(partial)])
    assert result.exit_code == 1
    assert "BT-44 Buyer name" in result.output
    result = CliRunner().invoke(app, ["extract", str(partial)])
    assert result.exit_code == 0 and json.loads(result.output)["fields"]["total"]["source"] == "xml"


def test_tax_rows_are_cross_checked_by_rate() -> None:
    from tillroll.einvoice.crosscheck import crosscheck_tax_rows

    page = Document(tax_breakdown=[TaxRow(rate="19", base="100.00", tax="91.00"), TaxRow(rate="7.00", tax="3.50"), TaxRow(rate="16.00", tax="1.00")])
    checks = {c.name: c for c in crosscheck_tax_rows(invoice_doc(), page)}
    assert set(checks) == {"crosscheck_tax_19", "crosscheck_tax_7", "crosscheck_tax_16"}
    assert not checks["crosscheck_tax_19"].passed and "tax 91.00 on the page, 19.00 in the embedded XML" in checks["crosscheck_tax_19"].detail
    assert checks["crosscheck_tax_7"].passed
    assert not checks["crosscheck_tax_16"].passed and "19 %, 7 %" in checks["crosscheck_tax_16"].detail
    assert crosscheck_tax_rows(Document(), page) == []  # an XML without a breakdown compares nothing


def test_an_id_printed_as_the_xml_says_agrees_whatever_the_reader_normalised() -> None:
    xml_doc, page_doc = invoice_doc(), Document()
    xml_doc.fields["vat_info"] = _f("DE12345618938")
    page_doc.fields["vat_info"] = Field(text="DE12345618938", value="DE123456189", confidence=0.9, word_ids=[], source="rule")
    assert [c.passed for c in crosscheck(xml_doc, page_doc)] == [True]
