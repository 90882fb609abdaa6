"""Labelled invoice values read by their labels: the seller's phone, and payment terms with or without a colon.

Invoices built here as words with boxes (as a PDF text layer gives them); what
each test expects is what it printed.
"""

from __future__ import annotations

import pytest

from invoicekit import CHAR_W, LINE_H, WORD_SPACE, Row, make_doc
from invoicekit import row as kit_row
from tillroll.document import Document
from tillroll.extract.invoice import prepare, read_invoice
from tillroll.synth.invoice.content import available_invoice_locales
from tillroll.synth.invoice.generate import make_one_invoice


def row(y: float, *cells: tuple[float, str]) -> Row:
    """A printed line with real word spaces, which the PDF word-gap rule needs to keep words apart."""
    return kit_row(y, *cells, space=WORD_SPACE)


def invoice(*extra: tuple[float, list[tuple[float, str]]], letterhead: str = "Hauptstraße 5 · 80331 München · Tel. 089 2753958") -> Document:
    lines = [
        row(150, (200, "Muster Werkzeug GmbH")),
        row(190, (200, letterhead)),
        row(480, (200, "Karl Kunde")),
        row(520, (200, "Bahnweg 42")),
        row(560, (200, "88045 Friedrichshafen")),
        row(800, (200, "Rechnung")),
        row(860, (200, "Rechnungsnummer:"), (600, "RE-2018-0042")),
        row(900, (200, "Rechnungsdatum:"), (600, "06.03.2018")),
        row(1240, (900, "Nettobetrag:"), (1400, "100,00")),
        row(1280, (900, "USt. 19 %:"), (1400, "19,00")),
        row(1320, (900, "Gesamtbetrag:"), (1400, "119,00 EUR")),
        *extra,
        row(2100, (200, "USt-IdNr.: DE136695976")),
        row(2140, (200, "IBAN: DE88 2008 0000 0970 3757 00"), (1000, "BIC: COBADEFFXXX")),
    ]
    doc = make_doc([lines])
    read_invoice(doc, "invoice", prepare(doc))
    return doc


def test_the_letterhead_phone_is_read_by_its_label_in_e164_and_ends_the_address() -> None:
    doc = invoice()
    assert doc.fields["telephone"].value == "+49892753958"  # the country from the VAT id and IBAN
    assert doc.fields["telephone"].text == "089 2753958"
    assert doc.fields["address"].value == "Hauptstraße 5 80331 München"  # the parts, without their dots
    assert doc.fields["shop_name"].value == "Muster Werkzeug GmbH"


def test_a_phone_in_the_buyers_block_is_not_the_sellers() -> None:
    lines = [
        row(150, (200, "Muster Werkzeug GmbH")),
        row(190, (200, "Hauptstraße 5 · 80331 München")),
        row(440, (200, "Rechnungsempfänger:")),
        row(480, (200, "Karl Kunde")),
        row(520, (200, "Bahnweg 42")),
        row(560, (200, "88045 Friedrichshafen")),
        row(600, (200, "Tel. 07541 123456")),
        row(800, (200, "Rechnung")),
        row(860, (200, "Rechnungsnummer:"), (600, "RE-2018-0042")),
        row(2100, (200, "USt-IdNr.: DE136695976")),
    ]
    doc = make_doc([lines])
    read_invoice(doc, "invoice", prepare(doc))
    assert doc.fields["buyer_name"].value == "Karl Kunde"
    assert "telephone" not in doc.fields or doc.fields["telephone"].value != "+497541123456"


@pytest.mark.parametrize(
    ("printed", "terms"),
    [
        # A label with a colon: the value follows it, free text whose table words ("netto") are words.
        ("Zahlungsbedingungen: 30 Tage netto.", "30 Tage netto."),
        # A label running on at a word space opens a sentence: the sentence is the value.
        ("Zahlungsbedingungen 30 Tage netto ohne Abzug.", "Zahlungsbedingungen 30 Tage netto ohne Abzug."),
        # A sentence opening with a payment phrase, no label at all.
        ("Zahlbar innerhalb von 14 Tagen ohne Abzug.", "Zahlbar innerhalb von 14 Tagen ohne Abzug."),
    ],
)
def test_payment_terms_with_a_colon_are_the_value_after_it_else_the_sentence(printed: str, terms: str) -> None:
    doc = invoice(row(1600, (200, printed)))
    assert doc.fields["payment_terms"].value == terms


def test_payment_terms_in_a_column_of_labels_are_the_value_beside_the_label() -> None:
    # "Conditions de paiement   Paiement immédiat": a gap of twice a word space sets the label off.
    doc = invoice(row(1600, (200, "Zahlungsbedingungen"), (200 + CHAR_W * 19 + 2 * WORD_SPACE, "sofort ohne Abzug")))
    assert doc.fields["payment_terms"].value == "sofort ohne Abzug"


def test_a_payment_phrase_with_a_colon_labels_a_date_and_is_no_sentence() -> None:
    doc = invoice(row(1600, (200, "Zahlbar bis:"), (600, "06.04.2018")))
    assert doc.fields["due_date"].value == "2018-04-06"
    assert "payment_terms" not in doc.fields


def test_synthetic_gold_payment_terms_leave_the_label_out() -> None:
    # The generator's gold follows the reader's convention: "Payment terms: 10 days net." -> "10 days net.".
    seen = 0
    for i in range(60):
        doc = make_one_invoice(5, i, tuple(available_invoice_locales())).document
        terms = doc.fields.get("payment_terms")
        if terms is None:
            continue
        seen += 1
        assert not any(word.endswith(":") for word in terms.text.split()), terms.text
    assert seen >= 20


def _read(lines: list[tuple[float, list[tuple[float, str]]]]) -> Document:
    doc = make_doc([lines])
    read_invoice(doc, "invoice", prepare(doc))
    return doc


HEAD = [
    row(150, (200, "Muster Werkzeug GmbH")),
    row(190, (200, "Hauptstraße 5 · 80331 München")),
    row(800, (200, "Rechnung")),
    row(860, (200, "Rechnungsnummer:"), (600, "RE-2018-0042")),
    row(1320, (900, "Gesamtbetrag:"), (1400, "119,00")),
]


def test_an_iban_and_a_bic_wrapped_onto_the_next_line_of_a_footer_read_whole() -> None:
    doc = _read(
        HEAD
        + [
            row(2100, (200, "Muster Werkzeug GmbH · USt-IdNr.: DE136695976 · IBAN: DE88 2008 0000")),
            row(2100 + LINE_H + 4, (400, "0970 3757 00 · BIC:")),
            row(2100 + 2 * LINE_H + 8, (400, "COBADEFFXXX")),
        ]
    )
    assert doc.fields["iban"].value == "DE88200800000970375700"
    assert doc.fields["bic"].value == "COBADEFFXXX"


def test_an_iban_complete_at_the_end_of_a_line_takes_nothing_from_the_next() -> None:
    doc = _read(HEAD + [row(2100, (200, "IBAN: DE88 2008 0000 0970 3757 00")), row(2100 + LINE_H + 4, (200, "1234 Danke"))])
    assert doc.fields["iban"].value == "DE88200800000970375700"


def test_a_province_code_is_no_currency_but_an_iso_code_is() -> None:
    # "Roma (RM)": RM is Malaysia's ringgit only right before an amount.
    lines = [
        row(150, (200, "Ferrari Consulenze S.n.c.")),
        row(190, (200, "Piazza Duomo 28 · 00184 Roma (RM)")),
        row(480, (200, "Rossi S.r.l.")),
        row(520, (200, "Via Roma 1 · 00185 Roma (RM)")),
        row(800, (200, "Fattura")),
        row(860, (200, "Numero fattura:"), (600, "9754/2023")),
        row(900, (200, "Valuta:"), (600, "EUR")),
        row(1320, (900, "Totale:"), (1400, "119,00")),
        row(2100, (200, "Partita IVA: IT57030174561")),
    ]
    assert _read(lines).fields["currency"].value == "EUR"


@pytest.mark.parametrize(
    ("label", "number", "want"),
    [
        ("Faktura nr", "FV 8646/2025", "FV 8646/2025"),  # a series prefix printed apart
        ("Numero fattura:", "1912/2024", "1912/2024"),  # not the 19th of December 2024
        ("Rechnungsnummer:", "RE-2018-0042", "RE-2018-0042"),
    ],
)
def test_invoice_numbers_below_their_label(label: str, number: str, want: str) -> None:
    doc = _read(
        [
            row(150, (200, "Muster Werkzeug GmbH")),
            row(190, (200, "Hauptstraße 5 · 80331 München")),
            row(800, (200, label), (700, "Datum:")),
            row(800 + LINE_H + 6, (200, number), (700, "06.03.2018")),
            row(1320, (900, "Gesamtbetrag:"), (1400, "119,00")),
            row(2100, (200, "USt-IdNr.: DE136695976")),
        ]
    )
    assert doc.fields["invoice_number"].value == want
    assert doc.fields["date"].value == "2018-03-06"


def test_a_title_beside_the_letterhead_name_announces_the_number() -> None:
    doc = _read(
        [
            row(150, (200, "Muster Werkzeug GmbH"), (1100, "Rechnung Nr. RE-42")),
            row(190, (200, "Hauptstraße 5 · 80331 München")),
            row(1320, (900, "Gesamtbetrag:"), (1400, "119,00")),
            row(2100, (200, "USt-IdNr.: DE136695976")),
        ]
    )
    assert doc.fields["invoice_number"].value == "RE-42"


@pytest.mark.parametrize("name", ["Andersson Transport Aktiebolag", "Data Norrland HB", "Moreau Boulangerie"])
def test_a_letterhead_name_holding_a_label_word_is_the_seller(name: str) -> None:
    # "Transport" (carried forward) and "Data" (date) label amounts and dates: without a colon or a
    # number after them they are words of a name; "du" in "place du Marché" is a street's.
    doc = _read(
        [
            row(150, (200, name)),
            row(190, (200, "84, place du Marché · 65276 Paris · Tél. : 01 32 15 20 40")),
            row(480, (200, "Karl Kunde")),
            row(520, (200, "Bahnweg 42")),
            row(560, (200, "88045 Friedrichshafen")),
            row(800, (200, "Facture n°"), (600, "FA-42")),
            row(1320, (900, "Total TTC"), (1400, "119,00")),
            row(2100, (200, "N° TVA : FR50141166755")),
        ]
    )
    assert doc.fields["shop_name"].value == name
    assert doc.fields["address"].value == "84, place du Marché 65276 Paris"
    assert doc.fields["telephone"].value == "+33132152040"
    assert doc.fields["buyer_name"].value == "Karl Kunde"


def test_a_one_letter_phone_mark_ends_the_letterhead_address() -> None:
    doc = _read(
        [
            row(150, (200, "Cotswold Consulting LLP")),
            row(190, (200, "Unit 157, Riverside Park")),
            row(230, (200, "Bristol BS3 3TR")),
            row(270, (200, "T: 07685 944609")),
            row(800, (200, "Invoice number:"), (600, "720780")),
            row(1320, (900, "Total"), (1400, "119.00")),
            row(2100, (200, "VAT No: GB146386416")),
        ]
    )
    assert doc.fields["address"].value == "Unit 157, Riverside Park Bristol BS3 3TR"


def test_a_date_word_inside_running_text_does_not_beat_the_date_label() -> None:
    doc = _read(
        [
            row(150, (200, "Cotswold Consulting LLP")),
            row(190, (200, "Unit 157, Riverside Park · Bristol BS3 3TR")),
            row(800, (200, "Invoice number:"), (600, "720780")),
            row(840, (200, "Date:"), (600, "29/05/2025")),
            row(1000, (200, "Consulting services as per quote dated 17/05/2025")),
            row(1320, (900, "Total"), (1400, "119.00")),
            row(2100, (200, "VAT No: GB146386416")),
        ]
    )
    assert doc.fields["date"].value == "2025-05-29"


def test_two_vat_ids_under_one_bare_label_go_to_seller_and_buyer() -> None:
    # Polish invoices print "NIP:" for both: the seller's in the footer with its name, the buyer's in the details.
    doc = _read(
        [
            row(150, (200, "Transport Kowalski sp.j.")),
            row(190, (200, "ul. Marszałkowska 31")),
            row(230, (200, "13-311 Warszawa")),
            row(400, (200, "Nabywca:")),
            row(440, (200, "Wielkopolska Drukarnia Sp. z o.o.")),
            row(480, (200, "ul. Polna 46")),
            row(520, (200, "95-108 Warszawa")),
            row(800, (200, "Faktura nr"), (600, "FV 2444/2023")),
            row(840, (200, "NIP:"), (600, "PL1549750002")),
            row(1320, (900, "Razem brutto"), (1400, "119,00")),
            row(2100, (200, "Transport Kowalski sp.j. · ul. Marszałkowska 31 · NIP: PL5021540266")),
        ]
    )
    assert doc.fields["vat_info"].value == "PL5021540266"
    assert doc.fields["buyer_vat_info"].value == "PL1549750002"


def test_a_detail_line_holding_a_foreign_label_word_does_not_end_the_item_table() -> None:
    # "as" is the Lithuanian account label "a/s"; inside "as per quote dated ..." it labels nothing.
    doc = _read(
        [
            row(150, (200, "Cotswold Consulting LLP")),
            row(190, (200, "Unit 157, Riverside Park · Bristol BS3 3TR")),
            row(800, (200, "Invoice number:"), (600, "720780")),
            row(1000, (160, "Qty"), (300, "Description"), (1100, "Unit price"), (1400, "Amount")),
            row(1050, (160, "50"), (300, "Printed brochures"), (1100, "484.70"), (1400, "24235.00")),
            row(1085, (300, "as per quote dated 17/05/2025")),
            row(1130, (160, "1"), (300, "Children's car seat"), (1100, "122.97"), (1400, "122.97")),
            row(1250, (900, "Subtotal"), (1400, "24357.97")),
            row(2100, (200, "VAT No: GB146386416")),
        ]
    )
    assert [(li.description, li.amount) for li in doc.line_items] == [
        ("Printed brochures as per quote dated 17/05/2025", "24235.00"),
        ("Children's car seat", "122.97"),
    ]


def test_a_number_touching_a_slash_is_no_money() -> None:
    from tillroll.extract.invoice.locale import find_money

    assert find_money("Fattura 9754/2023", ",") == []
    assert [m.text for m in find_money("12/05/2025  100,00", ",")] == ["100.00"]


@pytest.mark.parametrize(
    ("printed", "bic"),
    [
        ("BIC: COBADEFFXXX", "COBADEFFXXX"),
        ("BIC: INGBPLPW XXX", "INGBPLPWXXX"),  # OCR cut off the primary-office branch
        ("BIC: PASCITM M XX X", "PASCITMMXXX"),  # ...and cut it to fragments
        ("BIC: COBADEFF EUR", "COBADEFF"),  # a word after an 8-character BIC is not its branch
        ("BIC: DEUTDEFF 500", "DEUTDEFF"),
    ],
)
def test_a_bic_cut_into_words_is_read_whole(printed: str, bic: str) -> None:
    doc = _read(HEAD + [row(2100, (200, "IBAN: DE88 2008 0000 0970 3757 00")), row(2140, (200, printed))])
    assert doc.fields["bic"].value == bic


@pytest.mark.parametrize(
    ("line", "number"),
    [
        (row(860, (200, "Rechnungsnummer:"), (600, "Nr.4711")), "4711"),
        (row(860, (200, "Rechnungsnummer:"), (600, "RE2018-0042")), "RE2018-0042"),  # letters that are no number mark stay
    ],
)
def test_a_number_mark_glued_before_the_invoice_number_is_not_part_of_it(line: tuple[float, list[tuple[float, str]]], number: str) -> None:
    lines = [line if y == 860 else (y, words) for y, words in HEAD]
    assert _read(lines).fields["invoice_number"].value == number


def test_a_spanish_title_with_its_number_mark_glued_to_the_number() -> None:
    lines = [row(150, (200, "Ferretería López S.L.")), row(800, (200, "Factura nº2025/6365")), row(1320, (900, "Total:"), (1400, "119,00"))]
    assert _read(lines).fields["invoice_number"].value == "2025/6365"
