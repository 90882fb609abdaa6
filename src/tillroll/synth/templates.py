"""Receipt templates: page geometry, fonts and the sequence of printed blocks, kept as YAML data.

A template describes a family of receipts rather than one layout: most values
are ranges or lists of choices, drawn per receipt (margins, font size, line
spacing, alignment, whether a block is printed at all, item-table columns).
See `synth/templates/*.yaml`; `compose.Composer` documents the block names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ..errors import ConfigError


@dataclass(frozen=True)
class Template:
    name: str
    data: dict[str, Any]

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return list(self.data["blocks"])

    @property
    def items(self) -> dict[str, Any]:
        return dict(self.data.get("items", {}))

    @property
    def paper(self) -> dict[str, Any]:
        return dict(self.data["paper"])

    def allows(self, locale: str) -> bool:
        only = self.data.get("locales")
        return not only or locale in only


def _yaml_load(text: str) -> Any:
    import yaml

    # The C loader is ten times faster; the tables are loaded once per process either way.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader


def available_templates() -> list[str]:
    folder = resources.files(__package__).joinpath("templates")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


@cache
def load_template(name: str) -> Template:

    names = available_templates()
    if name not in names:
        raise ConfigError(f"unknown synthetic template {name!r}; available: {', '.join(names)}")
    data = _yaml_load(resources.files(__package__).joinpath("templates", f"{name}.yaml").read_text(encoding="utf-8"))
    for key in ("paper", "blocks", "fonts"):
        if key not in data:
            raise ConfigError(f"template {name}.yaml lacks the key {key!r}")
    return Template(name=name, data=data)


def parse_templates(spec: str | Sequence[str] | None) -> tuple[str, ...]:
    """None or "all" -> every template; "a,b" -> those, validated."""
    if spec is None or spec == "all" or spec == ["all"]:
        return tuple(available_templates())
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    names = tuple(dict.fromkeys(n.strip() for n in items if n.strip()))
    if not names:
        raise ConfigError(f"no templates given; choose from: {', '.join(available_templates())}")
    for n in names:
        load_template(n)
    return names
