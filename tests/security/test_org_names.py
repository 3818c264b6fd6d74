"""Issue 15, item 5: an organization's name is not an identifier. Installing the Slack app can
create an organization with any name, so ``--org NAME`` resolves only when exactly one
organization answers to that name (compared without case); otherwise the CLI refuses and lists
the ids that match."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import run_cli, use_cli_env


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")


def create_org(capsys: pytest.CaptureFixture[str], name: str) -> str:
    result = run_cli(capsys, "org", "create", name, "--json")
    assert result.code == 0, result.err
    return str(result.json()["organization"]["id"])


def hook_names(capsys: pytest.CaptureFixture[str], org_id: str) -> list[str]:
    result = run_cli(capsys, "hook", "list", "--org", org_id, "--json")
    assert result.code == 0, result.err
    return [h["name"] for h in result.json()["hooks"]]


def test_a_unique_name_still_selects_its_organization(
        capsys: pytest.CaptureFixture[str]) -> None:
    acme = create_org(capsys, "Acme")
    create_org(capsys, "Globex")

    result = run_cli(capsys, "hook", "create", "--org", "Acme", "--name", "ci")

    assert result.code == 0, result.err
    assert hook_names(capsys, acme) == ["ci"]


def test_a_name_two_organizations_answer_to_is_refused_with_their_ids(
        capsys: pytest.CaptureFixture[str]) -> None:
    acme = create_org(capsys, "Acme")
    lookalike = create_org(capsys, "ACME")  # say, a Slack workspace that installed the app

    result = run_cli(capsys, "hook", "create", "--org", "Acme", "--name", "ci")

    assert result.code == 2
    assert result.out == ""
    assert acme in result.err and lookalike in result.err
    assert "--org" in result.err
    assert hook_names(capsys, acme) == [] and hook_names(capsys, lookalike) == []


def test_an_id_selects_its_organization_whatever_the_names(
        capsys: pytest.CaptureFixture[str]) -> None:
    acme = create_org(capsys, "Acme")
    create_org(capsys, "acme")

    result = run_cli(capsys, "hook", "create", "--org", acme, "--name", "ci")

    assert result.code == 0, result.err
    assert hook_names(capsys, acme) == ["ci"]


def test_an_unknown_name_says_where_to_find_the_ids(capsys: pytest.CaptureFixture[str]) -> None:
    create_org(capsys, "Acme")

    result = run_cli(capsys, "posts", "list", "--org", "Initech")

    assert result.code == 2
    assert "'Initech'" in result.err and "postflow org list" in result.err


def test_an_unknown_id_is_not_looked_up_as_a_name(capsys: pytest.CaptureFixture[str]) -> None:
    create_org(capsys, "org_lookalike")

    result = run_cli(capsys, "posts", "list", "--org", "org_lookalike")

    assert result.code == 2
    assert "postflow org list" in result.err
