"""`tillroll entities seed|add|lookup|stats`: look after the shop-name and address database (paper 6.2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from . import EXIT_USAGE, app

if TYPE_CHECKING:  # pragma: no cover
    from ..rules.entities import EntityDatabase

entities_app = typer.Typer(help="The entity database of shop names and addresses used by the rules.", no_args_is_help=True)
app.add_typer(entities_app, name="entities")

DB_HELP = "Database file (default: <tillroll data dir>/entities.sqlite3, created from the shipped seed on first use)."
KIND_HELP = "shop_name or address"


def _open(db: Path | None) -> EntityDatabase:
    from ..config import PipelineConfig
    from ..errors import TillrollError
    from ..rules.entities import EntityDatabase

    try:
        return EntityDatabase(db or PipelineConfig().resolved_entity_db())
    except TillrollError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None


def _rows_from_file(path: Path) -> list[tuple[str, str]]:
    """A seed JSON ({"entities": [{"kind", "text"}]}) or a text file of `kind<TAB>text` lines."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return [(e["kind"], e["text"]) for e in json.loads(text).get("entities", [])]
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        kind, sep, value = line.partition("\t")
        if not sep:
            raise ValueError(f"{path}:{n}: expected 'kind<TAB>text'")
        rows.append((kind.strip(), value.strip()))
    return rows


def _rows_from_sroie(root: Path, split: str) -> list[tuple[str, str]]:
    from ..io.splits import in_split
    from ..labels import ADDRESS, SHOP_NAME

    folder = root / "entities" if (root / "entities").is_dir() else root / "train" / "entities"
    if not folder.is_dir():
        raise ValueError(f"no SROIE entities/ folder under {root}")
    rows = []
    for p in sorted(folder.glob("*.txt")):
        if not in_split(p.stem, split):
            continue
        ent = json.loads(p.read_text(encoding="utf-8", errors="replace"))
        rows += [(SHOP_NAME, ent["company"])] if ent.get("company") else []
        rows += [(ADDRESS, ent["address"])] if ent.get("address") else []
    return rows


@entities_app.command("seed")
def seed(
    file: Path | None = typer.Option(None, "--file", "-f", help="Seed JSON or a TSV of kind<TAB>text lines"),
    sroie: Path | None = typer.Option(None, "--sroie", help="Add company/address strings of a SROIE folder"),
    split: str = typer.Option("train", "--split", help="Which split of --sroie to read (train keeps dev scores honest)"),
    source: str = typer.Option("seed", "--source", help="seed, human, model or rule"),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Bulk-add entities; with no option, (re)apply the seed shipped with tillroll."""
    from ..errors import TillrollError
    from ..rules.entities import load_seed

    try:
        rows = _rows_from_file(file) if file else _rows_from_sroie(sroie, split) if sroie else load_seed()
    except (OSError, ValueError, KeyError) as exc:
        typer.echo(f"error: cannot read entities: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    database = _open(db)
    before = database.count()
    try:
        database.add_many(rows, source=source)
    except TillrollError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    typer.echo(json.dumps({"read": len(rows), "added": database.count() - before, "entities": database.count()}))


@entities_app.command("add")
def add(
    kind: str = typer.Argument(..., help=KIND_HELP),
    text: str = typer.Argument(..., help="The name or address as it should be stored"),
    source: str = typer.Option("human", "--source"),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Add one shop name or address (what the review UI does when a receipt is approved)."""
    from ..errors import TillrollError

    database = _open(db)
    try:
        entity_id = database.add(kind, text, source=source)
    except TillrollError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    typer.echo(json.dumps({"id": entity_id, "kind": kind, "text": " ".join(text.split())}))


@entities_app.command("lookup")
def lookup(
    kind: str = typer.Argument(..., help=KIND_HELP),
    text: str = typer.Argument(..., help="Text as OCR read it"),
    limit: int = typer.Option(5, "--limit", "-n", min=1),
    db: Path | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Print the best-matching stored entities with their scores (0-100), best first, as JSON lines."""
    from ..errors import TillrollError
    from ..rules.entities import _check_kind

    try:
        _check_kind(kind)
    except TillrollError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    for match in _open(db).candidates(text, (kind,))[:limit]:
        typer.echo(json.dumps(match._asdict(), ensure_ascii=False))


@entities_app.command("stats")
def stats(db: Path | None = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Counts by kind and source, and the database's size on disk."""
    typer.echo(json.dumps(_open(db).stats(), ensure_ascii=False))
