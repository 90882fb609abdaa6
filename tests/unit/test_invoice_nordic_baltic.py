"""Invoices in Estonian, Latvian, Lithuanian and Norwegian (session 13's rounds six and seven of
benchmarks/invoice_formats.py), built as words with boxes (tests/invoicekit.py)."""

from __future__ import annotations

import pytest

from invoicekit import read_rows, row
from tillroll.document import Document
from tillroll.errors import ConfigError
from tillroll.extract.invoice.lexicon import _country_codes, load_lexicon
from tillroll.normalize import parse_vat_number

NORWEGIAN = [
    row(100, (100, "Nordlys Regnskap AS"), (1100, "Faktura")),
    row(140, (100, "Storgata 41, 9008 Tromsø"), (1100, "Fakturanummer: 2025-0311")),
    row(180, (100, "Foretaksregisteret NO 940 544 629 MVA"), (1100, "Dato: 12.05.2025")),
    row(220, (100, "Tlf. 77 60 12 34"), (1100, "Forfall: 26.05.2025")),
    row(340, (100, "Mottaker")),
    row(380, (100, "Ishavskysten Fiskeri AS")),
    row(420, (100, "Havnegata 2")),
    row(460, (100, "9900 Kirkenes")),
    row(600, (100, "Tjeneste"), (800, "Timer"), (1000, "Sats"), (1400, "Sum")),
    row(650, (100, "Årsoppgjør 2024"), (800, "14"), (1000, "1 150,00"), (1400, "16 100,00")),
    row(750, (1000, "Netto"), (1400, "16 100,00")),
    row(800, (1000, "Merverdiavgift 25 %"), (1400, "4 025,00")),
    row(850, (1000, "Totalbeløp"), (1400, "kr 20 125,00")),
    row(950, (100, "Kontonummer 1503.52.12342 (IBAN NO61 1503 5212 342, BIC DNBANOKK)")),
    row(1000, (100, "Betalingsfrist: 14 dager")),
]

ESTONIAN = [
    row(100, (100, "Kask & Poeg OÜ"), (1000, "ARVE nr 45/2025")),
    row(140, (100, "Riia 22, 51010 Tartu"), (1000, "Arve kuupäev: 03.04.2025")),
    row(180, (100, "Käibemaksukohustuslase nr EE101819093"), (1000, "Tähtpäev: 17.04.2025")),
    row(300, (100, "Ostja:")),
    row(340, (100, "Mets ja Meri MTÜ")),
    row(380, (100, "Vabaduse pst 7")),
    row(420, (100, "80010 Pärnu")),
    row(550, (100, "Kirjeldus"), (800, "Kogus"), (1000, "Ühiku hind"), (1400, "Kokku")),
    row(600, (100, "Raamatupidamisteenus"), (800, "1"), (1000, "320,00"), (1400, "320,00")),
    row(650, (100, "Palgaarvestus"), (800, "5"), (1000, "12,00"), (1400, "60,00")),
    row(750, (1000, "Summa käibemaksuta"), (1400, "380,00")),
    row(800, (1000, "Käibemaks 22%"), (1400, "83,60")),
    row(850, (1000, "Kokku tasuda"), (1400, "463,60 €")),
    row(950, (100, "Palume tasuda arve SEB Pank kontole EE89 1010 2200 3479 6011, viitenumber 2025045.")),
]

LATVIAN = [
    row(80, (100, "PAVADZĪME - RĒĶINS Nr. 2025-77")),
    row(120, (100, "Izrakstīšanas datums: 14.05.2025")),
    row(160, (100, "Samaksas termiņš: 28.05.2025")),
    row(260, (100, "Pārdevējs:"), (900, "Pircējs:")),
    row(300, (100, "SIA Kurzemes Dārzi"), (900, "IK Ozoliņš un dēli")),
    row(340, (100, "Adrese: Lielā iela 5, Kuldīga, LV-3301"), (900, "Adrese: Rīgas iela 12, Talsi, LV-3201")),
    row(380, (100, "PVN maksātāja Nr.: LV40008372616"), (900, "PVN maksātāja Nr.: LV40105140261")),
    row(420, (100, "Banka: AS SEB banka, UNLALV2X")),
    row(460, (100, "Konta Nr.: LV41HABA0551023456789")),
    row(600, (100, "Preces nosaukums"), (800, "Daudzums"), (1000, "Cena"), (1400, "Summa")),
    row(650, (100, "Ābeļu stādi"), (800, "20"), (1000, "8,50"), (1400, "170,00")),
    row(750, (1000, "Summa bez PVN"), (1400, "170,00")),
    row(800, (1000, "PVN 21%"), (1400, "35,70")),
    row(850, (1000, "Summa apmaksai EUR"), (1400, "205,70")),
]


def read(rows: list, text_layer: bool = True) -> Document:
    return read_rows(rows, text_layer)


def values(doc: Document) -> dict[str, str]:
    return {k: f.value for k, f in doc.fields.items()}


def test_norway_is_a_country_though_yaml_reads_a_bare_no_as_false() -> None:
    lexicon = load_lexicon()
    assert "NO" in lexicon.countries and lexicon.language_countries["no"][0] == "NO"
    assert any(m.kind == "column" and m.name == "position" for m in lexicon.lookup("no"))  # English "No" column
    with pytest.raises(ConfigError, match="quotes"):
        _country_codes([False], "countries.yaml")


def test_norwegian_invoice_reads_its_mva_number_phone_and_payment_period() -> None:
    v = values(read(NORWEGIAN))
    assert v["shop_name"] == "Nordlys Regnskap AS"  # "AS" is no Lithuanian account label here
    assert v["address"] == "Storgata 41, 9008 Tromsø"
    assert v["vat_info"] == "NO940544629MVA"
    assert v["telephone"] == "+4777601234"
    assert v["currency"] == "NOK"
    assert v["iban"] == "NO6115035212342" and v["bic"] == "DNBANOKK"
    assert v["payment_terms"] == "14 dager"  # a due-date label followed by a period, not a date
    assert v["due_date"] == "2025-05-26"
    assert (v["subtotal"], v["vat_included"], v["total"]) == ("16100.00", "4025.00", "20125.00")


def test_estonian_invoice_finds_an_iban_in_a_sentence_and_keeps_a_street_abbreviation() -> None:
    v = values(read(ESTONIAN))
    assert v["iban"] == "EE891010220034796011"  # no label: its check digits say what it is
    assert v["address"] == "Riia 22, 51010 Tartu"  # stops at the VAT label, though its value opens with letters
    assert v["vat_info"] == "EE101819093"
    # "pst" (puiestee) is the English table's Canadian tax, which labels nothing on an Estonian page
    assert v["buyer_address"] == "Vabaduse pst 7 80010 Pärnu"
    assert "purchase_order" not in v  # "viitenumber" is the payment reference, not an order
    assert v["due_date"] == "2025-04-17"
    assert (v["subtotal"], v["vat_included"], v["total"]) == ("380.00", "83.60", "463.60")


def test_latvian_blocks_drop_their_address_label_and_an_unlabelled_bic_goes_with_its_iban() -> None:
    v = values(read(LATVIAN))
    assert v["address"] == "Lielā iela 5, Kuldīga, LV-3301"
    assert v["buyer_address"] == "Rīgas iela 12, Talsi, LV-3201"
    assert (v["vat_info"], v["buyer_vat_info"]) == ("LV40008372616", "LV40105140261")
    assert v["iban"] == "LV41HABA0551023456789"
    assert v["bic"] == "UNLALV2X"  # its country letters are the IBAN's


def test_a_label_misread_by_ocr_still_labels_on_a_scanned_page_only() -> None:
    misread = [r if not r[1][0][1].startswith("Tlf") else row(r[0], (100, "TIf. 77 60 12 34"), (1100, "Forfall: 26.05.2025")) for r in NORWEGIAN]
    assert values(read(misread, text_layer=False)).get("telephone") == "+4777601234"
    # In a text layer the letters are what was printed: "TIf." labels nothing there.
    assert "telephone" not in values(read(misread, text_layer=True))


@pytest.mark.parametrize(
    ("printed", "value", "checksum"),
    [
        ("Foretaksregisteret NO 940 544 629 MVA", "NO940544629MVA", True),
        ("Org.nr. 987740000MVA", "NO987740000MVA", True),
        ("NO 987 740 001 MVA", "NO987740001MVA", False),
        ("MWST-Nr. CHE-116.281.710 MWST", "CHE116281710", True),
        ("UID: CHE-116.281.711", "CHE116281711", False),
    ],
)
def test_norwegian_and_swiss_vat_numbers_are_read_and_checked(printed: str, value: str, checksum: bool) -> None:
    vat = parse_vat_number(printed)
    assert vat and vat.value == value and vat.checksum_ok is checksum


def test_an_organisation_number_without_mva_is_no_vat_number() -> None:
    assert not parse_vat_number("NO 940 544 629")


LITHUANIAN_FREELANCER = [
    row(60, (500, "SĄSKAITA FAKTŪRA")),
    row(100, (500, "Serija IV Nr. 0042")),
    row(140, (500, "2025 m. kovo 14 d.")),
    row(240, (100, "Paslaugų teikėjas:"), (950, "Paslaugų gavėjas:")),
    row(280, (100, "Tomas Jonaitis"), (950, "UAB Skaitmeninė banga")),
    row(320, (100, "Individualios veiklos pažymos Nr. 1234567"), (950, "Įmonės kodas: 305555555")),
    row(360, (100, "Adresas: Gedimino pr. 5-12, LT-01103 Vilnius"), (950, "PVM mokėtojo kodas: LT136490375516")),
    row(400, (950, "Adresas: Konstitucijos pr. 7, Vilnius")),
    row(550, (100, "Paslaugos pavadinimas"), (800, "Kiekis"), (1000, "Kaina"), (1400, "Suma")),
    row(600, (100, "Svetainės dizainas"), (800, "1"), (1000, "850,00"), (1400, "850,00")),
    row(700, (1000, "Iš viso mokėti:"), (1400, "850,00 EUR")),
    row(800, (100, "Apmokėti iki 2025-03-28 į sąskaitą LT89 7044 0600 0123 4567, AB SEB bankas")),
]


def test_lithuanian_freelancer_invoice_reads_series_year_first_date_and_labelled_addresses() -> None:
    v = values(read(LITHUANIAN_FREELANCER))
    assert v["invoice_number"] == "IV 0042"  # the series is part of the number
    assert v["date"] == "2025-03-14"  # "2025 m. kovo 14 d."
    assert (v["shop_name"], v["buyer_name"]) == ("Tomas Jonaitis", "UAB Skaitmeninė banga")
    # an address under its own label, after registration lines that neither join nor close it
    assert v["address"] == "Gedimino pr. 5-12, LT-01103 Vilnius"
    assert v["buyer_address"] == "Konstitucijos pr. 7, Vilnius"
    assert v["buyer_vat_info"] == "LT136490375516"
    assert "vat_info" not in v  # the IBAN "LT89 7044 ..." has an LT VAT number's shape, but is an IBAN
    assert v["iban"] == "LT897044060001234567"


@pytest.mark.parametrize(
    ("printed", "iso"),
    [
        ("2025 m. kovo 14 d.", "2025-03-14"),
        ("2025 m. balandžio 2 d.", "2025-04-02"),
        ("Datums: 2025. gada 7. martā", "2025-03-07"),
        ("14. märts 2025", "2025-03-14"),
        ("10. marts 2025", "2025-03-10"),
    ],
)
def test_baltic_and_nordic_dates_with_month_names(printed: str, iso: str) -> None:
    from tillroll.normalize import parse_date

    date = parse_date(printed)
    assert date and date.iso == iso


ICELANDIC = [
    row(100, (100, "Hraunsmiðjan ehf."), (1000, "Reikningur nr. 2025-88")),
    row(140, (100, "Dalshraun 9, 220 Hafnarfirði"), (1000, "Útgáfudagur: 3.4.2025")),
    row(180, (100, "kt. 440199-2119"), (1000, "Eindagi: 18.4.2025")),
    row(220, (100, "VSK númer: 98765")),
    row(260, (100, "Sími: 562 1234")),
    row(360, (100, "Viðskiptavinur:")),
    row(400, (100, "Byggingafélagið Ás ehf.")),
    row(440, (100, "Smiðjuvegur 4")),
    row(480, (100, "200 Kópavogi")),
    row(600, (100, "Vara"), (800, "Fjöldi"), (1000, "Verð"), (1400, "Alls")),
    row(650, (100, "Handrið"), (800, "4"), (1000, "12.500"), (1400, "50.000")),
    row(750, (1000, "Samtals án vsk."), (1400, "50.000")),
    row(800, (1000, "Virðisaukaskattur 24%"), (1400, "12.000")),
    row(850, (1000, "Til greiðslu"), (1400, "62.000 kr.")),
]

SWISS = [
    row(100, (100, "Rheinknie Elektro AG")),
    row(140, (100, "Clarastrasse 12, 4058 Basel")),
    row(180, (100, "MwSt-Nr.: CHE-268.506.590 MWST")),
    row(300, (900, "An")),
    row(340, (900, "Peter Keller")),
    row(380, (900, "Sonnenweg 5")),
    row(420, (900, "4052 Basel")),
    row(520, (100, "Rechnung Nr. 7781")),
    row(560, (100, "Rechnungsdatum 03.03.2025")),
    row(700, (100, "Beschreibung"), (800, "Anzahl"), (1000, "Preis"), (1400, "Betrag")),
    row(750, (100, "Sicherungskasten"), (800, "1"), (1000, "1'450.00"), (1400, "1'450.00")),
    row(850, (900, "Netto"), (1400, "1'450.00")),
    row(900, (900, "MwSt 8.1%"), (1400, "117.45")),
    row(950, (900, "Rechnungsbetrag CHF"), (1400, "1'567.45")),
    row(1050, (100, "Zahlungsfrist: 30 Tage")),
]


def test_icelandic_invoice_reads_whole_kronur_a_five_digit_vat_number_and_stops_at_the_kennitala() -> None:
    v = values(read(ICELANDIC))
    assert v["currency"] == "ISK"
    # krónur have no minor unit: amounts print without decimals
    assert (v["subtotal"], v["vat_included"], v["total"]) == ("50000.00", "12000.00", "62000.00")
    assert v["vat_info"] == "98765"  # the label says VAT number; the parser knows no "VSK"
    assert v["address"] == "Dalshraun 9, 220 Hafnarfirði"  # "kt." (the registration number) closes it
    assert v["telephone"] == "+3545621234"
    assert (v["buyer_name"], v["due_date"]) == ("Byggingafélagið Ás ehf.", "2025-04-18")


def test_swiss_invoice_reads_apostrophe_thousands_an_as_a_heading_and_a_payment_period() -> None:
    v = values(read(SWISS))
    assert v["vat_info"] == "CHE268506590"
    assert (v["subtotal"], v["vat_included"], v["total"]) == ("1450.00", "117.45", "1567.45")
    assert v["currency"] == "CHF"
    assert (v["buyer_name"], v["buyer_address"]) == ("Peter Keller", "Sonnenweg 5 4052 Basel")  # under "An"
    assert v["payment_terms"] == "30 Tage"


def test_an_amount_after_a_vat_label_is_no_vat_number() -> None:
    rows = [
        row(100, (100, "Brightline Analytics Ltd"), (1100, "INVOICE")),
        row(140, (100, "1 Market Street, London EC1A 1BB"), (1100, "Invoice No: 2024-17")),
        row(700, (100, "Description"), (1000, "Qty"), (1400, "Amount")),
        row(750, (100, "Consulting"), (1000, "1"), (1400, "62.50")),
        row(850, (900, "Subtotal"), (1400, "62.50")),
        row(900, (900, "VAT:"), (1400, "12.50")),
        row(950, (900, "Total"), (1400, "75.00")),
    ]
    v = values(read(rows))
    assert "vat_info" not in v
    assert v["vat_included"] == "12.50"


AUSTRIAN = [
    row(100, (100, "Alpen Solar GmbH")),
    row(140, (100, "Innrain 25, 6020 Innsbruck")),
    row(180, (100, "UID-Nummer: ATU48980410")),
    row(220, (100, "Firmenbuch: FN 412345 x, LG Innsbruck")),
    row(320, (100, "Rechnungsempfänger:"), (900, "Rechnungsnummer: R-2025-311")),
    row(360, (100, "Pension Bergblick"), (900, "Datum: 15. Jänner 2025")),
    row(400, (100, "Dorfstraße 8")),
    row(440, (100, "6561 Ischgl")),
    row(600, (100, "Bezeichnung"), (800, "Menge"), (1000, "Einzelpreis"), (1400, "Gesamt")),
    row(650, (100, "PV-Modul 420 Wp"), (800, "12"), (1000, "189,00"), (1400, "2.268,00")),
    row(750, (900, "Summe exkl. USt"), (1400, "2.268,00")),
    row(800, (900, "USt 20 %"), (1400, "453,60")),
    row(850, (900, "Summe inkl. USt"), (1400, "2.721,60 €")),
]


def test_austrian_invoice_reads_jaenner_its_uid_and_stops_the_address_at_the_company_register() -> None:
    v = values(read(AUSTRIAN))
    assert v["date"] == "2025-01-15"  # "Jänner", Austrian January
    assert v["vat_info"] == "ATU48980410"
    assert v["address"] == "Innrain 25, 6020 Innsbruck"  # neither the UID nor "Firmenbuch: FN ..." is address
    assert (v["subtotal"], v["vat_included"], v["total"]) == ("2268.00", "453.60", "2721.60")
