"""Turn the INPUT... arguments of `tillroll batch` into one deterministic list of sources.

An INPUT is one of:

- a directory: every regular file below it, recursively (hidden files and
  folders, whose names start with ".", are skipped: .DS_Store, .git, ...).
  Files are *not* filtered by extension: a stray PDF named `.dat` is still a
  receipt, and a text file in the folder gets an error record that says so,
  which is more useful than silently skipping it;
- a glob such as `scans/**/*.jpg` (quote it so that tillroll, not the shell,
  expands it; `**` matches any depth);
- a list file, `*.txt` / `*.lst` / `*.list` or `-` for standard input: one
  path per line, blank lines and lines starting with "#" ignored, relative
  paths taken relative to the list file's folder (stdin: the current folder);
  listed paths that do not exist are kept, so they get an error record;
- a path to one file.

Sources are absolute, normalised path strings: they are the key under which a
result is stored, so re-running the same command from another folder still
resumes. The order is the order of the arguments, each expanded in sorted
order, with duplicates removed (the first occurrence wins).
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from ..errors import InputNotFoundError

LIST_FILE_SUFFIXES = (".txt", ".lst", ".list")
_GLOB_CHARS = set("*?[")


def normalise_source(path: str | Path, base: str | Path | None = None) -> str:
    """Absolute, normalised form of `path` (symlinks are kept: the user named that path)."""
    p = Path(os.path.expanduser(str(path)))
    if not p.is_absolute():
        p = Path(base or os.getcwd()) / p
    return os.path.normpath(str(p))


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def walk_directory(root: str | Path) -> Iterator[str]:
    """Regular files (and broken links) under `root`, recursively, in sorted order, hidden entries skipped."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not _is_hidden(d))
        for name in sorted(filenames):
            if _is_hidden(name):
                continue
            path = os.path.join(dirpath, name)
            # Regular files, and links that lead nowhere (dangling, or a loop): those get
            # an error record saying so instead of vanishing. Sockets and fifos are skipped
            # (a fifo would block the batch until someone writes to it).
            if os.path.isfile(path) or (os.path.islink(path) and not os.path.exists(path)):
                yield normalise_source(path)


def read_list(stream: TextIO, base: str | Path) -> Iterator[str]:
    """Paths listed one per line; '#' comments and blank lines are ignored."""
    for line in stream:
        entry = line.strip()
        if entry and not entry.startswith("#"):
            yield normalise_source(entry, base)


def expand_one(spec: str) -> list[str]:
    """Sources for one INPUT argument; raises InputNotFoundError when it names nothing."""
    if spec == "-":
        return list(read_list(sys.stdin, os.getcwd()))
    path = Path(os.path.expanduser(spec))
    if path.is_dir():
        return list(walk_directory(path))
    if path.is_file():
        if path.suffix.lower() in LIST_FILE_SUFFIXES:
            with open(path, encoding="utf-8-sig") as stream:
                return list(read_list(stream, path.parent.absolute()))
        return [normalise_source(path)]
    if _GLOB_CHARS & set(spec):
        matches = sorted(m for m in glob.glob(os.path.expanduser(spec), recursive=True) if os.path.isfile(m))
        if not matches:
            raise InputNotFoundError(f"the pattern {spec!r} matches no files; check the pattern and quote it so the shell does not expand it")
        return [normalise_source(m) for m in matches]
    raise InputNotFoundError(f"{spec!r} is not a file, folder, list file or glob pattern that exists; check the path")


def expand_inputs(specs: Iterable[str]) -> list[str]:
    """All sources of all INPUT arguments, deduplicated, in a deterministic order."""
    seen: set[str] = set()
    sources: list[str] = []
    for spec in specs:
        for source in expand_one(spec):
            if source not in seen:
                seen.add(source)
                sources.append(source)
    return sources
