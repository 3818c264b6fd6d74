"""``postflow validate`` and ``postflow connect x`` at the shell."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.cli import run_cli, use_cli_env


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")
    monkeypatch.setenv("POSTFLOW_X_CLIENT_ID", "cli-client")
    monkeypatch.setenv("POSTFLOW_X_CLIENT_SECRET", "cli-secret")
    monkeypatch.setenv("POSTFLOW_PUBLIC_URL", "https://postflow.example")


def test_validate_prints_x_length_limit_and_validity_as_json(
        capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "validate", "--network", "x", "--text",
                     "Ship it 🚀 https://example.com/releases/1.2", "--json")

    assert result.code == 0
    assert result.json() == {"network": "x", "length": 7 + 1 + 2 + 1 + 23, "limit": 280,
                             "valid": True, "problems": []}


def test_validate_names_every_problem(capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG")
    media = [arg for _ in range(5) for arg in ("--media", str(image))]

    result = run_cli(capsys, "validate", "--network", "x", "--text", "字" * 141, *media,
                     "--json")

    report = result.json()
    assert (report["length"], report["valid"]) == (282, False)
    assert [p["code"] for p in report["problems"]] == ["too_long", "too_many_media"]


def test_validate_for_people_prints_the_count(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "validate", "--network", "x", "--text", "hello")

    assert result.out.splitlines()[0] == "x: 5/280, fits."


def test_validate_an_unknown_network_is_a_usage_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "validate", "--network", "myspace", "--text", "hi", "--json")

    assert result.code == 2
    assert result.json()["error"]["code"] == "bad_input"


def test_connect_x_prints_a_start_link(capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "org", "create", "Acme")

    result = run_cli(capsys, "connect", "x", "--org", "Acme", "--json")

    assert result.code == 0, result.err
    url = urlsplit(result.json()["url"])
    assert (url.scheme, url.netloc, url.path) == ("https", "postflow.example", "/oauth/x/start")
    assert url.query.startswith("state=")
    assert "cli-secret" not in result.out


def test_connect_x_without_settings_says_what_to_set(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSTFLOW_X_CLIENT_SECRET")
    run_cli(capsys, "org", "create", "Acme")

    result = run_cli(capsys, "connect", "x", "--org", "Acme")

    assert result.code == 2
    assert "client id and secret" in result.err
