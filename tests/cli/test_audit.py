"""``postflow audit --org``: the organization's events, newest first, paged."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import run_cli, use_cli_env


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")


def test_audit_lists_newest_first_and_pages(capsys: pytest.CaptureFixture[str]) -> None:
    org_id = run_cli(capsys, "org", "create", "Acme", "--json").json()["organization"]["id"]
    run_cli(capsys, "connect", "sandbox", "--org", org_id, "--name", "demo")
    run_cli(capsys, "hook", "create", "--org", org_id, "--name", "CI")

    first = run_cli(capsys, "audit", "--org", org_id, "--limit", "2", "--json").json()
    second = run_cli(capsys, "audit", "--org", org_id, "--limit", "2", "--page", "2",
                     "--json").json()

    assert [e["action"] for e in first["events"]] == ["hook.created", "connection.added"]
    assert [e["action"] for e in second["events"]] == ["organization.created"]


def test_audit_of_another_organization_shows_only_its_events(
        capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "org", "create", "Acme")
    other = run_cli(capsys, "org", "create", "Globex", "--json").json()["organization"]["id"]

    events = run_cli(capsys, "audit", "--org", other, "--json").json()["events"]

    assert [e["subject_id"] for e in events] == [other]


def test_audit_prints_a_table_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "org", "create", "Acme")
    result = run_cli(capsys, "audit", "--org", "Acme")
    assert result.out.splitlines()[0].split() == ["AT", "ACTOR", "ACTION", "SUBJECT", "DATA"]
    assert "organization.created" in result.out
