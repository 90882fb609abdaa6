"""Write samples/invoice-de.pdf: a made-up German invoice from a coffee roaster, one page with a text layer.

Seller, buyer, numbers and bank account are invented (the VAT id and the IBAN
are well-formed, with valid check digits, and belong to nobody we know of). The
invoice is ours, so it ships with the repository under the project's licence.
It is laid out by the synthetic invoice generator's DIN 5008 layout
(`tillroll.synth.invoice`), with fixed content instead of random content:
letterhead, return address over the window, the buyer in the window, invoice
details on the right, an item table with 7 % and 19 % VAT rows, totals and a
VAT table, payment terms, and a footer with the bank details.

    .venv/bin/python scripts/make_sample_invoice.py [--out samples/invoice-de.pdf]

Needs reportlab (pip install 'tillroll[synth]') and a proportional TrueType
font (Debian: fonts-liberation or fonts-dejavu-core).
"""

from __future__ import annotations

import argparse
import datetime as dt
from decimal import Decimal
from pathlib import Path

from tillroll.synth.invoice.content import HUNDRED, Invoice, Party, Row, TaxLine, check_invoice, iban_check_digits, load_invoice_locale, money
from tillroll.synth.invoice.layout import layout_invoice
from tillroll.synth.invoice.render import render_pdf
from tillroll.synth.invoice.style import LAYOUT_PARTS, MM, PAGE_W, Style
from tillroll.synth.render import available_faces

ITEMS = [  # description, detail line, article number, quantity, unit, net unit price (EUR), VAT rate
    ("Espresso-Bohnen Hafenblick, 1 kg", "Röstung vom 12.11.2026", "ESP-1000", "12", "kg", "18.90", "7"),
    ("Café-Crème-Bohnen Elbsand, 1 kg", None, "CRE-1000", "6", "kg", "16.50", "7"),
    ("Hafermilch Barista, 1 l", None, "HAF-0001", "24", "Stk", "2.35", "19"),
    ("Reinigungstabletten Siebträger (100 Stk)", None, "REI-0100", "2", "Stk", "14.90", "19"),
    ("Wartung Espressomaschine", "inkl. Anfahrt", "SRV-WART", "1", "Pauschal", "89.00", "19"),
]


def de_vat_check_digit(first8: str) -> str:
    """The ninth digit of a German USt-IdNr. (ISO 7064 MOD 11,10), so the sample passes a VAT-id check."""
    product = 10
    for ch in first8:
        total = (int(ch) + product) % 10 or 10
        product = (2 * total) % 11
    return str((11 - product) % 10)


def sample_invoice() -> Invoice:
    rows = []
    for i, (name, detail, article, qty, unit, price, rate) in enumerate(ITEMS, start=1):
        q, p, r = Decimal(qty), Decimal(price), Decimal(rate)
        rows.append(Row(i, name, detail, article, q, unit, p, r, None, money(q * p)))
    tax_lines = []
    for rate in sorted({r.rate for r in rows}, reverse=True):
        base = sum((r.amount for r in rows if r.rate == rate), Decimal(0))
        tax_lines.append(TaxLine(rate, base, money(base * rate / HUNDRED)))
    net = sum((t.base for t in tax_lines), Decimal(0))
    tax = sum((t.tax for t in tax_lines), Decimal(0))
    bban = "200400600526014800"
    invoice = Invoice(
        locale="de",
        kind="invoice",
        number="RE-2026-0417",
        date=dt.date(2026, 11, 20),
        due_date=dt.date(2026, 12, 4),
        delivery_date=dt.date(2026, 11, 18),
        seller=Party(
            name="Kaffeerösterei Lindner GmbH",
            street="Hafenstraße 12",
            city="20457 Hamburg",
            vat_id="DE81234567" + de_vat_check_digit("81234567"),
            phone="040 3012345",
            phone_e164="+49403012345",
            email="rechnung@lindner-kaffee.example",
        ),
        buyer=Party(name="Café Morgenrot OHG", street="Lindenallee 7", city="50667 Köln"),
        customer_no="K-10382",
        order_ref="B-7781",
        credit_ref=None,
        rows=rows,
        tax_lines=tax_lines,
        net=net,
        tax=tax,
        gross=net + tax,
        prepaid=Decimal(0),
        amount_due=net + tax,
        currency="EUR",
        iban="DE" + iban_check_digits("DE", bban) + bban,
        bic="COBADEFFXXX",
        bank="Commerzbank Hamburg",
        terms_days=14,
    )
    check_invoice(invoice)
    return invoice


def sample_style() -> Style:
    locale = load_invoice_locale("de")
    faces = {f.name: f for f in available_faces("proportional")}
    face = faces.get("LiberationSans-Regular") or next(iter(faces.values()))
    labels = {key: values[0] for key, values in locale["labels"].items()}
    labels.update(
        number="Rechnungsnummer:",
        date="Rechnungsdatum:",
        due_date="Fällig am:",
        delivery_date="Lieferdatum:",
        customer_no="Kundennummer:",
        order_ref="Ihre Bestellung:",
        payment_terms="Zahlbar ohne Abzug bis zum {due}.",
        tax_line="zzgl. USt. {rate} %",
        net_total="Summe netto",
        gross_total="Rechnungsbetrag",
        bank="Bank:",
        thanks="Vielen Dank für Ihren Auftrag!",
        intro="vielen Dank für Ihre Bestellung. Wir berechnen Ihnen:",
    )
    flags = {
        "return_line": True,
        "bill_to_label": False,
        "phone": True,
        "email": True,
        "vat_in_header": False,
        "delivery": True,
        "due_in_meta": True,
        "intro": True,
        "thanks": True,
        "terms": True,
        "tax_total_line": True,
        "amount_due_line": False,
        "carry": True,
        "thousands": True,
        "currency_in_header": False,
        "currency_after_total": True,
        "page_numbers": True,
        "managing": True,
    }
    return Style(
        layout="din_left",
        parts=dict(LAYOUT_PARTS["din_left"], totals="tax_table"),
        columns="full",
        regular=face.regular,
        bold=face.bold,
        face=face.name,
        size=9.6,
        leading=1.4,
        left=22 * MM,
        right=PAGE_W - 18 * MM,
        labels=labels,
        date_format="{dd}.{mm}.{yyyy}",
        flags=flags,
        extras={"ship_street": "", "ship_city": "", "managing": "Amtsgericht Hamburg HRB 123456"},
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "samples" / "invoice-de.pdf")
    args = ap.parse_args()
    invoice = sample_invoice()
    pages, count = layout_invoice(invoice, load_invoice_locale("de"), sample_style())
    if count != 1:
        raise SystemExit(f"the sample should fit on one page, it took {count}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(render_pdf(pages, count, title=f"Rechnung {invoice.number}"))
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB): net {invoice.net}, VAT {invoice.tax}, gross {invoice.gross} EUR")


if __name__ == "__main__":
    main()
