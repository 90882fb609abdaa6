"""The SQLite entity database: seeding, fuzzy lookup through OCR noise, updates, receipts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from receipt_builder import build

from tillroll.config import PipelineConfig
from tillroll.errors import ConfigError, DataError
from tillroll.labels import ADDRESS, SHOP_NAME
from tillroll.rules.entities import EntityDatabase, load_seed, skeleton


def test_rules_entities_created_on_first_use_in_user_dir_and_seeded() -> None:
    path = PipelineConfig().resolved_entity_db()  # TILLROLL_HOME points at a fresh folder per test
    assert not path.exists()
    db = EntityDatabase()
    assert path.exists()
    assert db.count() == len({(k, skeleton(t)) for k, t in load_seed() if len(skeleton(t)) >= 3}) > 100
    db.close()
    # Re-opening does not seed twice.
    assert EntityDatabase(path).count() == len({(k, skeleton(t)) for k, t in load_seed() if len(skeleton(t)) >= 3})


def test_rules_entities_lookup_survives_ocr_noise() -> None:
    db = EntityDatabase(":memory:", seed=False)
    db.add(SHOP_NAME, "MR D.I.Y. (JOHOR) SDN BHD")
    db.add(SHOP_NAME, "INDAH GIFT & HOME DECO")
    db.add(ADDRESS, "27, JALAN DEDAP 13, TAMAN JOHOR JAYA, 81100 JOHOR BAHRU, JOHOR.")
    hit = db.lookup(SHOP_NAME, "MR D.T.Y. (J0HOR) SDN BHD")  # T for I, 0 for O
    assert hit is not None and hit.text == "MR D.I.Y. (JOHOR) SDN BHD" and hit.score >= 90
    assert db.lookup(SHOP_NAME, "INDAHGIFT&HOMEDEC0").text == "INDAH GIFT & HOME DECO"  # type: ignore[union-attr]
    assert db.lookup(SHOP_NAME, "TOTALLY DIFFERENT BAKERY") is None
    # An address line matches part of a stored address.
    cands = db.candidates("TAMAN JOHOR JAYA,", (ADDRESS,))
    assert cands and cands[0].partial >= 90


def test_rules_entities_add_is_idempotent_and_counts() -> None:
    db = EntityDatabase(":memory:", seed=False)
    a = db.add(SHOP_NAME, "Kafe Belt", source="human")
    b = db.add(SHOP_NAME, "KAFE  BELT", source="human")
    assert a == b and db.count(SHOP_NAME) == 1
    assert db.stats()["by_source"] == {"human": 1}


def test_rules_entities_reject_bad_kind_and_source() -> None:
    db = EntityDatabase(":memory:", seed=False)
    with pytest.raises(ConfigError, match="unknown entity kind"):
        db.add("total", "x y z")
    with pytest.raises(ConfigError, match="unknown entity source"):
        db.add(SHOP_NAME, "ABC SHOP", source="robot")


def test_rules_entities_corrupt_file_is_a_typed_error(tmp_path: Path) -> None:
    bad = tmp_path / "entities.sqlite3"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DataError, match="delete it"):
        EntityDatabase(bad)


def test_rules_entities_find_in_document_name_and_multiline_address() -> None:
    db = EntityDatabase(":memory:", seed=False)
    db.add(SHOP_NAME, "INDAH GIFT & HOME DECO")
    db.add(ADDRESS, "27, JALAN DEDAP 13, TAMAN JOHOR JAYA, 81100 JOHOR BAHRU, JOHOR.")
    doc = build(
        ["    TAN WOON YANN", "  INDAH GIFT & H0ME DECO", "  27,JALAN DEDAP 13,", "   TAMAN JOHOR JAYA,", " 81100 JOHOR BAHRU,JOHOR.", "TEL:07-3507405"]
    )
    found = {e.kind: e for e in db.find_in_document(doc)}
    assert found[SHOP_NAME].line_indices == (1,)
    assert found[ADDRESS].line_indices == (2, 3, 4)


def test_rules_entities_find_names_over_three_lines_and_behind_a_company_number() -> None:
    db = EntityDatabase(":memory:", seed=False)
    db.add(SHOP_NAME, "AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD")
    db.add(SHOP_NAME, "MIZU MENTAI SDN. BHD.")
    three = build(["AIK HUAT HARDWARE", "ENTERPRISE (SETIA", "AL AM) SDN BHD", "822737-X", "NO. 17-G, JALAN SETIA INDAH"])
    assert {e.kind: e for e in db.find_in_document(three)}[SHOP_NAME].line_indices == (0, 1, 2)
    numbered = build(["SUSHI MENTAI - MAHKOTA CHERAS", "MIZU MENTAI SDN. BHD. (1248446-V)", "NO: 1-1&2 GROUND FLOOR,"])
    assert {e.kind: e for e in db.find_in_document(numbered)}[SHOP_NAME].line_indices == (1,)


def test_rules_entities_lookup_scales_with_rare_trigrams(tmp_path: Path) -> None:
    # 5k synthetic shops: lookups must still find the right one (speed is measured in benchmarks/).
    db = EntityDatabase(tmp_path / "big.sqlite3", seed=False)
    db.add_many(((SHOP_NAME, f"KEDAI {i:05d} SDN BHD TRADING") for i in range(5000)), source="seed")
    db.add(SHOP_NAME, "ZYXWV QUOKKA EMPORIUM")
    assert db.lookup(SHOP_NAME, "ZYXWV QU0KKA EMP0RIUM").text == "ZYXWV QUOKKA EMPORIUM"  # type: ignore[union-attr]
    with sqlite3.connect(tmp_path / "big.sqlite3") as conn:
        assert conn.execute("SELECT COUNT(*) FROM entities").fetchone()[0] == 5001


def test_rules_entities_database_seeded_by_an_older_release_gains_new_seed_rows(tmp_path, monkeypatch) -> None:
    """A database in the user's data dir outlives the package: an upgrade's new seed rows reach it."""
    from tillroll.rules import entities as mod

    path = tmp_path / "entities.sqlite3"
    monkeypatch.setattr(mod, "load_seed", lambda: [("shop_name", "OLD SHOP SDN BHD")])
    db = mod.EntityDatabase(path)
    db.add("shop_name", "MY OWN CAFE", source="human")
    db.close()

    monkeypatch.setattr(mod, "load_seed", lambda: [("shop_name", "OLD SHOP SDN BHD"), ("shop_name", "NEW MART TRADING")])
    db = mod.EntityDatabase(path)
    assert db.lookup("shop_name", "NEW MART TRADlNG") is not None  # new seed row, found through OCR noise
    assert db.lookup("shop_name", "MY OWN CAFE") is not None  # the user's row survives
    assert db.count("shop_name") == 3
    db.close()
    # opening again with the same seed adds nothing
    assert mod.EntityDatabase(path).count("shop_name") == 3


def test_rules_entities_upgrade_respells_seed_rows_but_not_the_users(tmp_path, monkeypatch) -> None:
    """A newer seed that corrects a spelling (same skeleton) replaces the stored seed text, not a person's."""
    from tillroll.rules import entities as mod

    path = tmp_path / "entities.sqlite3"
    monkeypatch.setattr(mod, "load_seed", lambda: [("shop_name", "GARDENIA BAKERIES (KI ) SDN BHD")])
    db = mod.EntityDatabase(path)
    db.add("shop_name", "MY 0WN CAFE", source="human")
    db.close()

    monkeypatch.setattr(mod, "load_seed", lambda: [("shop_name", "GARDENIA BAKERIES (KL) SDN BHD"), ("shop_name", "MY OWN CAFE")])
    db = mod.EntityDatabase(path)
    assert db.lookup("shop_name", "GARDENIA BAKERIES (KI ) SDN BHD").text == "GARDENIA BAKERIES (KL) SDN BHD"  # type: ignore[union-attr]
    assert db.lookup("shop_name", "MY OWN CAFE").text == "MY 0WN CAFE"  # type: ignore[union-attr]
    assert db.count("shop_name") == 2
    db.close()


def test_rules_entities_database_rekeys_rows_stored_with_an_older_skeleton(tmp_path) -> None:
    """Keys written by a release with another skeleton() are rebuilt, so lookups still find them."""
    import sqlite3

    from tillroll.rules.entities import EntityDatabase

    path = tmp_path / "entities.sqlite3"
    db = EntityDatabase(path, seed=False)
    db.add("shop_name", "GARDENIA BAKERIES (KL) SDN BHD")
    db.close()
    # simulate an older release: other stored keys, an empty index and no format mark
    conn = sqlite3.connect(path)
    conn.execute("UPDATE entities SET skeleton = lower(skeleton)")
    conn.execute("DELETE FROM postings")
    conn.execute("DELETE FROM meta WHERE key='index_format'")
    conn.commit()
    conn.close()

    db = EntityDatabase(path, seed=False)
    match = db.lookup("shop_name", "GARDENIA BAKERlES (KL) SDN BHD")
    assert match is not None and match.score >= 90
