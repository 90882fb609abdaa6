"""Issue 18's server defects: D4 (out-of-range paging) and D5 (DNS rebinding on a loopback server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tillroll.config import PipelineConfig
from tillroll.pipeline import Pipeline
from tillroll.server.app import ServerSettings, create_app
from tillroll.server.security import allowed_host_names


def make_client(tmp_path: Path, base_url: str = "http://localhost", **settings: object) -> TestClient:
    config = PipelineConfig(model="rules", entity_db=tmp_path / "entities.sqlite3")
    app = create_app(
        ServerSettings(data_dir=tmp_path / "review", pipeline=config, warm_up=False, workers=1, **settings),  # type: ignore[arg-type]
        pipeline=Pipeline(config, stages=[]),
    )
    return TestClient(app, base_url=base_url)


@pytest.fixture()
def client(tmp_path: Path) -> Iterator[TestClient]:
    with make_client(tmp_path) as c:
        yield c


@pytest.mark.parametrize(
    "query",
    ["offset=9223372036854775808", "offset=99999999999999999999999", "offset=-1", "limit=0", "limit=9223372036854775808", "offset=1e3"],
)
def test_d4_out_of_range_paging_is_a_json_4xx(client: TestClient, query: str) -> None:
    response = client.get(f"/api/receipts?{query}")
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"] == "invalid_request"


def test_d4_large_but_valid_offset_is_an_empty_page(client: TestClient) -> None:
    response = client.get("/api/receipts?offset=1000000")
    assert response.status_code == 200 and response.json()["receipts"] == []


def test_d5_loopback_server_refuses_other_host_names(client: TestClient) -> None:
    evil = {"Host": "attacker.example"}
    assert client.get("/api/receipts", headers=evil).status_code == 400
    assert client.get("/api/receipts", headers=evil).json()["error"] == "bad_host"
    assert client.put("/api/receipts/x", json={"author": "a", "labels": {}}, headers=evil).status_code == 400
    assert client.delete("/api/receipts/x", headers=evil).status_code == 400
    # the rebinding page's own origin, even with a Host the server accepts
    assert client.delete("/api/receipts/x", headers={"Origin": "http://attacker.example"}).status_code == 403
    for host in ("localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"):
        assert client.get("/api/receipts", headers={"Host": host}).status_code == 200, host


def test_d5_origin_is_checked_against_the_names_and_the_port(client: TestClient) -> None:
    headers = {"Host": "localhost:8000"}
    assert client.delete("/api/receipts/x", headers={**headers, "Origin": "http://localhost:8000"}).status_code == 404  # allowed: no such receipt
    assert client.delete("/api/receipts/x", headers={**headers, "Origin": "http://127.0.0.1:8000"}).status_code == 404
    # another local web app (another port) may not write either
    assert client.delete("/api/receipts/x", headers={**headers, "Origin": "http://localhost:3000"}).status_code == 403
    assert client.delete("/api/receipts/x", headers={**headers, "Origin": "null"}).status_code == 403


def test_d5_operator_listed_names_are_accepted(tmp_path: Path) -> None:
    with make_client(tmp_path, base_url="http://receipts.lan", allowed_hosts=("receipts.lan",)) as c:
        assert c.get("/api/receipts").status_code == 200
        assert c.delete("/api/receipts/x", headers={"Origin": "http://receipts.lan"}).status_code == 404
        assert c.get("/api/receipts", headers={"Host": "attacker.example"}).status_code == 400


def test_d5_allowed_names() -> None:
    assert allowed_host_names("127.0.0.1") == frozenset({"localhost", "127.0.0.1", "::1"})
    assert "127.0.0.2" in (allowed_host_names("127.0.0.2") or set())
    assert allowed_host_names("0.0.0.0") is None  # public bind: the token protects it
    assert allowed_host_names("0.0.0.0", ["Receipts.LAN"]) == frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", "receipts.lan"})
