"""Logging for CLI processes: stdlib logging, one line per record, to stderr."""

from __future__ import annotations

import logging
import sys

from postflow.errors import ConfigurationError

_HANDLER_NAME = "postflow-cli"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class OneLineFormatter(logging.Formatter):
    """Keeps each record on one line (tracebacks included) so log collectors see one event."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", " | ")


def configure_logging(level_name: str) -> None:
    """Send every logger's records at ``level_name`` or above to stderr; safe to call again."""
    level = level_name.strip().upper()
    if level not in LEVELS:
        raise ConfigurationError(
            f"POSTFLOW_LOG_LEVEL={level_name!r} is not one of {', '.join(LEVELS)}.",
            details={"log_level": level_name})
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(OneLineFormatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%Y-%m-%dT%H:%M:%S%z"))
    root.addHandler(handler)
    root.setLevel(level)
