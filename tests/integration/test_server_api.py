"""The HTTP API through the ASGI client: extraction, limits, errors, review store, security."""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402
from PIL import Image  # noqa: E402
from reviewkit import rendered_receipt  # noqa: E402

from tillroll.config import DEFAULT_ENGINE, PipelineConfig  # noqa: E402
from tillroll.document import Document  # noqa: E402
from tillroll.errors import ConfigError  # noqa: E402
from tillroll.pipeline import Pipeline  # noqa: E402
from tillroll.server.app import ServerSettings, create_app  # noqa: E402
from tillroll.server.export import export_approved  # noqa: E402
from tillroll.server.store import ReviewStore  # noqa: E402

TOKEN = "s3cret-token-for-tests"


class SleepStage:
    """A stage that takes a known time, to exercise timeouts and concurrency without OCR."""

    name = "sleep"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, doc: Document) -> Document:
        time.sleep(self.seconds)
        return doc


def no_ocr_pipeline(tmp_path: Path, *stages: object) -> Pipeline:
    """Real loading (limits, format sniffing, errors), no OCR: fast tests of everything around it."""
    return Pipeline(PipelineConfig(model="rules", entity_db=tmp_path / "entities.sqlite3"), stages=list(stages))  # type: ignore[arg-type]


def client_for(tmp_path: Path, pipeline: Pipeline | None = None, **settings: object) -> TestClient:
    config = PipelineConfig(model="rules", entity_db=tmp_path / "entities.sqlite3")
    app = create_app(ServerSettings(data_dir=tmp_path / "review", pipeline=config, **settings), pipeline=pipeline)  # type: ignore[arg-type]
    # The loopback server answers only to its own host names (DNS-rebinding guard).
    return TestClient(app, base_url="http://localhost")


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def ocr_client(tmp_path_factory: pytest.TempPathFactory):
    """One server with the real rapidocr pipeline for the tests that need words (start-up once)."""
    tmp = tmp_path_factory.mktemp("ocr_server")
    with client_for(tmp, workers=2) as client:
        client.tmp = tmp  # type: ignore[attr-defined]
        yield client


# ---- extraction ---------------------------------------------------------------------


def test_server_extract_returns_schema_v1_with_ocr_words(ocr_client: TestClient) -> None:
    _, _, data = rendered_receipt()
    response = ocr_client.post("/v1/extract", files={"file": ("receipt.png", data, "image/png")})
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["schema_version"] == 1
    texts = {w["text"] for w in doc["words"]}
    assert {"TOTAL", "Espresso"} <= texts
    assert doc["source"] == "receipt.png"
    assert "ocr" in doc["timings_ms"] and "queue" in doc["timings_ms"]
    Document.from_dict(doc)  # the response is a valid schema-v1 document


def test_server_healthz_reports_pipeline(ocr_client: TestClient) -> None:
    body = ocr_client.get("/healthz").json()
    assert body["status"] == "ok" and body["ocr"] == DEFAULT_ENGINE and body["model"] == "rules"


def test_server_openapi_documents_extract(ocr_client: TestClient) -> None:
    spec = ocr_client.get("/openapi.json").json()
    assert "/v1/extract" in spec["paths"] and "/healthz" in spec["paths"]


def test_server_store_review_approve_export_roundtrip(ocr_client: TestClient, tmp_path: Path) -> None:
    _, _, data = rendered_receipt()
    created = ocr_client.post("/v1/extract", data={"store": "true"}, files={"file": ("cafe.png", data, "image/png")})
    assert created.status_code == 201, created.text
    receipt_id = created.json()["meta"]["review_id"]
    assert created.headers["location"] == f"/review/{receipt_id}"

    receipt = ocr_client.get(f"/api/receipts/{receipt_id}").json()
    assert receipt["status"] == "new" and receipt["revision"] == 0
    words = receipt["document"]["words"]
    first = next(w for w in words if w["text"] == "CAFE")
    image = ocr_client.get(receipt["pages"][0]["image"])
    assert image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size == (receipt["pages"][0]["width"], receipt["pages"][0]["height"])

    saved = ocr_client.put(
        f"/api/receipts/{receipt_id}",
        json={"author": "ann", "base_revision": 0, "labels": {str(first["id"]): "shop_name"}, "fields": {"shop_name": {"value": "CAFE BORG"}}},
    )
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["revision"] == 1
    word = body["document"]["words"][first["id"]]
    assert (word["label"], word["label_source"], word["label_confidence"]) == ("shop_name", "human", 1.0)
    # The prediction is kept unchanged next to the correction.
    assert body["prediction"]["words"][first["id"]]["label"] == first["label"]
    change = body["changes"]["labels"][0]
    assert change == {"word_id": first["id"], "text": "CAFE", "predicted": first["label"], "before": first["label"], "after": "shop_name"}

    approved = ocr_client.post(f"/api/receipts/{receipt_id}/approve", json={"author": "ann", "base_revision": 1})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "reviewed" and approved.json()["reviewed_by"] == "ann"
    history = ocr_client.get(f"/api/receipts/{receipt_id}/corrections").json()["corrections"]
    assert [(c["action"], c["author"]) for c in history] == [("save", "ann"), ("approve", "ann")]

    # The approved shop name is now in the entity database the rules use.
    from tillroll.rules.entities import EntityDatabase

    with EntityDatabase(ocr_client.tmp / "entities.sqlite3") as db:  # type: ignore[attr-defined]
        assert db.lookup("shop_name", "CAFE BORG") is not None

    # Export: schema-v1 JSON + image that the annotated reader accepts as gold.
    store = ReviewStore(ocr_client.tmp / "review")  # type: ignore[attr-defined]
    written = export_approved(store, tmp_path / "export")
    mine = tmp_path / "export" / f"{receipt_id}.json"
    assert mine in written and (tmp_path / "export" / f"{receipt_id}.png").is_file()
    exported = json.loads(mine.read_text())
    assert all(w["label_source"] == "human" and w["label"] for w in exported["words"])
    from tillroll.io.datasets import iter_dataset

    examples = {e.id: e for e in iter_dataset(f"annotated:{tmp_path / 'export'}")}
    assert examples[receipt_id].reference.words[first["id"]].label == "shop_name"


@pytest.mark.parametrize(
    ("name", "payload", "status", "code"),
    [
        ("notes.txt", b"just some text, not a receipt", 415, "unsupported_format"),
        ("anim.gif", b"GIF89a" + b"\x00" * 64, 415, "unsupported_format"),
        ("cut.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, 422, "corrupt_file"),
        ("empty.jpg", b"", 422, "empty_file"),
    ],
)
def test_server_extract_rejects_bad_files_with_json_4xx(tmp_path: Path, name: str, payload: bytes, status: int, code: str) -> None:
    with client_for(tmp_path, pipeline=no_ocr_pipeline(tmp_path)) as client:
        response = client.post("/v1/extract", files={"file": (name, payload, "application/octet-stream")})
    assert response.status_code == status
    record = response.json()
    assert record["error"] == code and record["message"] and record["source"] == name


def test_server_extract_rejects_oversized_upload_with_413(tmp_path: Path) -> None:
    big = png(Image.effect_noise((400, 400), 64).convert("RGB"))  # noise does not compress: ~480 kB
    with client_for(tmp_path, pipeline=no_ocr_pipeline(tmp_path), max_upload_bytes=100_000) as client:
        response = client.post("/v1/extract", files={"file": ("big.png", big, "image/png")})
        assert response.status_code == 413 and response.json()["error"] == "file_too_large"
        # Without Content-Length (chunked), the limit holds while streaming.
        boundary = "tillrollboundary"
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n'.encode()
        body = head + big + f"\r\n--{boundary}--\r\n".encode()
        chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
        streamed = client.post("/v1/extract", content=chunks, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert streamed.status_code == 413 and streamed.json()["error"] == "file_too_large"
        # The server is still fine afterwards.
        _, _, small = rendered_receipt(["OK"])
        assert client.post("/v1/extract", files={"file": ("ok.png", small, "image/png")}).status_code == 200


def test_server_extract_rejects_too_many_pixels_and_pages(tmp_path: Path) -> None:
    with client_for(tmp_path, pipeline=no_ocr_pipeline(tmp_path), max_pixels=50_000, max_pages=2) as client:
        wide = png(Image.new("RGB", (400, 200), "white"))
        response = client.post("/v1/extract", files={"file": ("wide.png", wide, "image/png")})
        assert response.status_code == 413 and response.json()["error"] == "image_too_large"
        pages = [Image.new("RGB", (50, 50), "white") for _ in range(3)]
        buf = io.BytesIO()
        pages[0].save(buf, format="TIFF", save_all=True, append_images=pages[1:])
        response = client.post("/v1/extract", files={"file": ("three.tif", buf.getvalue(), "image/tiff")})
        assert response.status_code == 413 and response.json()["error"] == "too_many_pages"


def test_server_extract_rejects_unknown_options_with_400(tmp_path: Path) -> None:
    _, _, data = rendered_receipt(["OK"])
    with client_for(tmp_path, pipeline=no_ocr_pipeline(tmp_path)) as client:
        bad_model = client.post("/v1/extract?model=magic", files={"file": ("a.png", data, "image/png")})
        assert bad_model.status_code == 400 and "rules" in bad_model.json()["message"]
        bad_ocr = client.post("/v1/extract", data={"ocr": "static"}, files={"file": ("a.png", data, "image/png")})
        assert bad_ocr.status_code == 400 and "rapidocr" in bad_ocr.json()["message"]
        missing = client.post("/v1/extract", data={"store": "true"})
        assert missing.status_code == 422 and missing.json()["error"] == "invalid_request"


def test_server_timeout_gives_504_and_busy_gives_503(tmp_path: Path) -> None:
    _, _, data = rendered_receipt(["OK"])
    slow = no_ocr_pipeline(tmp_path, SleepStage(1.5))
    with client_for(tmp_path, pipeline=slow, request_timeout_s=0.3) as client:
        response = client.post("/v1/extract", files={"file": ("a.png", data, "image/png")})
        assert response.status_code == 504 and response.json()["error"] == "timeout"
    with client_for(tmp_path, pipeline=no_ocr_pipeline(tmp_path, SleepStage(2.0)), workers=1, max_queue=0) as client:
        statuses: list[int] = []
        threads = [
            threading.Thread(target=lambda: statuses.append(client.post("/v1/extract", files={"file": ("a.png", data, "image/png")}).status_code))
            for _ in range(3)
        ]
        threads[0].start()
        # The other two are sent once the first is really being worked on: started a fixed
        # 0.1 s apart, a first request held up on a busy CI machine could arrive last.
        waited = 0.0
        while client.get("/healthz").json()["in_flight"] < 1 and waited < 10:
            time.sleep(0.02)
            waited += 0.02
        for t in threads[1:]:
            t.start()
        for t in threads:
            t.join()
        assert sorted(statuses) == [200, 503, 503]


def test_server_event_loop_stays_free_during_extraction(tmp_path: Path) -> None:
    _, _, data = rendered_receipt(["OK"])
    with client_for(tmp_path, pipeline=no_ocr_pipeline(tmp_path, SleepStage(2.0)), workers=1) as client:
        worker = threading.Thread(target=lambda: client.post("/v1/extract", files={"file": ("a.png", data, "image/png")}))
        worker.start()
        time.sleep(0.3)
        t0 = time.perf_counter()
        assert client.get("/healthz").json()["in_flight"] == 1
        assert time.perf_counter() - t0 < 0.5  # answered while the extraction still runs
        # A bad upload is refused at once: it does not queue behind the running extraction.
        t0 = time.perf_counter()
        refused = client.post("/v1/extract", files={"file": ("notes.txt", b"not a receipt", "text/plain")})
        assert refused.status_code == 415 and time.perf_counter() - t0 < 1.0
        worker.join()


# ---- review store through the API --------------------------------------------------------


@pytest.fixture
def seeded(tmp_path: Path):
    """A server whose store holds one receipt with known words (no OCR)."""
    store = ReviewStore(tmp_path / "review")
    doc, img, data = rendered_receipt()
    receipt_id = store.add(doc, data, original_name="cafe.png", media_format="png")
    with client_for(tmp_path, pipeline=no_ocr_pipeline(tmp_path)) as client:
        yield client, receipt_id, store


def test_server_concurrent_edits_conflict_with_409(seeded) -> None:
    client, receipt_id, _ = seeded
    first = client.put(f"/api/receipts/{receipt_id}", json={"author": "ann", "base_revision": 0, "labels": {"0": "shop_name"}})
    assert first.status_code == 200
    second = client.put(f"/api/receipts/{receipt_id}", json={"author": "bob", "base_revision": 0, "labels": {"0": "misc"}})
    assert second.status_code == 409 and second.json()["error"] == "conflict"
    assert client.get(f"/api/receipts/{receipt_id}").json()["document"]["words"][0]["label"] == "shop_name"


def test_server_bad_corrections_are_422_and_change_nothing(seeded) -> None:
    client, receipt_id, _ = seeded
    for body in (
        {"labels": {"0": "not_a_label"}},
        {"labels": {"999": "total"}},
        {"fields": {"favourite_colour": {"value": "red"}}},
        {"labels": {"0": "total"}, "line_items": [{"description": "x", "word_ids": [12345]}]},
    ):
        response = client.put(f"/api/receipts/{receipt_id}", json={"author": "ann", **body})
        assert response.status_code == 422, body
        assert response.json()["error"] == "bad_data"
    receipt = client.get(f"/api/receipts/{receipt_id}").json()
    assert receipt["revision"] == 0 and receipt["document"]["words"][0]["label"] is None


def test_server_line_items_and_fields_edits_are_recorded(seeded) -> None:
    client, receipt_id, _ = seeded
    body = {
        "author": "ann",
        "fields": {"total": {"value": "5.50", "currency": "EUR"}, "date": None},
        "line_items": [{"description": "Espresso", "quantity": "1", "amount": "2.50", "word_ids": [5, 6, 7]}, {"description": ""}],
    }
    saved = client.put(f"/api/receipts/{receipt_id}", json=body).json()
    assert saved["document"]["fields"]["total"] == {"text": "5.50", "value": "5.50", "confidence": 1.0, "word_ids": [], "source": "human", "currency": "EUR"}
    assert saved["document"]["line_items"] == [
        {"description": "Espresso", "quantity": "1", "amount": "2.50", "word_ids": [5, 6, 7], "confidence": 1.0, "source": "human"}
    ]
    assert [c["field"] for c in saved["changes"]["fields"]] == ["total"]  # deleting an absent field is no change
    assert saved["changes"]["line_items"]["predicted"] == []


def test_server_list_filters_by_status(seeded) -> None:
    client, receipt_id, store = seeded
    doc, _, data = rendered_receipt(["OTHER SHOP", "TOTAL 1.00"])
    other = store.add(doc, data, original_name="other.png", media_format="png")
    client.post(f"/api/receipts/{other}/approve", json={"author": "ann"})
    listing = client.get("/api/receipts?status=new").json()
    assert [r["id"] for r in listing["receipts"]] == [receipt_id]
    assert listing["counts"] == {"new": 1, "reviewed": 1}
    assert client.get("/api/receipts?status=bogus").status_code == 422


def test_server_labels_endpoint_serves_the_label_module(seeded) -> None:
    from tillroll.labels import LABEL_COLOURS, LABELS

    client, _, _ = seeded
    info = client.get("/api/labels").json()
    assert [entry["name"] for entry in info["labels"]] == list(LABELS)
    r, g, b = LABEL_COLOURS[LABELS[0]]
    assert info["labels"][0]["colour"] == f"#{r:02x}{g:02x}{b:02x}"
    assert len({entry["key"] for entry in info["labels"]}) == len(LABELS)


# ---- security ---------------------------------------------------------------------------------


def test_server_client_file_name_is_never_a_path(tmp_path: Path) -> None:
    _, _, data = rendered_receipt(["OK"])
    with client_for(tmp_path, pipeline=no_ocr_pipeline(tmp_path)) as client:
        response = client.post("/v1/extract?store=true", files={"file": ("../../../outside<script>.png", data, "image/png")})
        assert response.status_code == 201
        receipt_id = response.json()["meta"]["review_id"]
        assert response.json()["source"] == "outside<script>.png"
    stored = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file() and "outside" in p.name)
    assert stored == []  # nothing on disk is named after the client's file name
    files = sorted(p.name for p in (tmp_path / "review" / "files" / receipt_id).iterdir())
    assert files == ["original.png", "page-0.png"]


def test_server_rejects_path_traversal_and_unknown_ids(seeded) -> None:
    client, receipt_id, _ = seeded
    for url in (
        "/api/receipts/..%2F..%2Fetc%2Fpasswd",
        "/api/receipts/../../etc/passwd",
        "/api/receipts/" + "0" * 32,
        f"/api/receipts/{receipt_id}/pages/7.png",
        f"/api/receipts/{receipt_id}/pages/-1.png",
        "/review/..%2F..%2Fetc%2Fpasswd",
        "/static/..%2F..%2Fstore.py",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"root:" not in response.content


def test_server_token_required_when_configured(tmp_path: Path) -> None:
    with client_for(tmp_path, pipeline=no_ocr_pipeline(tmp_path), token=TOKEN) as client:
        assert client.get("/healthz").status_code == 200  # probes need no token
        assert client.get("/api/receipts").status_code == 401
        assert client.get("/review").status_code == 401
        assert client.get("/api/receipts", headers={"Authorization": "Bearer wrong-token-xx"}).status_code == 401
        assert client.get("/api/receipts", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert client.get("/api/receipts", headers={"X-Tillroll-Token": TOKEN}).status_code == 200
        login = client.get(f"/review?token={TOKEN}", follow_redirects=False)
        assert login.status_code == 303 and login.headers["location"] == "/review"
        assert "HttpOnly" in login.headers["set-cookie"] and "SameSite=Strict" in login.headers["set-cookie"]
        assert client.get("/review").status_code == 200  # the cookie now authenticates the browser


def test_server_refuses_public_bind_without_token() -> None:
    with pytest.raises(ConfigError, match="token"):
        create_app(ServerSettings(host="0.0.0.0"))
    ServerSettings(host="0.0.0.0", token=TOKEN).check()


def test_server_refuses_cross_site_writes(seeded) -> None:
    client, receipt_id, _ = seeded
    url = f"/api/receipts/{receipt_id}"
    evil = client.put(url, json={"author": "x", "labels": {"0": "total"}}, headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    same = client.put(url, json={"author": "x", "labels": {"0": "total"}}, headers={"Origin": "http://localhost"})
    assert same.status_code == 200


def test_server_ui_pages_have_strict_csp(seeded) -> None:
    client, receipt_id, _ = seeded
    page = client.get(f"/review/{receipt_id}")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in page.text  # no inline script: every script is a file under /static
    assert "innerHTML" not in client.get("/static/receipt.js").text + client.get("/static/list.js").text + client.get("/static/common.js").text
