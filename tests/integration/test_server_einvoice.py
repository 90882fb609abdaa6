"""The HTTP API with e-invoices: XML uploads, `format=cii|ubl|facturx`, missing terms as a 422."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_einvoice import invoice_doc  # noqa: E402

from tillroll.config import PipelineConfig  # noqa: E402
from tillroll.einvoice.export_cii import export_cii  # noqa: E402
from tillroll.einvoice.export_ubl import export_ubl  # noqa: E402
from tillroll.einvoice.read import pdf_attachments  # noqa: E402
from tillroll.einvoice.validate import validate_bytes  # noqa: E402
from tillroll.pipeline import Pipeline  # noqa: E402
from tillroll.server.app import ServerSettings, create_app  # noqa: E402


def client_for(tmp_path: Path) -> TestClient:
    config = PipelineConfig(model="rules", entity_db=tmp_path / "entities.sqlite3")
    pipeline = Pipeline(config, stages=[])  # XML needs no OCR; loading and the e-invoice hook are real
    app = create_app(ServerSettings(data_dir=tmp_path / "review", pipeline=config), pipeline=pipeline)
    return TestClient(app, base_url="http://localhost")


def test_xml_upload_returns_json_and_converts(tmp_path: Path) -> None:
    with client_for(tmp_path) as client:
        ubl = export_ubl(invoice_doc())
        r = client.post("/v1/extract", files={"file": ("in.xml", ubl, "application/xml")})
        assert r.status_code == 200, r.text
        assert r.json()["fields"]["total"] == {**r.json()["fields"]["total"], "value": "172.50", "source": "xml"}

        r = client.post("/v1/extract", files={"file": ("in.xml", ubl, "application/xml")}, data={"format": "cii"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
        assert validate_bytes(r.content, "cii", "en16931").valid
        assert 'filename="in.cii.xml"' in r.headers["content-disposition"]

        r = client.post("/v1/extract?format=facturx", files={"file": ("in.xml", ubl, "application/xml")})
        assert r.status_code == 422  # a bare XML has no page to attach the XML to
        assert "original file" in r.json()["message"]


def test_missing_terms_are_a_422_listing_them(tmp_path: Path) -> None:
    partial = export_cii(invoice_doc()).replace(b"<ram:Name>Kunde AG</ram:Name>", b"")
    with client_for(tmp_path) as client:
        r = client.post("/v1/extract", files={"file": ("p.xml", partial, "application/xml")}, data={"format": "ubl"})
        assert r.status_code == 422
        body = r.json()
        assert body["error"] == "missing_business_terms"
        assert {"bt": "BT-44", "name": "Buyer name"} in body["missing"]
        r = client.post("/v1/extract", files={"file": ("p.xml", partial, "application/xml")}, data={"format": "yaml"})
        assert r.status_code == 400 and "json, cii, ubl, facturx" in r.json()["message"]


def test_facturx_from_a_pdf_upload(tmp_path: Path) -> None:
    from samplekit import text_pdf
    from tillroll.einvoice.facturx_pdf import facturx_pdf

    pdf = facturx_pdf(text_pdf([[(30, 30, "Muster GmbH")]]), export_cii(invoice_doc()))
    with client_for(tmp_path) as client:
        r = client.post("/v1/extract", files={"file": ("inv.pdf", pdf, "application/pdf")}, data={"format": "facturx"})
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        names = [name for name, _ in pdf_attachments(r.content)]
        assert names == ["factur-x.xml"]


def test_a_stored_xml_invoice_keeps_its_einvoice_facts_for_the_review_page(tmp_path: Path) -> None:
    from samplekit import text_pdf
    from tillroll.einvoice.facturx_pdf import facturx_pdf

    altered = export_cii(invoice_doc()).replace(b"<ram:GrandTotalAmount>172.50<", b"<ram:GrandTotalAmount>1725.00<")
    pdf = facturx_pdf(text_pdf([[(30, 30, "Muster GmbH"), (30, 50, "Gesamt 172,50")]]), altered)

    class PageTotal:
        name = "page_total"

        def __call__(self, doc):  # type: ignore[no-untyped-def]
            from tillroll.document import Field

            doc.fields["total"] = Field(text="172,50", value="172.50", confidence=0.9, word_ids=[], source="rule")
            return doc

    config = PipelineConfig(model="rules", entity_db=tmp_path / "entities.sqlite3")
    app = create_app(ServerSettings(data_dir=tmp_path / "review", pipeline=config), pipeline=Pipeline(config, stages=[PageTotal()]))
    with TestClient(app, base_url="http://localhost") as client:
        r = client.post("/v1/extract", files={"file": ("inv.pdf", pdf, "application/pdf")}, data={"store": "true"})
        assert r.status_code == 201, r.text
        stored = client.get(f"/api/receipts/{r.json()['meta']['review_id']}").json()["document"]
        assert stored["meta"]["einvoice"]["attachment"] == "factur-x.xml"
        failed = [c for c in stored["checks"] if not c["passed"]]
        assert [c["name"] for c in failed] == ["crosscheck_total"]
        assert "1725.00" in failed[0]["detail"] and "172.50" in failed[0]["detail"]
