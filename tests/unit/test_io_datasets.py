"""Dataset readers on tiny fixtures in each dataset's own format (tests/data/datasets/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datasetkit import materialise
from tillroll.errors import ConfigError, DataError
from tillroll.io.datasets import parse_spec, read_dataset
from tillroll.io.splits import split_of


def labelled(example) -> dict[str, str]:
    return {w.text: w.label for w in example.reference.words}


# ---------------------------------------------------------------- specs


def test_io_datasets_parse_spec_with_and_without_split() -> None:
    assert parse_spec("sroie:/data/sroie/train:dev") == ("sroie", Path("/data/sroie/train"), "dev")
    assert parse_spec("wildreceipt:/data/w") == ("wildreceipt", Path("/data/w"), "all")
    assert parse_spec("synth:C:/x:train") == ("synth", Path("C:/x"), "train")  # colons inside the path survive


@pytest.mark.parametrize("spec", ["sroie", "cord:/data", "sroie:", "/data/sroie"])
def test_io_datasets_bad_spec_says_what_a_spec_looks_like(spec: str) -> None:
    with pytest.raises(ConfigError, match="KIND:DIR"):
        parse_spec(spec)


def test_io_datasets_missing_folder_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        read_dataset(f"sroie:{tmp_path / 'nope'}")


# ---------------------------------------------------------------- SROIE


def test_io_datasets_sroie_words_labels_and_fields(tmp_path: Path) -> None:
    root = materialise("sroie", tmp_path)
    examples = read_dataset(f"sroie:{root}")
    assert [e.id for e in examples] == ["X000000000001", "X000000000002"]
    ex = examples[0]
    ref = ex.reference
    assert ex.located == {"company": True, "date": True, "address": True, "total": True}
    by_line = {tuple(w.text for w in line): [w.label for w in line] for line in ref.lines()}
    assert by_line[("KEDAI", "RUNCIT", "AMAN", "SDN", "BHD")] == ["shop_name"] * 5
    assert by_line[("(123456-A)",)] == ["misc"]
    assert by_line[("NO", "12,", "JALAN", "MAWAR", "3,")] == ["address"] * 5
    # the time on the date's line is date_time too; the key "DATE:" is not
    assert by_line[("DATE:", "05/03/2018", "14:22:10")] == ["misc", "date_time", "date_time"]
    # the item costs as much as the total: only the TOTAL line is the total (key words included)
    assert by_line[("MILO", "400G", "9.00")] == ["misc"] * 3
    assert by_line[("TOTAL:", "9.00")] == ["total", "total"]
    assert by_line[("CASH", "10.00")] == ["misc", "misc"]
    assert all(w.label_source == "human" for w in ref.words)
    assert ref.fields["date"].value == "2018-03-05" and ref.fields["date"].text == "05/03/2018"
    assert ref.fields["total"].value == "9.00"
    assert [ref.words[i].text for i in ref.fields["shop_name"].word_ids] == ["KEDAI", "RUNCIT", "AMAN", "SDN", "BHD"]
    assert ex.annotated_labels == {"shop_name", "address", "date_time", "total", "misc"}
    assert ex.annotated_fields == {"shop_name", "address", "date", "total"}


def test_io_datasets_sroie_word_boxes_split_lines_by_character_offsets(tmp_path: Path) -> None:
    root = materialise("sroie", tmp_path)
    ref = read_dataset(f"sroie:{root}", limit=1)[0].reference
    cash, amount = (w for w in ref.words if w.text in ("CASH", "10.00"))
    assert cash.box == (30.0, 260.0, 200.0, 280.0)  # one-word line: the line box
    line = [w for w in ref.words if w.line == ref.words[0].line]
    assert [w.text for w in line] == ["KEDAI", "RUNCIT", "AMAN", "SDN", "BHD"]
    step = (440 - 60) / len("KEDAI RUNCIT AMAN SDN BHD")
    assert line[1].box[0] == pytest.approx(60 + 6 * step, abs=0.1) and line[1].box[2] == pytest.approx(60 + 12 * step, abs=0.1)


def test_io_datasets_sroie_fuzzy_company_and_split_filter(tmp_path: Path) -> None:
    root = materialise("sroie", tmp_path)
    assert split_of("X000000000002") == "dev" and split_of("X000000000001") == "train"
    dev = read_dataset(f"sroie:{root}:dev")
    assert [e.id for e in dev] == ["X000000000002"]
    ex = dev[0]
    assert ex.located["company"]  # "TESC0" printed, "TESCO" annotated
    assert labelled(ex)["TESC0"] == "shop_name"
    assert labelled(ex)["33.90"] == "total" and labelled(ex)["RM"] == "total"
    assert [e.id for e in read_dataset(f"sroie:{root}:train")] == ["X000000000001"]


def test_io_datasets_sroie_accepts_parent_folder_and_reports_bad_rows(tmp_path: Path) -> None:
    root = materialise("sroie", tmp_path)
    nested = tmp_path / "release"
    nested.mkdir()
    root.rename(nested / "train")
    assert len(read_dataset(f"sroie:{nested}")) == 2  # .../sroie holding train/
    (nested / "train" / "box" / "X000000000001.txt").write_text("12,34,oops\n")
    with pytest.raises(DataError, match=r"X000000000001.txt:1: expected 8 coordinates"):
        read_dataset(f"sroie:{nested}")


# ---------------------------------------------------------------- WildReceipt


def test_io_datasets_wildreceipt_labels_fields_and_line_items(tmp_path: Path) -> None:
    root = materialise("wildreceipt", tmp_path)
    [ex] = read_dataset(f"wildreceipt:{root}")
    assert ex.id == "abc123" and ex.dataset == "wildreceipt" and not ex.spaced_text
    labels = labelled(ex)
    assert labels["CHOEUN"] == "shop_name"
    assert labels["2621ORANGETHORPEAVE"] == "address"  # kept as printed, no spaces invented
    assert labels["DATE"] == "misc" and labels["12/30/2016"] == "date_time" and labels["19:19"] == "date_time"
    assert labels["BIBIM"] == labels["OCTOPUS"] == "line_item"  # a spaced line is split into words
    assert labels["$13.99"] == "amount" and labels["2"] == "quantity"
    assert labels["TOTAL"] == "total" and labels["$22.98"] == "total"
    assert labels["THANKYOU"] == "misc"
    fields = ex.reference.fields
    assert fields["date"].value == "2016-12-30" and fields["time"].value == "19:19:00"
    assert fields["total"].value == "22.98" and fields["shop_name"].text == "CHOEUN"
    items = [(li.description, li.quantity, li.amount) for li in ex.reference.line_items]
    assert items == [("BIBIM OCTOPUS", None, "13.99"), ("PORKDUMPLING", "2", "8.99")]
    assert "vat_info" not in ex.annotated_labels and "telephone" in ex.annotated_labels


def test_io_datasets_wildreceipt_name_printed_twice_is_the_name_once(tmp_path: Path) -> None:
    root = materialise("wildreceipt", tmp_path)
    rec = json.loads((root / "train.txt").read_text())
    name = next(a for a in rec["annotations"] if a["text"] == "CHOEUN")
    footer = dict(name, text="Choeun", box=[v + 150 if i % 2 else v for i, v in enumerate(name["box"])])
    rec["annotations"].append(footer)  # the same name again, lower down, in another case
    (root / "train.txt").write_text(json.dumps(rec) + "\n")
    [ex] = read_dataset(f"wildreceipt:{root}")
    assert ex.reference.fields["shop_name"].text == "CHOEUN"
    assert [w.label for w in ex.reference.words if w.text == "Choeun"] == ["shop_name"]  # still a shop-name word


def test_io_datasets_wildreceipt_unknown_class_index_is_a_data_error(tmp_path: Path) -> None:
    root = materialise("wildreceipt", tmp_path)
    rec = json.loads((root / "train.txt").read_text())
    rec["annotations"][0]["label"] = 99
    (root / "train.txt").write_text(json.dumps(rec) + "\n")
    with pytest.raises(DataError, match="annotation 0 is malformed"):
        read_dataset(f"wildreceipt:{root}")


# ---------------------------------------------------------------- FUNSD


def test_io_datasets_funsd_key_values_from_links(tmp_path: Path) -> None:
    root = materialise("funsd", tmp_path)
    [ex] = read_dataset(f"funsd:{root}")
    kvs = [(kv.key, kv.value) for kv in ex.reference.key_values]
    assert kvs == [("Date:", "9/ 3/ 92"), ("Name:", "M. Hamann")]
    words = ex.reference.words
    first = ex.reference.key_values[0]
    assert [words[i].text for i in first.key_word_ids] == ["Date:"]
    assert [words[i].text for i in first.value_word_ids] == ["9/", "3/", "92"]
    assert {w.label for w in words} == {"misc"}  # forms are not receipts
    assert ex.reference.meta["funsd_labels"][first.key_word_ids[0]] == "question"
    assert ex.annotated_fields == frozenset()


# ---------------------------------------------------------------- annotated / synth


def test_io_datasets_annotated_reads_schema_v1_with_its_image(tmp_path: Path) -> None:
    root = materialise("annotated", tmp_path)
    [ex] = read_dataset(f"synth:{root}")
    assert ex.dataset == "synth" and ex.id == "synth-0001"
    assert ex.image_path == root / "synth-0001.png"
    assert [w.label for w in ex.reference.words][:3] == ["shop_name", "shop_name", "date_time"]
    assert ex.reference.fields["total"].value == "2.50"
    assert ex.reference.line_items[0].description == "Espresso"
    assert ex.load_image().size == (420, 200)


def test_io_datasets_annotated_refuses_model_labels_as_gold(tmp_path: Path) -> None:
    root = materialise("annotated", tmp_path)
    path = root / "synth-0001.json"
    doc = json.loads(path.read_text())
    doc["words"][4]["label_source"] = "model"
    path.write_text(json.dumps(doc))
    with pytest.raises(DataError, match="labelled by 'model', not a human"):
        read_dataset(f"annotated:{root}")


def test_io_datasets_annotated_without_image_says_where_it_looked(tmp_path: Path) -> None:
    root = materialise("annotated", tmp_path)
    (root / "synth-0001.png").unlink()
    with pytest.raises(DataError, match="no image found"):
        read_dataset(f"annotated:{root}")


@given(
    st.sampled_from(["sroie", "wildreceipt", "funsd", "annotated", "synth"]),
    st.text(alphabet="abcXYZ019_-./ ", min_size=1, max_size=30).filter(lambda p: p.strip()),
    st.sampled_from(["dev", "train", "test", "all", None]),
)
def test_io_datasets_parse_spec_round_trips(kind: str, folder: str, split: str | None) -> None:
    spec = f"{kind}:{folder}" + (f":{split}" if split else "")
    assert parse_spec(spec) == (kind, Path(folder), split or "all")
