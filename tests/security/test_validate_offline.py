"""``postflow validate`` needs no network credentials: counting is offline, so every built-in
network validates with no OAuth client configured (through the CLI's real entry point)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import run_cli, use_cli_env

#: Each built-in network, a text, and the length that network counts for it.
BUILT_IN = {
    "x": ("Ship it \U0001F680 https://example.com/releases/1.2", 7 + 1 + 2 + 1 + 23),
    "linkedin": ("Ship it \U0001F680", 10),
    "facebook": ("Ship it", 7),
    "sandbox": ("Ship it", 7),
}


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")
    for name in ("X_CLIENT_ID", "X_CLIENT_SECRET", "LINKEDIN_CLIENT_ID",
                 "LINKEDIN_CLIENT_SECRET", "FACEBOOK_APP_ID", "FACEBOOK_APP_SECRET"):
        monkeypatch.delenv(f"POSTFLOW_{name}", raising=False)


@pytest.mark.parametrize("network", sorted(BUILT_IN))
def test_every_built_in_network_validates_without_credentials(
        capsys: pytest.CaptureFixture[str], network: str) -> None:
    text, length = BUILT_IN[network]

    result = run_cli(capsys, "validate", "--network", network, "--text", text, "--json")

    assert result.code == 0, result.err
    report = result.json()
    assert (report["network"], report["length"], report["valid"]) == (network, length, True)


def test_a_text_over_the_cap_is_reported_not_counted(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "validate", "--network", "x", "--text", "a." * 5000, "--json")

    report = result.json()
    assert report["valid"] is False
    assert [p["code"] for p in report["problems"]] == ["over_cap"]


def test_an_unknown_network_is_still_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "validate", "--network", "myspace", "--text", "hi")

    assert result.code != 0
    assert "myspace" in result.err
