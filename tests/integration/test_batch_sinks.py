"""Sinks: records survive crashes at any byte, resume never duplicates, Parquet keeps schema v1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tillroll.batch.sinks import PENDING_LOG, CsvSink, JsonlSink, ParquetSink, iter_csv, open_sink, read_records
from tillroll.document import Check, Document, Field, KeyValue, LineItem, Page, Word
from tillroll.errors import BatchError, ConfigError


def receipt_record(source: str, total: str = "12.30") -> dict[str, Any]:
    """A schema-v1 document with every part filled, as a worker would send it."""
    doc = Document(
        source=source,
        pages=[Page(index=0, width=400, height=900, dpi=200.0, preprocess=["deskew"])],
        words=[
            Word(id=0, page=0, text="CAFE", box=(10, 10, 80, 30), line=0, ocr_confidence=0.98, label="shop_name", label_confidence=0.9, label_source="model"),
            Word(id=1, page=0, text='Tea, "large"\nx2', box=(10, 40, 80, 60), line=1),
            Word(id=2, page=0, text=total, box=(90, 40, 140, 60), line=1, label="total", label_confidence=0.8, label_source="rule"),
        ],
        fields={
            "shop_name": Field(text="CAFE", value="CAFE", confidence=0.9, word_ids=[0], source="model"),
            "total": Field(text=total, value=total, confidence=0.8, word_ids=[2], source="rule", currency="EUR"),
        },
        line_items=[LineItem(description='Tea, "large"\nx2', quantity="2", amount=total, word_ids=[1, 2], confidence=0.7)],
        key_values=[KeyValue(key="Table", value="4", key_word_ids=[0], value_word_ids=[1], confidence=0.5)],
        checks=[Check(name="total_matches_items", passed=False, detail="12.30 != 0")],
        timings_ms={"load": 1.5, "ocr": 300.25},
        meta={"ocr": "rapidocr", "model": "rules", "version": "0.1.0"},
    )
    return doc.to_dict()


def error_record(source: str) -> dict[str, Any]:
    return {"source": source, "error": "corrupt_file", "type": "CorruptInputError", "message": "damaged; re-scan it"}


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_batch_sinks_reopen_reports_done_sources_and_appends(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"r.{fmt}"
    with open_sink(out, rows_per_part=2) as sink:
        assert sink.open() == {}
        sink.write(receipt_record("/a.jpg"))
        sink.write(error_record("/b.jpg"))
        sink.write(receipt_record("/c.jpg"))
    with open_sink(out, rows_per_part=2) as sink:
        assert sink.open() == {"/a.jpg": True, "/b.jpg": False, "/c.jpg": True}
        sink.write(receipt_record("/d.jpg"))
    with open_sink(out) as sink:
        assert set(sink.open()) == {"/a.jpg", "/b.jpg", "/c.jpg", "/d.jpg"}
    if fmt == "csv":
        rows = list(iter_csv(out))
        assert [r["source"] for r in rows] == ["/a.jpg", "/b.jpg", "/c.jpg", "/d.jpg"]
        assert rows[0]["total"] == "12.30" and rows[0]["total_currency"] == "EUR" and rows[0]["failed_checks"] == "total_matches_items"
        assert rows[1]["status"] == "error" and rows[1]["error_type"] == "CorruptInputError"
        items = list(iter_csv(tmp_path / "r.line_items.csv"))
        assert [(i["source"], i["description"]) for i in items] == [(s, 'Tea, "large"\nx2') for s in ("/a.jpg", "/c.jpg", "/d.jpg")]
    else:
        assert [r["source"] for r in read_records(out)] == ["/a.jpg", "/b.jpg", "/c.jpg", "/d.jpg"]


def test_batch_sinks_parquet_round_trips_schema_v1(tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    records = [receipt_record("/a.jpg"), error_record("/b.jpg"), receipt_record("/c.jpg", total="7.00")]
    records[2]["fields"].pop("shop_name")
    with ParquetSink(out, rows_per_part=2) as sink:
        sink.open()
        for r in records:
            sink.write(r)
    assert sorted(p.name for p in out.iterdir()) == ["_tillroll_batch", "part-00000.parquet", "part-00001.parquet"]
    back = read_records(out)
    assert back == records
    assert Document.from_dict(back[0]).to_dict() == records[0]

    # Other tools read the folder as one table with nested columns.
    import pyarrow.dataset as ds

    table = ds.dataset(out, format="parquet").to_table()
    assert table.num_rows == 3
    totals = [f["total"]["value"] if f else None for f in table.column("fields").to_pylist()]
    assert sorted(t for t in totals if t) == ["12.30", "7.00"]


def test_batch_sinks_parquet_resumes_from_write_ahead_log_without_duplicates(tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    sink = ParquetSink(out, rows_per_part=3)
    sink.open()
    for name in "abcde":
        sink.write(receipt_record(f"/{name}.jpg"))
    # Crash: no close(). a-c are in a part, d-e only in the log. Also simulate a crash
    # right after a part was renamed in, before the log was emptied: c is in both.
    with open(out / PENDING_LOG, "ab") as f:
        f.write((json.dumps(receipt_record("/c.jpg")) + "\n").encode())
        f.write(b'{"source": "/f.jpg", "sch')  # torn
    (out / "part-00009.parquet.tmp").write_bytes(b"PAR1 half a part")

    resumed = ParquetSink(out, rows_per_part=3)
    assert resumed.open() == {f"/{n}.jpg": True for n in "abcde"}
    resumed.write(receipt_record("/f.jpg"))
    resumed.close()
    assert [r["source"] for r in read_records(out)] == [f"/{n}.jpg" for n in "abcdef"]
    assert not (out / PENDING_LOG).exists() and not list(out.glob("*.tmp"))


def test_batch_sinks_csv_drops_line_items_of_unfinished_receipts(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    sink = CsvSink(out)
    sink.open()
    sink.write(receipt_record("/a.jpg"))
    sink.write(receipt_record("/b.jpg"))
    sink.close()
    # Crash between a receipt's line items and its row: the items are orphans.
    with open(tmp_path / "r.line_items.csv", "ab") as f:
        f.write(b"/c.jpg,0,Soup,1,,4.00,0.9,rule\r\n/c.jpg,1,Bre")
    with open(out, "ab") as f:
        f.write(b'/c.jpg,ok,,,,CAFE,"CA')
    assert CsvSink(out).open() == {"/a.jpg": True, "/b.jpg": True}
    assert {r["source"] for r in iter_csv(tmp_path / "r.line_items.csv")} == {"/a.jpg", "/b.jpg"}


def test_batch_sinks_forget_replaces_records(tmp_path: Path) -> None:
    for fmt in ("jsonl", "parquet"):
        out = tmp_path / f"r.{fmt}"
        with open_sink(out, rows_per_part=1) as sink:
            sink.open()
            sink.write(error_record("/a.jpg"))
            sink.write(receipt_record("/b.jpg"))
        with open_sink(out, rows_per_part=1) as sink:
            sink.open()
            sink.forget({"/a.jpg"})
            sink.write(receipt_record("/a.jpg"))
        assert sorted((r["source"], "error" in r) for r in read_records(out)) == [("/a.jpg", False), ("/b.jpg", False)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=10_000))
def test_batch_sinks_jsonl_torn_at_any_byte_keeps_exactly_the_complete_records(tmp_path: Path, cut: int) -> None:
    out = tmp_path / f"torn{cut}.jsonl"
    with JsonlSink(out) as sink:
        sink.open()
        for name in "abcd":
            sink.write(receipt_record(f"/{name}é.jpg") if name != "c" else error_record("/c.jpg"))
    data = out.read_bytes()
    cut = cut % (len(data) + 1)
    out.write_bytes(data[:cut])
    complete = data[:cut].count(b"\n")
    with JsonlSink(out) as sink:
        done = sink.open()
        assert len(done) == complete
        sink.write(error_record("/z.jpg"))
    records = read_records(out)
    assert [r["source"] for r in records][-1] == "/z.jpg" and len(records) == complete + 1


def test_batch_sinks_refuse_outputs_they_did_not_write(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="jsonl"):
        open_sink(tmp_path / "r.xlsx")
    (tmp_path / "r.parquet").write_bytes(b"PAR1")
    with pytest.raises(BatchError, match="folder"):
        open_sink(tmp_path / "r.parquet").open()
    (tmp_path / "r.csv").write_text("a,b\r\n1,2\r\n")
    with pytest.raises(BatchError, match="not written by tillroll batch"):
        open_sink(tmp_path / "r.csv").open()
    assert (tmp_path / "r.csv").read_bytes() == b"a,b\r\n1,2\r\n"
