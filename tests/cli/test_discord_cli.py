"""``postflow discord install-url`` and the refusals of ``postflow discord [sync-commands]``
that need no connection (the bot and registration themselves: tests/composition,
tests/bot/discord)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.discord.install import permissions_integer
from tests.cli import run_cli, use_cli_env

APP_ID = "777000000000000001"


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")


def test_install_url_prints_the_url_and_the_permissions_it_asks_for(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTFLOW_DISCORD_APPLICATION_ID", APP_ID)
    human = run_cli(capsys, "discord", "install-url")
    as_json = run_cli(capsys, "discord", "install-url", "--json").json()
    url = (f"https://discord.com/oauth2/authorize?client_id={APP_ID}"
           f"&scope=bot+applications.commands&permissions={permissions_integer()}")
    assert human.code == 0 and human.out.splitlines()[0] == url
    assert "Create Public Threads" in human.out
    assert as_json["url"] == url and as_json["permissions"] == permissions_integer()


def test_install_url_without_the_application_id_says_which_setting(
        capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "discord", "install-url", "--json")
    assert result.code == 2
    assert result.json()["error"]["details"] == {"setting": "POSTFLOW_DISCORD_APPLICATION_ID"}


def test_an_application_id_that_is_not_a_number_is_a_configuration_error(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTFLOW_DISCORD_APPLICATION_ID", "https://evil.example/?")
    result = run_cli(capsys, "discord", "install-url")
    assert result.code == 2
    assert "POSTFLOW_DISCORD_APPLICATION_ID is not valid" in result.err
    assert "evil.example" not in result.out + result.err


def test_sync_commands_without_the_bot_token_says_which_setting(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTFLOW_DISCORD_APPLICATION_ID", APP_ID)
    result = run_cli(capsys, "discord", "sync-commands", "--json")
    assert result.code == 2
    assert result.json()["error"]["details"] == {"setting": "POSTFLOW_DISCORD_BOT_TOKEN"}


def test_a_guild_that_is_not_an_id_is_refused(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTFLOW_DISCORD_APPLICATION_ID", APP_ID)
    monkeypatch.setenv("POSTFLOW_DISCORD_BOT_TOKEN", "token")
    for argv in (("discord", "--guild", "x1"), ("discord", "sync-commands", "--guild", "x1")):
        result = run_cli(capsys, *argv, "--json")
        assert result.code == 2 and result.json()["error"]["code"] == "bad_input"
