from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import run_cli, use_cli_env


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")
    monkeypatch.setenv("POSTFLOW_PUBLIC_URL", "https://postflow.example.com/")


@pytest.fixture
def org(capsys: pytest.CaptureFixture[str]) -> str:
    return str(run_cli(capsys, "org", "create", "Acme", "--json").json()["organization"]["id"])


def test_hook_create_prints_url_and_secret_with_a_warning(
        capsys: pytest.CaptureFixture[str], org: str) -> None:
    result = run_cli(capsys, "hook", "create", "--org", "Acme", "--name", "ci")

    assert result.code == 0
    lines = result.out.splitlines()
    url_line = next(line for line in lines if line.startswith("URL:"))
    assert url_line.split()[-1].startswith("https://postflow.example.com/v1/hooks/hook_")
    assert any(line.startswith("Secret: whsec_") for line in lines)
    assert "only once" in result.out


def test_hook_create_json_holds_url_and_secret(capsys: pytest.CaptureFixture[str],
                                               org: str) -> None:
    result = run_cli(capsys, "hook", "create", "--org", org, "--name", "ci", "--review",
                     "--json")

    body = result.json()
    assert body["url"] == f"https://postflow.example.com/v1/hooks/{body['hook']['id']}"
    assert body["secret"].startswith("whsec_")
    assert body["hook"]["review_required"] is True


def test_hook_list_never_prints_the_secret(capsys: pytest.CaptureFixture[str], org: str) -> None:
    created = run_cli(capsys, "hook", "create", "--org", "Acme", "--name", "ci", "--json").json()

    human = run_cli(capsys, "hook", "list", "--org", "Acme")
    as_json = run_cli(capsys, "hook", "list", "--org", "Acme", "--json")

    assert created["hook"]["id"] in human.out
    assert [h["url"] for h in as_json.json()["hooks"]] == [created["url"]]
    for output in (human.out, as_json.out):
        assert created["secret"] not in output
        assert "whsec_" not in output and "sealed" not in output


def test_hook_rotate_prints_a_new_secret(capsys: pytest.CaptureFixture[str], org: str) -> None:
    created = run_cli(capsys, "hook", "create", "--org", "Acme", "--name", "ci", "--json").json()

    result = run_cli(capsys, "hook", "rotate", "--org", "Acme", created["hook"]["id"], "--json")

    assert result.code == 0
    body = result.json()
    assert body["secret"].startswith("whsec_")
    assert body["secret"] != created["secret"]
    assert body["hook"]["previous_secret_expires_at"] is not None


def test_hook_rotate_of_unknown_hook_exits_2(capsys: pytest.CaptureFixture[str],
                                             org: str) -> None:
    result = run_cli(capsys, "hook", "rotate", "--org", "Acme", "hook_nope")

    assert result.code == 2
    assert result.err.startswith("error: No hook 'hook_nope'")


def test_hook_test_renders_a_payload_without_posting(capsys: pytest.CaptureFixture[str],
                                                     org: str, tmp_path: Path) -> None:
    template = tmp_path / "release.j2"
    template.write_text("{% block text %}{{ payload.release.name }} is out{% endblock %}"
                        "{% block networks %}sandbox{% endblock %}")
    payload = tmp_path / "release.json"
    payload.write_text('{"release": {"name": "v1.2"}}')
    created = run_cli(capsys, "hook", "create", "--org", "Acme", "--name", "gh", "--template",
                      str(template), "--signature", "github", "--json").json()

    result = run_cli(capsys, "hook", "test", created["hook"]["id"], "--org", "Acme",
                     "--payload", str(payload), "--json")

    assert created["hook"]["templated"] is True and created["hook"]["signature"] == "github"
    assert result.json() == {"skipped": False, "posted": False,
                             "post": {"text": "v1.2 is out", "networks": ["sandbox"]}}


def test_hook_create_with_a_broken_template_names_the_line(
        capsys: pytest.CaptureFixture[str], org: str, tmp_path: Path) -> None:
    template = tmp_path / "broken.j2"
    template.write_text("{% block text %}\n{{ payload.x( }}{% endblock %}")

    result = run_cli(capsys, "hook", "create", "--org", "Acme", "--name", "gh", "--template",
                     str(template))

    assert result.code != 0 and "line 2" in result.err


def test_hook_update_takes_the_template_away(capsys: pytest.CaptureFixture[str], org: str,
                                             tmp_path: Path) -> None:
    template = tmp_path / "t.j2"
    template.write_text("{% block text %}x{% endblock %}")
    created = run_cli(capsys, "hook", "create", "--org", "Acme", "--name", "cms", "--template",
                      str(template), "--json").json()

    updated = run_cli(capsys, "hook", "update", created["hook"]["id"], "--org", "Acme",
                      "--no-template", "--json")

    assert updated.json()["hook"]["templated"] is False
