"""`tillroll extract` on text-layer invoices of formats the synthetic generator does not draw."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from samplekit import text_pdf
from tillroll.cli import _load_commands, app

_load_commands()

A4_POINTS = (595.0, 842.0)
AUSTRALIAN = [
    (40, 50, "Coastal Plumbing Pty Ltd"),
    (400, 50, "TAX INVOICE"),
    (40, 66, "ABN 51 824 753 556"),
    (400, 70, "Invoice: 10452"),
    (40, 79, "3/18 Beach Road, Bondi NSW 2026"),
    (400, 84, "Date: 3/02/2025"),
    (400, 98, "Due: 17/02/2025"),
    (40, 140, "Invoice To:"),
    (40, 154, "Sarah Nguyen"),
    (40, 167, "14 Wattle Street"),
    (40, 180, "Randwick NSW 2031"),
    (40, 220, "Description"),
    (500, 220, "Amount"),
    (40, 238, "Replace hot water system - labour"),
    (500, 238, "$520.00"),
    (40, 254, "Rheem 315L electric unit"),
    (500, 254, "$1,390.00"),
    (340, 290, "Subtotal (ex GST)"),
    (500, 290, "$1,910.00"),
    (340, 304, "GST 10%"),
    (500, 304, "$191.00"),
    (340, 320, "Total (inc GST)"),
    (500, 320, "$2,101.00"),
]


def test_cli_reads_an_australian_tax_invoice(tmp_path: Path) -> None:
    pdf = tmp_path / "au.pdf"
    pdf.write_bytes(text_pdf([AUSTRALIAN], size=A4_POINTS, font_size=9))
    result = CliRunner().invoke(app, ["extract", str(pdf), "--model", "rules"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["document_type"] == "invoice"
    values = {k: v["value"] for k, v in out["fields"].items() if v}
    assert values["vat_info"] == "51824753556"  # the ABN, check digits verified
    assert values["currency"] == "AUD"  # "$" on an Australian invoice
    assert (values["subtotal"], values["vat_included"], values["total"]) == ("1910.00", "191.00", "2101.00")
    assert (values["date"], values["due_date"]) == ("2025-02-03", "2025-02-17")
    assert values["buyer_name"] == "Sarah Nguyen"
    assert [row["rate"]["value"] if isinstance(row["rate"], dict) else row["rate"] for row in out["tax_breakdown"]] == ["10.00"]
    assert not [c for c in out["checks"] if not c["passed"]], out["checks"]
