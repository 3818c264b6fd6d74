"""``postflow connect facebook`` and ``postflow validate --network facebook`` at the shell."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.cli import run_cli, use_cli_env


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")
    monkeypatch.setenv("POSTFLOW_FACEBOOK_APP_ID", "1234567890")
    monkeypatch.setenv("POSTFLOW_FACEBOOK_APP_SECRET", "cli-app-secret")
    monkeypatch.setenv("POSTFLOW_PUBLIC_URL", "https://postflow.example")


def test_connect_facebook_prints_a_start_link(capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "org", "create", "Acme")

    result = run_cli(capsys, "connect", "facebook", "--org", "Acme")

    assert result.code == 0, result.err
    assert "connect Facebook Pages" in result.out
    url = urlsplit(result.out.splitlines()[-1])
    assert (url.netloc, url.path) == ("postflow.example", "/oauth/facebook/start")
    assert "cli-app-secret" not in result.out


def test_connect_facebook_without_settings_says_what_to_set(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSTFLOW_FACEBOOK_APP_SECRET")
    run_cli(capsys, "org", "create", "Acme")

    result = run_cli(capsys, "connect", "facebook", "--org", "Acme")

    assert result.code == 2


def test_validate_a_local_file_for_facebook_says_it_needs_a_public_url(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG")

    result = run_cli(capsys, "validate", "--network", "facebook", "--text", "hi",
                     "--media", str(image), "--json")

    report = result.json()
    assert (report["limit"], report["valid"]) == (63_206, False)
    assert [p["code"] for p in report["problems"]] == ["invalid_media_url"]
