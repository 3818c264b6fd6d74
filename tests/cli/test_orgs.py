from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import run_cli, use_cli_env


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")


def test_org_create_prints_id_name_and_plan(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "org", "create", "Acme", "--timezone", "Europe/Paris")

    assert result.code == 0
    assert "'Acme'" in result.out
    assert "id org_" in result.out
    assert "plan free" in result.out
    assert "Europe/Paris" in result.out


def test_org_create_json_is_one_parseable_document(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "org", "create", "Acme", "--json")

    assert result.code == 0
    org = result.json()["organization"]
    assert org["id"].startswith("org_")
    assert (org["name"], org["plan"], org["timezone"]) == ("Acme", "free", "UTC")


def test_json_flag_may_come_before_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "--json", "org", "create", "Acme")

    assert result.json()["organization"]["name"] == "Acme"


def test_duplicate_org_exits_2_with_one_line_message(capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "org", "create", "Acme")

    result = run_cli(capsys, "org", "create", "Acme")

    assert result.code == 2
    assert result.out == ""
    assert result.err == "error: An organization named 'Acme' already exists.\n"


def test_unknown_timezone_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "org", "create", "Acme", "--timezone", "Mars/Olympus")

    assert result.code == 2
    assert "IANA" in result.err


def test_org_list_shows_every_org(capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "org", "create", "Acme")
    run_cli(capsys, "org", "create", "Globex")

    human = run_cli(capsys, "org", "list")
    as_json = run_cli(capsys, "org", "list", "--json")

    assert human.code == 0
    assert "Acme" in human.out and "Globex" in human.out
    assert sorted(o["name"] for o in as_json.json()["organizations"]) == ["Acme", "Globex"]
