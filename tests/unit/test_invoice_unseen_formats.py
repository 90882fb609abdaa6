"""Invoice layouts the synthetic generator does not draw: a US service invoice, Indian GST
invoices, two columns sharing lines. Built as words with boxes (tests/invoicekit.py)."""

from __future__ import annotations

from invoicekit import make_doc, read_rows, row
from tillroll.document import Document, Field
from tillroll.extract.invoice import classify, prepare, read_invoice
from tillroll.extract.invoice.checks import vat_id_ok
from tillroll.normalize import abn_checksum_ok, gstin_checksum_ok, parse_vat_number

US_SERVICE = [
    row(120, (100, "Brightline Analytics, Inc."), (1300, "INVOICE")),
    row(160, (100, "1450 Market Street, Suite 300"), (1000, "Invoice #"), (1360, "BL-2024-0193")),
    row(200, (100, "San Francisco, CA 94103"), (1000, "Invoice Date"), (1330, "March 5, 2024")),
    row(240, (1000, "Due Date"), (1350, "April 4, 2024")),
    row(280, (1000, "Terms"), (1450, "Net 30")),
    row(380, (100, "BILL TO")),
    row(420, (100, "Harbor & Pine Design LLC")),
    row(460, (100, "Attn: Maria Lopez")),
    row(500, (100, "88 Water Street")),
    row(540, (100, "Portland, ME 04101")),
    row(700, (100, "DESCRIPTION"), (800, "QTY"), (1000, "RATE"), (1400, "AMOUNT")),
    row(750, (100, "Analytics Pro plan"), (800, "12"), (1000, "$49.00"), (1400, "$588.00")),
    row(800, (100, "Onboarding workshop"), (800, "1"), (1000, "$750.00"), (1400, "$750.00")),
    row(900, (1000, "Subtotal"), (1400, "$1,338.00")),
    row(950, (1000, "Sales Tax (8.5%)"), (1400, "$113.73")),
    row(1000, (1000, "Total"), (1400, "$1,451.73")),
]


def read(rows: list, text_layer: bool = True) -> Document:
    return read_rows(rows, text_layer)


def test_us_state_code_is_no_country_and_dollars_stay_us_dollars() -> None:
    # "CA 94103" has the shape of an IBAN's head (two capitals, two digits) but is California:
    # only a valid IBAN says which country an invoice is from.
    doc = read(US_SERVICE)
    values = {k: f.value for k, f in doc.fields.items()}
    assert doc.meta["invoice_locale"]["country"] != "CA"
    assert values["currency"] == "USD"
    assert values["date"] == "2024-03-05" and values["due_date"] == "2024-04-04"
    assert values["invoice_number"] == "BL-2024-0193"
    assert (values["subtotal"], values["vat_included"], values["total"]) == ("1338.00", "113.73", "1451.73")


def test_payment_terms_in_a_column_are_read_though_net_is_a_table_word() -> None:
    doc = read(US_SERVICE)
    assert doc.fields["payment_terms"].value == "Net 30"


def test_attention_line_is_not_part_of_the_buyer_address() -> None:
    doc = read(US_SERVICE)
    assert doc.fields["buyer_name"].value == "Harbor & Pine Design LLC"
    assert doc.fields["buyer_address"].value == "88 Water Street Portland, ME 04101"


def test_receipt_assemblers_phone_is_dropped_when_its_words_are_the_invoice_number() -> None:
    doc = make_doc([US_SERVICE])
    number = [w.id for w in doc.words if w.text == "BL-2024-0193"]
    doc.fields = {"telephone": Field("BL-2024-0193", "20240193", 0.9, number, "model")}
    lines = prepare(doc)
    read_invoice(doc, "invoice", lines)
    assert "telephone" not in doc.fields


INDIA_INTER_STATE = [
    row(100, (700, "TAX INVOICE")),
    row(160, (100, "Sai Krishna Traders"), (950, "Invoice No.: SKT/23-24/0457")),
    row(200, (100, "No. 12, 4th Cross, Gandhi Nagar"), (950, "Dated: 12-Mar-2024")),
    row(240, (100, "Bengaluru, Karnataka - 560009")),
    row(280, (100, "GSTIN: 29AAGFS1234K1Z1")),
    row(340, (100, "Bill To:")),
    row(380, (100, "Meenakshi Hospitals Pvt Ltd")),
    row(420, (100, "45, Race Course Road, Coimbatore - 641018")),
    row(460, (100, "GSTIN: 33AABCM5678P1ZV")),
    row(560, (100, "S.No"), (200, "Description of Goods"), (700, "HSN"), (850, "Qty"), (950, "Rate"), (1150, "GST %"), (1400, "Amount")),
    row(610, (100, "1"), (200, "Surgical Gloves"), (700, "4015"), (850, "50"), (950, "450.00"), (1150, "12%"), (1400, "22,500.00")),
    row(660, (100, "2"), (200, "Digital Thermometer"), (700, "9025"), (850, "20"), (950, "1,250.00"), (1150, "18%"), (1400, "25,000.00")),
    row(760, (950, "Taxable Value"), (1400, "47,500.00")),
    row(800, (950, "IGST @ 12%"), (1400, "2,700.00")),
    row(840, (950, "IGST @ 18%"), (1400, "4,500.00")),
    row(890, (950, "Grand Total"), (1350, "₹ 54,700.00")),
]


def test_indian_gst_invoice_golden() -> None:
    doc = read(INDIA_INTER_STATE)
    values = {k: f.value for k, f in doc.fields.items()}
    assert values["vat_info"] == "29AAGFS1234K1Z1"
    assert values["buyer_vat_info"] == "33AABCM5678P1ZV"
    assert values["invoice_number"] == "SKT/23-24/0457"
    assert values["date"] == "2024-03-12"
    assert (values["subtotal"], values["vat_included"], values["total"]) == ("47500.00", "7200.00", "54700.00")
    assert values["currency"] == "INR"
    # The tax lines under the table are the tax breakdown, not items.
    assert [li.amount for li in doc.line_items] == ["22500.00", "25000.00"]
    assert [(r.rate, r.tax) for r in doc.tax_breakdown] == [("12.00", "2700.00"), ("18.00", "4500.00")]


def test_cgst_and_sgst_at_the_same_rate_are_two_tax_rows() -> None:
    rows = INDIA_INTER_STATE[:12] + [
        row(760, (950, "Taxable Value"), (1400, "47,500.00")),
        row(800, (950, "CGST @ 2.5%"), (1400, "1,187.50")),
        row(840, (950, "SGST @ 2.5%"), (1400, "1,187.50")),
        row(890, (950, "Grand Total"), (1400, "49,875.00")),
    ]
    doc = read(rows)
    assert [(r.rate, r.tax) for r in doc.tax_breakdown] == [("2.50", "1187.50"), ("2.50", "1187.50")]
    assert doc.fields["vat_included"].value == "2375.00"


def test_seller_vat_id_on_a_line_shared_with_the_buyer_block_stays_the_sellers() -> None:
    rows = [
        row(100, (100, "Invoice")),
        row(200, (100, "Tom Ashworth Photography"), (900, "Bill to:")),
        row(240, (100, "12 Mill Lane, Hebden Bridge HX7 8AB"), (900, "Northern Rail Media Ltd")),
        row(280, (100, "VAT Reg No: GB 123 4567 89"), (900, "Leeds LS11 9HF")),
        row(400, (100, "Invoice number: TA-0087")),
        row(440, (100, "Date: 21/02/2024")),
        row(600, (100, "Half-day shoot"), (1400, "£450.00")),
        row(700, (1000, "Net"), (1400, "£450.00")),
        row(740, (1000, "VAT @ 20%"), (1400, "£90.00")),
        row(780, (1000, "Total due"), (1400, "£540.00")),
    ]
    doc = read(rows)
    assert doc.fields["buyer_name"].value == "Northern Rail Media Ltd"
    assert doc.fields["vat_info"].value == "GB123456789"
    assert "buyer_vat_info" not in doc.fields


def test_letterhead_ends_where_the_bill_to_block_begins() -> None:
    rows = [
        row(100, (700, "TAX INVOICE")),
        row(160, (100, "Lakshmi Stores"), (950, "Invoice No: LS/0912")),
        row(200, (100, "7 MG Road, Pune - 411001"), (950, "Date: 05/01/2024")),
        row(240, (100, "Bill To:")),
        row(280, (100, "Deshmukh Caterers")),
        row(320, (100, "21 FC Road, Pune - 411004")),
        row(400, (100, "Sl No"), (200, "Particulars"), (850, "Qty"), (950, "Rate"), (1400, "Amount")),
        row(450, (100, "1"), (200, "Basmati Rice 25 kg"), (850, "4"), (950, "2,100.00"), (1400, "8,400.00")),
        row(550, (950, "Total"), (1400, "8,400.00")),
    ]
    doc = read(rows)
    assert doc.fields["address"].value == "7 MG Road, Pune 411001"
    assert doc.fields["buyer_name"].value == "Deshmukh Caterers"
    assert doc.fields["buyer_address"].value == "21 FC Road, Pune 411004"


def test_gstin_is_a_vat_id_with_its_check_character() -> None:
    assert gstin_checksum_ok("27AAPFU0939F1ZV")
    assert not gstin_checksum_ok("27AAPFU0939F1ZW")
    parsed = parse_vat_number("GSTIN/UIN: 27AAPFU0939F1ZV")
    assert parsed and (parsed.value, parsed.country, parsed.scheme) == ("27AAPFU0939F1ZV", "IN", "in_gstin")
    assert vat_id_ok("27AAPFU0939F1ZV")[0]
    assert not vat_id_ok("27AAPFU0939F1ZW")[0]


AUSTRALIAN = [
    row(100, (100, "Coastal Plumbing Pty Ltd"), (1000, "TAX INVOICE")),
    row(140, (100, "ABN 51 824 753 556"), (1000, "Invoice: 10452")),
    row(180, (100, "3/18 Beach Road, Bondi NSW 2026"), (1000, "Date: 3/02/2025")),
    row(220, (100, "Ph 02 9130 4567")),
    row(340, (100, "Invoice To:")),
    row(380, (100, "Sarah Nguyen")),
    row(420, (100, "14 Wattle Street")),
    row(460, (100, "Randwick NSW 2031")),
    row(560, (100, "Description"), (1400, "Amount")),
    row(610, (100, "Replace hot water system"), (1400, "$1,910.00")),
    row(700, (950, "Subtotal (ex GST)"), (1400, "$1,910.00")),
    row(740, (950, "GST 10%"), (1400, "$191.00")),
    row(780, (950, "Total (inc GST)"), (1400, "$2,101.00")),
]


def test_australian_abn_makes_dollars_australian_and_gst_totals_are_told_apart() -> None:
    doc = read(AUSTRALIAN)
    values = {k: f.value for k, f in doc.fields.items()}
    assert values["vat_info"] == "51824753556"
    assert values["currency"] == "AUD"
    # "Subtotal (ex GST)" is the net total and "Total (inc GST)" the gross, though both name GST.
    assert (values["subtotal"], values["vat_included"], values["total"]) == ("1910.00", "191.00", "2101.00")
    assert values["telephone"] == "+61291304567"
    assert values["address"] == "3/18 Beach Road, Bondi NSW 2026"  # the "Ph" line is no part of it


def test_abn_check_digits_and_unlabelled_groups() -> None:
    assert abn_checksum_ok("51824753556") and not abn_checksum_ok("51824753557")
    assert parse_vat_number("51 824 753 556", "AU")
    assert not parse_vat_number("51 824 753 556")  # without "ABN" only on an Australian document
    assert not parse_vat_number("51 824 753 557", "AU")


def test_ust_idnr_is_the_sellers_vat_id_before_the_steuernummer_beside_it() -> None:
    rows = [
        row(100, (100, "Malerbetrieb Schneider")),
        row(140, (100, "Lindenallee 7")),
        row(180, (100, "50668 Köln")),
        row(400, (100, "Rechnung")),
        row(440, (100, "Rechnungs-Nr.: 2025-047")),
        row(480, (100, "Datum: 06.03.2025")),
        row(600, (100, "Pos."), (200, "Leistung"), (1400, "Gesamt")),
        row(650, (100, "1"), (200, "Wände streichen"), (1400, "595,20")),
        row(750, (950, "Nettobetrag"), (1400, "595,20")),
        row(790, (950, "zzgl. 19 % MwSt."), (1400, "113,09")),
        row(830, (950, "Rechnungsbetrag"), (1400, "708,29")),
        row(2200, (100, "Steuernummer 215/5123/4567 · USt-IdNr. DE136695976")),
    ]
    doc = read(rows)
    assert doc.fields["vat_info"].value == "DE136695976"
    assert "buyer_vat_info" not in doc.fields


def _scanned(rows: list) -> Document:
    doc = make_doc([rows], text_layer=False)
    for page in doc.pages:
        page.coordinates = "original"  # a photo or scan: nothing says it came from a PDF
    return doc


def test_scanned_invoice_in_small_print_across_the_page_is_an_invoice() -> None:
    # Few invoice-only labels (only "Bill To"): the page's small print across its width decides.
    rows = list(INDIA_INTER_STATE) + [row(y, (100, "Terms and conditions apply to every supply listed above.")) for y in range(1000, 1600, 40)]
    kind, _, evidence = classify(_scanned(rows))
    assert kind == "invoice", evidence
    assert "small print across the page" in evidence


def test_till_receipt_scanned_on_an_a4_sheet_stays_a_receipt() -> None:
    # The same small print, but in a narrow column in the middle of the sheet, as SROIE's A4 scans.
    rows = [row(300, (600, "TAX INVOICE")), row(340, (600, "Invoice No: 1234"))]
    rows += [row(380 + 40 * k, (600, f"ITEM {k}"), (850, f"{k}.50")) for k in range(25)]
    rows += [row(1420, (600, "TOTAL"), (850, "312.50"))]
    kind, _, evidence = classify(_scanned(rows))
    assert kind == "receipt", evidence
    assert "small print across the page" not in evidence


def test_to_over_a_column_labels_the_buyer_but_not_inside_an_address() -> None:
    rows = [
        row(100, (100, "Invoice")),
        row(160, (100, "From"), (900, "To")),
        row(200, (100, "Tom Ashworth Photography"), (900, "Northern Rail Media Ltd")),
        row(240, (100, "12 Mill Lane, Hebden Bridge HX7 8AB"), (900, "Unit 4, Tower Works")),
        row(280, (100, "VAT Reg No: GB 123 4567 89"), (900, "Leeds LS11 9HF")),
        row(400, (100, "Invoice number: TA-0087")),
        row(440, (100, "Date: 21/02/2024")),
        row(600, (100, "Half-day shoot"), (1400, "£450.00")),
        row(700, (1000, "Total due"), (1400, "£450.00")),
    ]
    doc = read(rows)
    assert doc.fields["buyer_name"].value == "Northern Rail Media Ltd"
    assert doc.fields["buyer_address"].value == "Unit 4, Tower Works Leeds LS11 9HF"
    # The Italian province code "(TO)" is part of the town, not a label cutting the address.
    lines = prepare(make_doc([[row(100, (100, "Corso Italia 21 96025 Torino (TO)"))]]))
    assert not any("buyer" in h.names("field") for line in lines for h in line.hits)


def test_seller_and_buyer_under_their_labels_below_a_title_line() -> None:
    rows = [
        row(100, (100, "Faktura VAT nr FV/2024/03/15")),
        row(140, (100, "Data wystawienia: 2024-03-20")),
        row(240, (100, "Sprzedawca"), (900, "Nabywca")),
        row(280, (100, "Kowalski Serwis Sp. z o.o."), (900, "Zielony Ogród s.c.")),
        row(320, (100, "ul. Długa 12"), (900, "ul. Kwiatowa 8")),
        row(360, (100, "00-238 Warszawa"), (900, "30-001 Kraków")),
        row(400, (100, "NIP: 5252248481"), (900, "NIP: 6762468458")),
        row(600, (100, "Lp."), (200, "Nazwa"), (1400, "Wartość")),
        row(650, (100, "1"), (200, "Serwis kosiarki"), (1400, "450,00")),
        row(750, (950, "Razem netto"), (1400, "450,00")),
        row(790, (950, "VAT 23%"), (1400, "103,50")),
        row(830, (950, "Do zapłaty"), (1400, "553,50 PLN")),
    ]
    doc = read(rows)
    values = {k: f.value for k, f in doc.fields.items()}
    assert values["shop_name"] == "Kowalski Serwis Sp. z o.o."  # not the title line above it
    assert values["address"] == "ul. Długa 12 00-238 Warszawa"
    assert values["buyer_name"] == "Zielony Ogród s.c."
    # Each NIP is its own party's: the one in the buyer's column is the buyer's.
    assert (values["vat_info"], values["buyer_vat_info"]) == ("5252248481", "6762468458")


def test_long_dates_with_de_and_more_month_names() -> None:
    from tillroll.normalize import find_dates

    for text, iso in [
        ("Fecha: 9 de octubre de 2024", "2024-10-09"),
        ("3 de março de 2024", "2024-03-03"),
        ("15 de maio del 2024", "2024-05-15"),
        ("14 maart 2024", "2024-03-14"),
        ("12 augusti 2024", "2024-08-12"),
    ]:
        assert [d.iso for d in find_dates(text, day_first=True)] == [iso], text


def test_from_in_a_route_further_down_is_not_the_seller() -> None:
    rows = list(US_SERVICE[:10]) + [
        row(600, (100, "DESCRIPTION"), (1400, "AMOUNT")),
        row(650, (100, "Courier delivery"), (1400, "$40.00")),
        row(1300, (100, "From: Berlin Hbf"), (700, "To: Munich")),
        row(1400, (1000, "Total"), (1400, "$40.00")),
    ]
    doc = read(rows)
    assert doc.fields["shop_name"].value == "Brightline Analytics, Inc."


def test_month_name_split_by_ocr_is_put_back_together() -> None:
    from tillroll.normalize import find_dates

    text = "Dated: 12-M ar-2024"
    (found,) = find_dates(text, day_first=True)
    assert found.iso == "2024-03-12"
    assert text[found.span[0] : found.span[1]] == "12-M ar-2024"  # the span is the printed text's
    assert find_dates("I am 12 years old", day_first=True) == []


def test_title_line_is_no_window_address_and_the_right_hand_window_is_found() -> None:
    rows = [
        row(100, (100, "Carpintaria Lopes, Lda.")),
        row(140, (100, "Rua de Santa Catarina 310")),
        row(180, (100, "4000-442 Porto")),
        row(220, (100, "NIF: PT503504564")),
        row(300, (900, "Exmo. Sr.")),
        row(340, (900, "Miguel Antunes")),
        row(380, (900, "Avenida da Liberdade 88")),
        row(420, (900, "1250-145 Lisboa")),
        row(520, (100, "FATURA N.º FT 2024/219")),
        row(560, (100, "Data de emissão: 21 de junho de 2024")),
        row(700, (100, "Descrição"), (900, "Qtd."), (1100, "Preço"), (1400, "Total")),
        row(750, (100, "Estante em carvalho"), (900, "2"), (1100, "340,00"), (1400, "680,00")),
        row(850, (950, "Total a pagar"), (1400, "680,00 €")),
    ]
    doc = read(rows)
    assert doc.fields["buyer_name"].value == "Miguel Antunes"
    assert doc.fields["buyer_address"].value == "Avenida da Liberdade 88 1250-145 Lisboa"
    assert doc.fields["date"].value == "2024-06-21"


def test_canadian_business_number_and_a_printed_code_settle_the_dollar() -> None:
    rows = [
        row(100, (100, "Northern Lights IT Services Ltd."), (1100, "INVOICE")),
        row(140, (100, "1800 Barrington St, Halifax, NS B3J 3K1")),
        row(180, (100, "HST Registration # 812345678 RT0001")),
        row(260, (100, "Invoice Number: NL-3391")),
        row(300, (100, "Invoice Date: 2025-01-15")),
        row(500, (100, "Service"), (1400, "Total")),
        row(550, (100, "Network maintenance"), (1400, "$570.00")),
        row(650, (1000, "Subtotal"), (1400, "$570.00")),
        row(690, (1000, "HST (15%)"), (1400, "$85.50")),
        row(730, (1000, "Total Due"), (1350, "$655.50 CAD")),
    ]
    doc = read(rows)
    values = {k: f.value for k, f in doc.fields.items()}
    assert values["vat_info"] == "812345678RT0001"
    assert values["currency"] == "CAD"
    assert values["vat_included"] == "85.50"
    assert values["address"] == "1800 Barrington St, Halifax, NS B3J 3K1"  # the registration line is not address


def test_danish_cvr_is_the_vat_id_and_a_bank_reg_nr_is_not() -> None:
    parsed = parse_vat_number("CVR 87654321", "DK")
    assert parsed and parsed.value == "87654321"
    assert not parse_vat_number("Reg.nr. 1234 Kontonr. 0012345678", "DK")  # two numbers with a word between


def test_italian_schema_roles_name_the_parties() -> None:
    # FatturaPA courtesy copies name the parties by their roles in the schema.
    italian = [
        row(80, (100, "Cedente/Prestatore"), (900, "Cessionario/Committente")),
        row(120, (100, "Studio Grafico Lanterna S.n.c."), (900, "Focacceria Il Porto S.r.l.")),
        row(160, (100, "Via XX Settembre 33/2, 16121 Genova"), (900, "Calata Cattaneo 15, 16128 Genova")),
        row(300, (100, "Fattura n° 2025/FE/0045")),
        row(340, (100, "Data: 12/03/2025")),
        row(600, (100, "Descrizione"), (1400, "Totale")),
        row(650, (100, "Restyling logo"), (1400, "950,00")),
        row(750, (900, "Totale da pagare"), (1400, "1.159,00 €")),
    ]
    values = {k: f.value for k, f in read(italian).fields.items()}
    assert (values["shop_name"], values["buyer_name"]) == ("Studio Grafico Lanterna S.n.c.", "Focacceria Il Porto S.r.l.")
