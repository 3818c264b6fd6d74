from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import run_cli, use_cli_env


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")


def test_connect_sandbox_prints_the_connection_id(capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "org", "create", "Acme")

    result = run_cli(capsys, "connect", "sandbox", "--org", "Acme", "--name", "demo", "--json")

    assert result.code == 0
    connection = result.json()["connection"]
    assert connection["id"].startswith("conn_")
    assert (connection["network"], connection["display_name"]) == ("sandbox", "demo")


def test_connect_sandbox_accepts_the_org_id(capsys: pytest.CaptureFixture[str]) -> None:
    org_id = run_cli(capsys, "org", "create", "Acme", "--json").json()["organization"]["id"]

    result = run_cli(capsys, "connect", "sandbox", "--org", org_id, "--name", "demo")

    assert result.code == 0
    assert "conn_" in result.out


def test_connections_list_shows_accounts_without_tokens(
        capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "org", "create", "Acme")
    conn_id = run_cli(capsys, "connect", "sandbox", "--org", "Acme", "--name", "demo",
                      "--json").json()["connection"]["id"]

    human = run_cli(capsys, "connections", "list", "--org", "Acme")
    as_json = run_cli(capsys, "connections", "list", "--org", "Acme", "--json")

    assert conn_id in human.out
    assert [c["id"] for c in as_json.json()["connections"]] == [conn_id]
    for output in (human.out, as_json.out):
        assert "sealed" not in output and "sbxtok" not in output


def test_unknown_org_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "connect", "sandbox", "--org", "Nobody", "--name", "demo")

    assert result.code == 2
    assert result.err.startswith("error: No organization is named 'Nobody': ")


def test_set_timezone_overrides_the_organizations_zone(capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "org", "create", "Acme", "--timezone", "Asia/Kolkata")
    conn_id = run_cli(capsys, "connect", "sandbox", "--org", "Acme", "--name", "demo",
                      "--json").json()["connection"]["id"]

    result = run_cli(capsys, "connections", "set-timezone", conn_id, "--org", "Acme",
                     "--timezone", "Europe/Paris", "--json")
    listed = run_cli(capsys, "connections", "list", "--org", "Acme")

    assert result.code == 0
    assert (result.json()["connection"]["timezone"], result.json()["effective_timezone"]) == (
        "Europe/Paris", "Europe/Paris")
    assert "Europe/Paris" in listed.out


def test_set_timezone_clear_goes_back_to_the_organizations_zone(
        capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "org", "create", "Acme", "--timezone", "Asia/Kolkata")
    conn_id = run_cli(capsys, "connect", "sandbox", "--org", "Acme", "--name", "demo",
                      "--json").json()["connection"]["id"]
    run_cli(capsys, "connections", "set-timezone", conn_id, "--org", "Acme",
            "--timezone", "Europe/Paris")

    result = run_cli(capsys, "connections", "set-timezone", conn_id, "--org", "Acme", "--clear")

    assert result.code == 0
    assert "organization's zone, Asia/Kolkata" in result.out
    listed = run_cli(capsys, "connections", "list", "--org", "Acme", "--json")
    assert listed.json()["connections"][0]["timezone"] is None


@pytest.mark.parametrize(("args", "message"), [
    (["--timezone", "Mars/Olympus"], "Mars/Olympus"),
    ([], "one of the arguments --timezone --clear is required"),
    (["--timezone", "Europe/Paris", "--clear"], "not allowed with"),
])
def test_set_timezone_refuses_a_bad_request_with_exit_2(capsys: pytest.CaptureFixture[str],
                                                        args: list[str], message: str) -> None:
    run_cli(capsys, "org", "create", "Acme")
    conn_id = run_cli(capsys, "connect", "sandbox", "--org", "Acme", "--name", "demo",
                      "--json").json()["connection"]["id"]

    result = run_cli(capsys, "connections", "set-timezone", conn_id, "--org", "Acme", *args)

    assert result.code == 2
    assert message in result.err
