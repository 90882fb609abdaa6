"""INPUT... expansion: folders, globs, list files; deterministic, deduplicated, absolute."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from tillroll.batch.inputs import expand_inputs, read_list
from tillroll.errors import InputNotFoundError


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    for rel in ["b.jpg", "a.png", "sub/z.pdf", "sub/deeper/c.jpg", ".hidden.jpg", ".git/x.jpg", "notes.txt"]:
        p = tmp_path / "scans" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    return tmp_path / "scans"


def test_batch_inputs_directory_is_recursive_sorted_and_skips_hidden(tree: Path) -> None:
    got = expand_inputs([str(tree)])
    rel = [os.path.relpath(p, tree) for p in got]
    # Sorted per folder (files of a folder, then its sub-folders in order), hidden entries skipped,
    # other files kept whatever their suffix so that they get an error record instead of vanishing.
    assert rel == ["a.png", "b.jpg", "notes.txt", "sub/z.pdf", "sub/deeper/c.jpg"]
    assert all(os.path.isabs(p) for p in got)


def test_batch_inputs_glob_list_file_and_dedup(tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    listing = tmp_path / "todo.txt"
    listing.write_text("# receipts to redo\nscans/b.jpg\n\n  scans/missing.jpg  \n" + str(tree / "a.png") + "\n")
    monkeypatch.chdir(tree / "sub")  # relative entries resolve against the list file's folder, not the cwd
    got = expand_inputs([str(listing), str(tree / "**" / "*.jpg"), str(tree / "b.jpg")])
    assert got == [
        str(tree / "b.jpg"),
        str(tree / "missing.jpg"),  # kept: it gets a not_found error record
        str(tree / "a.png"),
        str(tree / "sub/deeper/c.jpg"),
    ]
    # The same files named relatively from another folder are the same sources (resume keys).
    monkeypatch.chdir(tree)
    assert expand_inputs(["b.jpg", "./sub/../a.png"]) == [str(tree / "b.jpg"), str(tree / "a.png")]


def test_batch_inputs_stdin_list() -> None:
    assert list(read_list(io.StringIO("a.jpg\n# no\n/x/b.jpg\n"), "/base")) == ["/base/a.jpg", "/x/b.jpg"]


def test_batch_inputs_that_name_nothing_raise_with_advice(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match="check the path"):
        expand_inputs([str(tmp_path / "nope")])
    with pytest.raises(InputNotFoundError, match="matches no files"):
        expand_inputs([str(tmp_path / "*.jpg")])


def test_batch_inputs_never_include_the_output_itself(tree: Path) -> None:
    from tillroll.batch.runner import BatchJob

    (tree / "sub" / "results.csv").write_text("x")
    (tree / "sub" / "results.line_items.csv").write_text("x")
    (tree / "results.jsonl").write_text("x")
    (tree / "results.parquet").mkdir()
    (tree / "results.parquet" / "part-00000.parquet").write_bytes(b"x")
    everything = {os.path.relpath(s, tree) for s in expand_inputs([str(tree)])}
    expected_outputs = {
        "results.jsonl": {"results.jsonl"},
        "sub/results.csv": {"sub/results.csv", "sub/results.line_items.csv"},
        "results.parquet": {"results.parquet/part-00000.parquet"},
    }
    for out, written in expected_outputs.items():
        sources = {os.path.relpath(s, tree) for s in BatchJob([str(tree)], tree / out).expand_sources()}
        assert sources == everything - written
