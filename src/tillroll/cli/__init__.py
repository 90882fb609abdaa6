"""The `tillroll` command line: thin wrappers over importable functions.

Each sub-command lives in its own module of this package and registers itself
on `app`; modules are discovered automatically so adding a command touches one
file. Command modules must import heavy libraries inside the command function,
so `tillroll --help` stays fast.

Exit codes: 0 success, 1 at least one input failed (others were still
processed), 2 usage error.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

app = typer.Typer(
    name="tillroll",
    help="Read receipts and invoices (images, scans, PDFs) into structured, checkable JSON.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_OK, EXIT_INPUT_FAILED, EXIT_USAGE = 0, 1, 2


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"tillroll {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """tillroll: receipts in, JSON out."""


def _load_commands() -> None:
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


def main() -> None:
    from ..logs import configure_cli_logging

    # Before any library is imported: their warnings become one plain line each on stderr.
    configure_cli_logging()
    _load_commands()
    app()
