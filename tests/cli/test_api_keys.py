from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import run_cli, use_cli_env


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")


@pytest.fixture
def org(capsys: pytest.CaptureFixture[str]) -> str:
    return str(run_cli(capsys, "org", "create", "Acme", "--json").json()["organization"]["id"])


def test_apikey_create_prints_the_key_once_with_a_warning(capsys: pytest.CaptureFixture[str],
                                                          org: str) -> None:
    result = run_cli(capsys, "apikey", "create", "--org", "Acme", "--name", "cms",
                     "--scopes", "posts:write,posts:read")

    assert result.code == 0
    key_line = next(line for line in result.out.splitlines() if line.startswith("Key:"))
    assert key_line.split()[-1].startswith("pf_key_")
    assert "only once" in result.out
    assert "posts:read, posts:write" in result.out


def test_apikey_create_refuses_an_unknown_scope_listing_the_known(
        capsys: pytest.CaptureFixture[str], org: str) -> None:
    result = run_cli(capsys, "apikey", "create", "--org", org, "--name", "cms",
                     "--scopes", "posts:read,posts:delete", "--json")

    assert result.code == 2
    error = result.json()["error"]
    assert error["details"]["unknown"] == ["posts:delete"]
    assert "usage:read" in error["message"]


def test_apikey_list_never_prints_a_key(capsys: pytest.CaptureFixture[str], org: str) -> None:
    created = run_cli(capsys, "apikey", "create", "--org", org, "--name", "cms",
                      "--scopes", "posts:read", "--json").json()

    human = run_cli(capsys, "apikey", "list", "--org", org)
    as_json = run_cli(capsys, "apikey", "list", "--org", org, "--json").json()

    assert created["api_key"]["id"] in human.out
    assert [k["id"] for k in as_json["api_keys"]] == [created["api_key"]["id"]]
    secret = created["key"].rsplit("_", 1)[1]
    for output in (human.out, str(as_json)):
        assert secret not in output


def test_apikey_rotate_prints_a_new_key_and_revoke_marks_it(
        capsys: pytest.CaptureFixture[str], org: str) -> None:
    created = run_cli(capsys, "apikey", "create", "--org", org, "--name", "cms",
                      "--scopes", "posts:read", "--json").json()
    key_id = created["api_key"]["id"]

    rotated = run_cli(capsys, "apikey", "rotate", key_id, "--org", org, "--json").json()
    revoked = run_cli(capsys, "apikey", "revoke", key_id, "--org", org, "--json").json()
    again = run_cli(capsys, "apikey", "rotate", key_id, "--org", org, "--json")

    assert rotated["key"] != created["key"] and rotated["key"].startswith(f"pf_{key_id}_")
    assert revoked["api_key"]["revoked_at"] is not None
    assert again.code == 2


def test_apikey_of_another_organization_is_not_found(capsys: pytest.CaptureFixture[str],
                                                     org: str) -> None:
    created = run_cli(capsys, "apikey", "create", "--org", org, "--name", "cms",
                      "--scopes", "posts:read", "--json").json()
    run_cli(capsys, "org", "create", "Globex")

    result = run_cli(capsys, "apikey", "revoke", created["api_key"]["id"], "--org", "Globex",
                     "--json")

    assert result.code == 2
    assert result.json()["error"]["code"] == "not_found"
