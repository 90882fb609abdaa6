"""`tillroll batch --export`: one EN 16931 file per document next to the results, refusals named."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_einvoice import invoice_doc  # noqa: E402

from tillroll.cli import _load_commands, app  # noqa: E402
from tillroll.einvoice.export_cii import export_cii  # noqa: E402
from tillroll.einvoice.export_ubl import export_ubl  # noqa: E402
from tillroll.einvoice.read import read_einvoice  # noqa: E402
from tillroll.einvoice.validate import validate_bytes  # noqa: E402

_load_commands()


def test_batch_exports_one_xml_per_document(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "good.xml").write_bytes(export_ubl(invoice_doc()))
    (inputs / "no-buyer.xml").write_bytes(export_cii(invoice_doc()).replace(b"<ram:Name>Kunde AG</ram:Name>", b""))
    out = tmp_path / "out" / "results.jsonl"
    result = CliRunner().invoke(app, ["batch", str(inputs), "--out", str(out), "--export", "cii", "--workers", "1", "--model", "rules", "--quiet"])
    assert result.exit_code == 1, result.output  # one document could not be exported
    assert "1 refused" in result.output and "BT-44 Buyer name" in result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 2 and all("error" not in r for r in records)
    written = sorted((tmp_path / "out" / "results.cii").iterdir())
    assert [p.name for p in written] == ["good.cii.xml"]
    assert validate_bytes(written[0].read_bytes(), "cii", "en16931").valid
    assert read_einvoice(written[0].read_bytes()).document.fields["total"].value == "172.50"
