from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import postflow
from tests.cli import run_cli, use_cli_env


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "--version")

    assert result.code == 0
    assert result.out.strip() == f"postflow {postflow.__version__}"


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "org", "create")

    assert result.code == 2
    assert "usage:" in result.err


def test_missing_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys).code == 2


def test_json_error_goes_to_stdout_with_code_message_and_details(
        capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "posts", "list", "--org", "Nobody", "--json")

    assert result.code == 2
    assert result.json() == {"error": {"code": "not_found",
                                       "message": "No organization is named 'Nobody': "
                                                  "`postflow org list` shows every "
                                                  "organization and its id.",
                                       "details": {"org": "Nobody"}}}
    assert "error" not in result.err


def test_limit_error_exits_2_with_details(capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "org", "create", "Acme")
    for name in ("a", "b", "c"):
        run_cli(capsys, "connect", "sandbox", "--org", "Acme", "--name", name)

    result = run_cli(capsys, "connect", "sandbox", "--org", "Acme", "--name", "d", "--json")

    assert result.code == 2
    error = result.json()["error"]
    assert error["code"] == "limit_reached"
    assert error["details"]["limit"] == "connected_accounts"


def test_invalid_setting_exits_2_naming_the_variable(capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTFLOW_HTTP_PORT", "not-a-port")

    result = run_cli(capsys, "org", "list")

    assert result.code == 2
    assert result.err.startswith("error: POSTFLOW_HTTP_PORT is not valid")
    assert "not-a-port" not in result.err


def test_unknown_log_level_exits_2(capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTFLOW_LOG_LEVEL", "LOUD")

    result = run_cli(capsys, "org", "list")

    assert result.code == 2
    assert "POSTFLOW_LOG_LEVEL" in result.err


def test_unexpected_error_exits_1_with_one_line_and_no_traceback(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(rt: object) -> int:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("cli.keys.reseal_all", broken)

    result = run_cli(capsys, "keys", "reseal")

    assert result.code == 1
    assert result.err.startswith("error: unexpected failure (RuntimeError: disk on fire)")
    assert "Traceback" not in result.err


def test_unexpected_error_shows_the_traceback_at_debug(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(rt: object) -> int:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("cli.keys.reseal_all", broken)
    monkeypatch.setenv("POSTFLOW_LOG_LEVEL", "DEBUG")

    result = run_cli(capsys, "keys", "reseal")

    assert result.code == 1
    assert "Traceback" in result.err


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "cli.main", "--version"],
                          capture_output=True, text=True, timeout=60, check=False)

    assert done.returncode == 0
    assert done.stdout.startswith("postflow ")
