"""Where every CLI command prints: people get lines and tables, ``--json`` gets one JSON document.

Results go to stdout. Errors go to stderr as one ``error: ...`` line, or to stdout as
``{"error": {...}}`` with ``--json`` so scripts read a single stream.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

#: The marker printed in tables for an empty cell.
BLANK = "-"


class Output:
    """Prints a command's result in the form the person asked for."""

    def __init__(self, *, as_json: bool) -> None:
        self.as_json = as_json

    def result(self, data: Mapping[str, object], lines: Iterable[str]) -> None:
        """Print ``data`` as JSON, or ``lines`` for a person; flushed, so pipes see it at once."""
        if self.as_json:
            print(to_json(data), flush=True)
        else:
            for line in lines:
                print(line)
            sys.stdout.flush()

    def error(self, code: str, message: str, details: Mapping[str, Any] | None = None) -> None:
        if self.as_json:
            print(to_json({"error": {"code": code, "message": message,
                                     "details": dict(details or {})}}), flush=True)
        else:
            print(f"error: {message}", file=sys.stderr, flush=True)


def to_json(data: object) -> str:
    return json.dumps(data, default=_json_default, ensure_ascii=False)


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def when(moment: datetime | None) -> str:
    """A timestamp for people: UTC to the second."""
    if moment is None:
        return BLANK
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """Left-aligned columns separated by two spaces; empty cells show as ``-``."""
    cells = [[str(h) for h in headers]]
    cells += [[BLANK if v is None or v == "" else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
            for row in cells]


def excerpt(text: str, width: int = 50) -> str:
    """The first line of ``text``, cut to ``width`` characters."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= width else first[: width - 1] + "…"
