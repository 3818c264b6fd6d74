"""Helpers for CLI tests: run ``main([...])`` in-process and keep what it printed."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from tests.conftest import TEST_SECRET_KEY


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def use_cli_env(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    """The environment a person would set: a data dir and a secret key."""
    monkeypatch.setenv("POSTFLOW_DATA_DIR", str(data_dir))
    monkeypatch.setenv("POSTFLOW_SECRET_KEY", TEST_SECRET_KEY)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    capsys.readouterr()
    root = logging.getLogger()
    level = root.level
    try:
        code = main(list(args))
    finally:
        # main() logs to the stderr of this test; do not leave that handler to later tests.
        for handler in [h for h in root.handlers if h.get_name() == "postflow-cli"]:
            root.removeHandler(handler)
        root.setLevel(level)
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)
