"""`tillroll entities`: add, lookup, stats, seed, and typed errors as exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tillroll.cli import _load_commands, app

_load_commands()
runner = CliRunner()


def test_rules_cli_entities_add_then_lookup_through_ocr_noise(tmp_path: Path) -> None:
    db = str(tmp_path / "e.sqlite3")
    assert runner.invoke(app, ["entities", "add", "shop_name", "Kafe Tal-Belt Ltd", "--db", db]).exit_code == 0
    result = runner.invoke(app, ["entities", "lookup", "shop_name", "KAFE TAL BE1T LTD", "--db", db, "-n", "1"])
    assert result.exit_code == 0
    assert json.loads(result.stdout.splitlines()[0])["text"] == "Kafe Tal-Belt Ltd"


def test_rules_cli_entities_stats_and_seed_from_tsv(tmp_path: Path) -> None:
    db = str(tmp_path / "e.sqlite3")
    tsv = tmp_path / "shops.tsv"
    tsv.write_text("shop_name\tSunnyside Diner Inc\naddress\t1557 Scenic Hwy, Snellville, GA 30078\n", encoding="utf-8")
    seeded = runner.invoke(app, ["entities", "seed", "--file", str(tsv), "--db", db])
    assert seeded.exit_code == 0 and json.loads(seeded.stdout)["added"] == 2
    stats = json.loads(runner.invoke(app, ["entities", "stats", "--db", db]).stdout)
    assert stats["by_source"]["seed"] >= 2


def test_rules_cli_entities_bad_kind_exits_2_with_advice(tmp_path: Path) -> None:
    result = runner.invoke(app, ["entities", "add", "total", "12.30", "--db", str(tmp_path / "e.sqlite3")])
    assert result.exit_code == 2
    assert "shop_name, address" in result.output
