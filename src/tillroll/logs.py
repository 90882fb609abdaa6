"""One way for messages to reach stderr: tillroll's logging, plain text unless stderr is a terminal.

Some libraries bring their own console handlers: RapidOCR attaches a colorlog
handler to its "RapidOCR" logger that writes ANSI colour codes and a timestamp
whatever stderr is (a file, a pipe, a CI log), which broke the CLI's promise of
one plain line per problem. `configure_cli_logging` (called by the `tillroll` command
before any sub-command runs) installs one plain handler, puts it in place of
those libraries' own handlers (`adopt_library_logger`), and routes Python
`warnings` from libraries through logging too.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

# Loggers of libraries known to install their own (coloured) console handlers.
LIBRARY_LOGGERS = ("RapidOCR",)
_ANSI_WARNING = "\x1b[33m"
_ANSI_RESET = "\x1b[0m"


def adopt_library_logger(name: str, handler: logging.Handler, level: int = logging.WARNING) -> logging.Logger:
    """Give a library's logger our `handler` in place of its own.

    RapidOCR adds its coloured handler when it is imported, and only if its
    logger has no handler yet; so a logger that already carries ours keeps it
    even when the library is imported later (tillroll imports it lazily, inside
    commands). Records are not also passed up, which would print them twice.
    """
    logger = logging.getLogger(name)
    for old in list(logger.handlers):
        logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger


class _CliFormatter(logging.Formatter):
    """`warning: RapidOCR: text detection result is empty`, coloured only on a terminal."""

    def __init__(self, colour: bool) -> None:
        super().__init__()
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        name = record.name
        if name == "py.warnings":
            # warnings.formatwarning gives "file:line: Category: text\n  source line"; keep the text.
            text = record.getMessage().strip().splitlines()[0]
            message = text.split(": ", 2)[-1] if text.count(": ") >= 2 else text
            line = f"{record.levelname.lower()}: {message}"
        else:
            line = f"{record.levelname.lower()}: {name}: {record.getMessage()}"
        line = " ".join(line.split())  # one line, whatever the library put in it
        if self.colour and record.levelno >= logging.WARNING:
            return f"{_ANSI_WARNING}{line}{_ANSI_RESET}"
        return line


def configure_cli_logging(stream: TextIO | None = None, level: int = logging.WARNING) -> logging.Handler:
    """Send warnings of tillroll and of the libraries it uses to `stream` (stderr), one plain line each."""
    stream = stream if stream is not None else sys.stderr
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_tillroll_cli", False):
            return handler
    colour = bool(getattr(stream, "isatty", lambda: False)())
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_CliFormatter(colour))
    handler.setLevel(level)
    handler._tillroll_cli = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    logging.captureWarnings(True)
    for name in LIBRARY_LOGGERS:
        adopt_library_logger(name, handler, level)
    return handler
