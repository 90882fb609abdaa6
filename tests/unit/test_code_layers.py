"""Import layering of `src/tillroll`, as written in pyproject.toml's `[tool.tillroll.layers]`.

Every module of the package belongs to one layer; a module imports only from its
own top-level package, from layers below its own and from the base. Siblings
named on one line with "|" (e.g. `server | batch`) do not import each other.
Imports inside functions count too: a lazy import of a higher layer is still a
dependency (it is how the two cycles this check replaced were hidden). Imports
under `if TYPE_CHECKING:` do not: they name a type for annotations and never
run. No two modules may import each other, directly or round a longer loop.

The checker is plain `ast`, so it reads the code without importing it (no
optional dependency needs to be installed).
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "tillroll"


@dataclass(frozen=True)
class Import:
    source: str  # module that imports
    target: str  # module imported (a submodule where `from pkg import sub` names one)
    line: int


@dataclass(frozen=True)
class Layers:
    rank: dict[str, int]  # top-level package or module -> layer (0 = base, higher = above)
    siblings: dict[str, frozenset[str]]  # the others named on its line with "|"

    @classmethod
    def from_config(cls, config: dict[str, list[str]]) -> Layers:
        rank: dict[str, int] = {}
        siblings: dict[str, frozenset[str]] = {}
        for name in config["base"]:
            rank[name] = 0
            siblings[name] = frozenset()
        for level, line in enumerate(reversed(config["layers"]), start=1):
            names = [n.strip() for n in line.split("|")]
            for name in names:
                assert name not in rank, f"{name} is named twice in [tool.tillroll.layers]"
                rank[name] = level
                siblings[name] = frozenset(names) - {name}
        return cls(rank, siblings)


def module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Every node under `node` except the bodies of `if TYPE_CHECKING:` blocks (their `else` still runs)."""
    yield node
    if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
        children: list[ast.AST] = [node.test, *node.orelse]
    else:
        children = list(ast.iter_child_nodes(node))
    for child in children:
        yield from _runtime_nodes(child)


def iter_imports(src: Path) -> Iterator[Import]:
    """Every import of a module of the package by a module of the package, wherever it stands in the file."""
    modules = {module_name(p, src) for p in (src / PACKAGE).rglob("*.py")}
    for path in sorted((src / PACKAGE).rglob("*.py")):
        name = module_name(path, src)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == PACKAGE:
                        yield Import(name, alias.name, node.lineno)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.split(".")[0] != PACKAGE:
                    continue
                for alias in node.names:
                    # `from . import normalize` imports the submodule, not the package's __init__.
                    sub = f"{target}.{alias.name}"
                    yield Import(name, sub if sub in modules else target, node.lineno)


def top(module: str) -> str:
    """The top-level package (or module) of `tillroll.a.b`: "a"; the package itself: ""."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def violations(imports: list[Import], layers: Layers) -> list[str]:
    problems: list[str] = []
    unplaced: dict[str, str] = {}  # package in no layer -> the first import that shows it
    for imp in sorted(set(imports), key=lambda i: (i.source, i.line, i.target)):
        src, dst = top(imp.source), top(imp.target)
        if src == "" or dst == "" or src == dst:
            # The package's __init__ is the public facade: it re-exports lazily (PEP 562) and
            # everyone may read its __version__.
            continue
        where = f"{imp.source} (line {imp.line}) imports {imp.target}"
        for name in (src, dst):
            if name not in layers.rank:
                unplaced.setdefault(name, where)
        if src not in layers.rank or dst not in layers.rank:
            continue
        if dst in layers.siblings[src]:
            problems.append(f"{where}: {src} and {dst} are siblings in one layer and must not import each other")
        elif layers.rank[dst] > layers.rank[src]:
            problems.append(f"{where}: {src} is below {dst} in [tool.tillroll.layers]; move the shared code down instead")
    for name, where in sorted(unplaced.items()):
        problems.append(f"{where}: tillroll.{name} is in no layer; add it to [tool.tillroll.layers] in pyproject.toml")
    return problems


def cycles(imports: list[Import]) -> list[list[str]]:
    """Groups of modules that import one another round a loop (Tarjan's strongly connected components)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if imp.target != imp.source and imp.target != PACKAGE and imp.source != PACKAGE:
            graph.setdefault(imp.source, set()).add(imp.target)
            graph.setdefault(imp.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _is_package_init_loop(group: list[str]) -> bool:
    """A package and its own submodules only (`cli/__init__` loading `cli.extract`, which takes `app`
    from `cli`): Python's normal way to register submodules, not a dependency between layers."""
    root = min(group, key=len)
    return all(m == root or m.startswith(root + ".") for m in group) and any(m == root for m in group)


def load_layers() -> Layers:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return Layers.from_config(config["tool"]["tillroll"]["layers"])


def test_every_import_goes_down_the_layers() -> None:
    problems = violations(list(iter_imports(REPO / "src")), load_layers())
    assert not problems, "import layering broken:\n" + "\n".join(problems)


def test_no_import_cycles() -> None:
    loops = [g for g in cycles(list(iter_imports(REPO / "src"))) if not _is_package_init_loop(g)]
    assert not loops, "modules that import one another: " + "; ".join(" <-> ".join(g) for g in loops)


def test_every_package_of_tillroll_has_a_layer() -> None:
    layers = load_layers()
    names = {
        p.stem if p.is_file() else p.name
        for p in (REPO / "src" / PACKAGE).iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    }
    assert not names - set(layers.rank), f"not in [tool.tillroll.layers]: {sorted(names - set(layers.rank))}"


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / PACKAGE / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


LAYERS = Layers.from_config({"base": ["labels"], "layers": ["cli", "evaluate | server", "io"]})


def test_checker_flags_an_upward_import_even_inside_a_function(tmp_path: Path) -> None:
    src = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "labels.py": "",
            "io/__init__.py": "",
            "io/sroie.py": "def read():\n    from ..evaluate.align import locate\n",
            "evaluate/__init__.py": "",
            "evaluate/align.py": "from typing import TYPE_CHECKING\nfrom ..io import sroie\nfrom ..labels import X\nif TYPE_CHECKING:\n    from ..cli import app\n",
        },
    )
    imports = list(iter_imports(src))
    problems = violations(imports, LAYERS)
    assert len(problems) == 1 and "tillroll.io.sroie (line 2) imports tillroll.evaluate.align" in problems[0]
    assert cycles(imports) == [["tillroll.evaluate.align", "tillroll.io.sroie"]]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("from ..server import app\n", "siblings in one layer"),
        ("from ..synth import render\n", "tillroll.synth is in no layer"),
        ("from ..labels import X\nfrom ..io import sroie\n", None),
    ],
)
def test_checker_siblings_unknown_packages_and_allowed_imports(tmp_path: Path, code: str, expected: str | None) -> None:
    src = _tree(tmp_path, {"__init__.py": "", "labels.py": "", "io/__init__.py": "", "io/sroie.py": "", "evaluate/__init__.py": "", "evaluate/runner.py": code})
    problems = violations(list(iter_imports(src)), LAYERS)
    if expected is None:
        assert problems == []
    else:
        assert len(problems) == 1 and expected in problems[0]
