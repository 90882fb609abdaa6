"""A line amount means the line's net (EN 16931 BT-131), also where a ZUGFeRD 1.0 XML states the gross.

The XML fragments are written by hand: one line at 0 % and two at 19 %, the way
the 2014 GnuAccounting/Mustang samples state them (gross in the line's
LineTotalAmount, net in the net price and in the header's sum of line amounts).
"""

from __future__ import annotations

import json
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from samplekit import text_pdf
from tillroll.document import Document, LineItem
from tillroll.einvoice.base import parse_xml
from tillroll.einvoice.gold import apply_gold_version, net_line_amount_gold
from tillroll.einvoice.line_amounts import computed_net_amount, gross_stated_as_net, net_line_amounts
from tillroll.einvoice.model import Line
from tillroll.einvoice.read import read_einvoice
from tillroll.einvoice.read_cii import read_cii
from tillroll.io.datasets import read_dataset
from tillroll.io.datasets.einvoices import GOLD_VERSION


def _line(name: str, quantity: str, net_price: str, rate: str, amount: str, extra: str = "") -> str:
    return f"""
  <ram:IncludedSupplyChainTradeLineItem>
   <ram:SpecifiedSupplyChainTradeAgreement><ram:NetPriceProductTradePrice>
    <ram:ChargeAmount currencyID="EUR">{net_price}</ram:ChargeAmount><ram:BasisQuantity unitCode="C62">1</ram:BasisQuantity>
   </ram:NetPriceProductTradePrice></ram:SpecifiedSupplyChainTradeAgreement>
   <ram:SpecifiedSupplyChainTradeDelivery><ram:BilledQuantity unitCode="C62">{quantity}</ram:BilledQuantity></ram:SpecifiedSupplyChainTradeDelivery>
   <ram:SpecifiedSupplyChainTradeSettlement>
    <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:ApplicablePercent>{rate}</ram:ApplicablePercent></ram:ApplicableTradeTax>{extra}
    <ram:SpecifiedTradeSettlementMonetarySummation><ram:LineTotalAmount currencyID="EUR">{amount}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementMonetarySummation>
   </ram:SpecifiedSupplyChainTradeSettlement>
   <ram:SpecifiedTradeProduct><ram:Name>{name}</ram:Name></ram:SpecifiedTradeProduct>
  </ram:IncludedSupplyChainTradeLineItem>"""


def _zugferd1(lines: str, line_total: str = "496.00") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12">
 <rsm:HeaderExchangedDocument><ram:ID>RE-7</ram:ID><ram:TypeCode>380</ram:TypeCode></rsm:HeaderExchangedDocument>
 <rsm:SpecifiedSupplyChainTradeTransaction>
  <ram:ApplicableSupplyChainTradeSettlement>
   <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
   <ram:SpecifiedTradeSettlementMonetarySummation><ram:LineTotalAmount currencyID="EUR">{line_total}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementMonetarySummation>
  </ram:ApplicableSupplyChainTradeSettlement>{lines}
 </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>""".encode()


# Gross stated: 400 x 0.79 = 316.00 net, 376.04 gross at 19 %; 200 x 0.10 = 20.00 net, 23.80 gross.
GROSS_LINES = (
    _line("Gestaltung (Stunde)", "1", "160.00", "0.00", "160.00")
    + _line("Luftballon", "400", "0.79", "19.00", "376.04")
    + _line("Heiße Luft", "200", "0.10", "19.00", "23.80")
)


def test_zugferd1_line_stating_the_gross_gets_its_net_from_the_xmls_own_terms() -> None:
    inv = read_cii(parse_xml(_zugferd1(GROSS_LINES)))
    assert [line.amount for line in inv.lines] == ["160.00", "376.04", "23.80"]  # the reader keeps what the XML states
    assert inv.lines[1].price_base_quantity == "1"
    assert gross_stated_as_net(inv) == [1, 2]
    assert net_line_amounts(inv) == ["160.00", "316.00", "20.00"]


def test_reading_the_xml_keeps_the_stated_amounts_and_fails_a_check_naming_the_lines() -> None:
    doc = read_einvoice(_zugferd1(GROSS_LINES)).document
    assert [li.amount for li in doc.line_items] == ["160.00", "376.04", "23.80"]
    [check] = [c for c in doc.checks if c.name == "xml_line_net_amounts"]
    assert not check.passed and "376.04 stated, 316.00 net" in check.detail and "23.80 stated, 20.00 net" in check.detail
    consistent = _line("Gestaltung", "1", "160.00", "7.00", "160.00")
    assert all(c.name != "xml_line_net_amounts" for c in read_einvoice(_zugferd1(consistent, line_total="160.00")).document.checks)


def test_a_consistent_xml_keeps_its_stated_amounts() -> None:
    lines = _line("Gestaltung", "1", "160.00", "7.00", "160.00") + _line("Luftballon", "400", "0.79", "19.00", "316.00")
    inv = read_cii(parse_xml(_zugferd1(lines, line_total="476.00")))
    assert gross_stated_as_net(inv) == []
    assert net_line_amounts(inv) == ["160.00", "316.00"]


def test_an_amount_that_is_neither_net_nor_gross_is_kept() -> None:
    # A damaged sample: 316.20 for 400 x 0.79 is no arithmetic of the XML's own terms, so nothing is replaced.
    lines = _line("Gestaltung", "1", "160.00", "7.00", "160.00") + _line("Luftballon", "400", "0.79", "19.00", "316.20")
    inv = read_cii(parse_xml(_zugferd1(lines, line_total="476.00")))
    assert gross_stated_as_net(inv) == []
    assert net_line_amounts(inv)[1] == "316.20"


def test_without_the_header_sum_nothing_is_replaced() -> None:
    # The header's sum of line net amounts (BT-106) is what says the lines state gross; without it, keep them.
    xml = _zugferd1(GROSS_LINES).replace(b'<ram:LineTotalAmount currencyID="EUR">496.00</ram:LineTotalAmount>', b"")
    assert gross_stated_as_net(read_cii(parse_xml(xml))) == []


def test_line_allowances_charges_and_price_base_enter_the_net() -> None:
    allowance = (
        "<ram:SpecifiedTradeAllowanceCharge><ram:ChargeIndicator><udt:Indicator"
        ' xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15">false</udt:Indicator>'
        "</ram:ChargeIndicator><ram:ActualAmount>16.00</ram:ActualAmount></ram:SpecifiedTradeAllowanceCharge>"
    )
    inv = read_cii(parse_xml(_zugferd1(_line("Luftballon", "400", "0.79", "19.00", "357.00", extra=allowance), line_total="300.00")))
    line = inv.lines[0]
    assert line.charges_less_allowances == "-16.00"
    assert str(computed_net_amount(line)) == "300.00"
    assert net_line_amounts(inv) == ["300.00"]  # 300.00 x 1.19 = 357.00: the XML stated the gross
    assert str(computed_net_amount(Line(quantity="3", net_price="12.00", price_base_quantity="12"))) == "3.00"
    assert computed_net_amount(Line(quantity="3")) is None


def test_gold_items_are_matched_to_their_xml_line_and_given_the_net() -> None:
    reference = Document(
        line_items=[
            LineItem(description="Gestaltung (Stunde)", quantity="1", amount="160.00"),
            LineItem(description="Luftballon: Bunt, ca. 500ml", quantity="400", amount="376.04"),
            LineItem(description="Heiße Luft pro Liter", quantity="200", amount="23.80"),
            LineItem(description="Porto", quantity="1", amount="23.80"),  # same amount, no XML line of its own
        ]
    )
    assert net_line_amount_gold(reference, _zugferd1(GROSS_LINES)) == [1, 2]
    assert [li.amount for li in reference.line_items] == ["160.00", "316.00", "20.00", "23.80"]
    assert net_line_amount_gold(Document(line_items=[LineItem(amount="1")]), b"<not-an-invoice/>") == []


def _attach(pdf_bytes: bytes, xml: bytes, target: Path) -> None:
    doc = pdfium.PdfDocument(pdf_bytes)
    doc.new_attachment("ZUGFeRD-invoice.xml").set_data(xml)
    doc.save(str(target))
    doc.close()


@pytest.mark.parametrize("form", ["einvoices", "einvoices-text"])
def test_einvoices_gold_line_amount_is_the_net_the_page_prints(tmp_path: Path, form: str) -> None:
    root = tmp_path / "ds"
    (root / "pdf").mkdir(parents=True)
    page = [(30, 30, "Rechnung RE-7"), (30, 60, "400,00 Luftballon 19% 0,79 316,00"), (30, 80, "200,00 Heiße Luft 19% 0,10 20,00")]
    _attach(text_pdf([page], size=(595.0, 842.0)), _zugferd1(GROSS_LINES), root / "pdf" / "inv-7.pdf")
    record = {
        "id": "inv-7",
        "fields": {"invoice_number": "RE-7"},
        "line_items": [
            {"description": "Luftballon", "quantity": "400", "unit_price": "0.79", "amount": "376.04"},
            {"description": "Heiße Luft", "quantity": "200", "unit_price": "0.10", "amount": "23.80"},
        ],
    }
    (root / "gt.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    [ex] = read_dataset(f"{form}:{root}")
    assert ex.reference.meta["gold_version"] == 1  # the reader gives gt.jsonl as it is
    assert [li.amount for li in ex.reference.line_items] == ["376.04", "23.80"]
    apply_gold_version(ex)
    assert [li.amount for li in ex.reference.line_items] == ["316.00", "20.00"]
    assert ex.reference.meta["gold_version"] == GOLD_VERSION == 2
    assert ex.reference.meta["line_amounts_net_from_xml"] == [0, 1]
    assert ex.reference.meta["amounts_not_printed"]["line_items"] == []
