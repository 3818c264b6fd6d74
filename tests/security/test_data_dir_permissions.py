"""Issue 15, item 17: the data directory (the key file, the SQLite database, local media) is made
for its owner only (0700), the key file 0600, and a key file other users can read or write is
refused with a message saying how to fix it, before any secret is used."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from postflow.config import SECRET_KEY_FILE
from tests.cli import run_cli


@pytest.fixture(autouse=True)
def _usual_umask() -> Iterator[None]:
    """The umask most shells have: files 0644 and folders 0755 unless PostFlow asks for less."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "state" / "var"
    monkeypatch.setenv("POSTFLOW_DATA_DIR", str(path))
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_dir_is_created_for_its_owner_only(
        capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    result = run_cli(capsys, "org", "create", "Acme")

    assert result.code == 0, result.err
    assert mode(data_dir) == 0o700
    assert mode(data_dir / SECRET_KEY_FILE) == 0o600


def test_the_data_dir_is_private_when_the_key_comes_from_the_environment(
        capsys: pytest.CaptureFixture[str], data_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTFLOW_SECRET_KEY", "a-secret-key-from-the-environment")

    result = run_cli(capsys, "org", "create", "Acme")

    assert result.code == 0, result.err
    assert mode(data_dir) == 0o700
    assert not (data_dir / SECRET_KEY_FILE).exists()


@pytest.mark.parametrize("loose", [0o644, 0o640, 0o604, 0o620, 0o666])
def test_a_key_file_others_can_read_or_write_is_refused(
        capsys: pytest.CaptureFixture[str], data_dir: Path, loose: int) -> None:
    run_cli(capsys, "org", "create", "Acme")
    key_file = data_dir / SECRET_KEY_FILE
    key = key_file.read_text(encoding="utf-8").strip()
    key_file.chmod(loose)

    result = run_cli(capsys, "org", "list")

    assert result.code == 2
    assert result.out == ""
    assert str(key_file) in result.err and f"chmod 600 {key_file}" in result.err
    assert key not in result.err
    assert mode(key_file) == loose  # PostFlow does not quietly change it either


def test_a_private_key_file_is_accepted(
        capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    run_cli(capsys, "org", "create", "Acme")
    (data_dir / SECRET_KEY_FILE).chmod(0o400)

    result = run_cli(capsys, "org", "list")

    assert result.code == 0, result.err
    assert "Acme" in result.out


def test_an_existing_data_dir_keeps_its_mode(
        capsys: pytest.CaptureFixture[str], data_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder the operator made (a mounted volume) is theirs to set: PostFlow only creates."""
    monkeypatch.setenv("POSTFLOW_SECRET_KEY", "a-secret-key-from-the-environment")
    data_dir.mkdir(parents=True, mode=0o750)

    assert run_cli(capsys, "org", "create", "Acme").code == 0
    assert mode(data_dir) == 0o750
