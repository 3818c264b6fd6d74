"""``postflow connections disconnect``: the account is let go, its posts and queue stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli import run_cli, use_cli_env


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")


def connect(capsys: pytest.CaptureFixture[str]) -> str:
    run_cli(capsys, "org", "create", "Acme")
    return str(run_cli(capsys, "connect", "sandbox", "--org", "Acme", "--name", "demo",
                       "--json").json()["connection"]["id"])


def test_disconnect_marks_the_account_and_says_how_to_reconnect(
        capsys: pytest.CaptureFixture[str]) -> None:
    conn_id = connect(capsys)

    result = run_cli(capsys, "connections", "disconnect", conn_id, "--org", "Acme")

    assert result.code == 0, result.err
    assert f"Disconnected demo (sandbox, {conn_id})" in result.out
    assert "postflow connect sandbox --org" in result.out
    listed = run_cli(capsys, "connections", "list", "--org", "Acme", "--json").json()
    assert [(c["id"], c["status"]) for c in listed["connections"]] == [
        (conn_id, "disconnected")]


def test_disconnect_as_json_counts_the_posts_still_waiting(
        capsys: pytest.CaptureFixture[str]) -> None:
    conn_id = connect(capsys)
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    made = run_cli(capsys, "posts", "create", "--org", "Acme", "--text", "Later",
                   "--target", conn_id, "--at", later, "--json")
    assert made.code == 0, made.err

    result = run_cli(capsys, "connections", "disconnect", conn_id, "--org", "Acme", "--json")

    assert result.code == 0, result.err
    answer = result.json()
    assert answer["connection"]["status"] == "disconnected"
    assert (answer["already_disconnected"], answer["waiting_posts"]) == (False, 1)
    assert "sealed" not in result.out and "sbxtok" not in result.out


def test_disconnecting_twice_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    conn_id = connect(capsys)
    run_cli(capsys, "connections", "disconnect", conn_id, "--org", "Acme")

    again = run_cli(capsys, "connections", "disconnect", conn_id, "--org", "Acme", "--json")

    assert again.code == 0
    assert again.json()["already_disconnected"] is True


def test_an_unknown_connection_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    connect(capsys)

    result = run_cli(capsys, "connections", "disconnect", "conn_nope", "--org", "Acme")

    assert result.code != 0
    assert result.err.startswith("error: ")
