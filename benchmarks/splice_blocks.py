"""Splice generated tables into docs/benchmarks.md between their marker pairs.

    python benchmarks/splice_blocks.py docs/benchmarks.md build/benchmarks

Each `OUT/block-NAME.md` replaces the text between `<!-- generated:NAME -->`
and `<!-- /generated:NAME -->`; everything outside marker pairs is left
byte for byte, so sections written by hand are never touched. Used by
benchmarks/update_benchmarks.sh.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def splice(text: str, blocks: dict[str, str]) -> tuple[str, list[str]]:
    """`text` with each named block's body replaced; returns the new text and the names filled."""
    filled = []
    for name, body in sorted(blocks.items()):
        pattern = re.compile(rf"(<!-- generated:{re.escape(name)} -->\n)(.*?)(<!-- /generated:{re.escape(name)} -->)", re.S)
        if pattern.search(text):
            body = body.rstrip("\n") + "\n"
            text = pattern.sub(lambda m, body=body: m.group(1) + body + m.group(3), text)
            filled.append(name)
    return text, filled


def main(doc_path: Path, out: Path) -> None:
    blocks = {p.stem[len("block-") :]: p.read_text(encoding="utf-8") for p in sorted(out.glob("block-*.md"))}
    text, filled = splice(doc_path.read_text(encoding="utf-8"), blocks)
    doc_path.write_text(text, encoding="utf-8")
    print(f"updated blocks in {doc_path}: {', '.join(filled) or 'none (add <!-- generated:NAME --> markers)'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
