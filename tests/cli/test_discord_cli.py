"""``postflow discord install-url``, ``postflow discord sync-commands`` against the fake
Discord, and the refusals of ``postflow discord`` that need no connection (the bot itself:
tests/composition/test_discord_gateway.py)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.discord.install import permissions_integer
from tests.cli import run_cli, use_cli_env
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.serving import serving

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


@pytest.fixture
def fake_in_thread() -> Iterator[FakeDiscord]:
    """The fake Discord served from its own thread and loop: the CLI runs its own loop."""
    fake = FakeDiscord()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop = asyncio.Event()

    async def serve() -> None:
        async with serving(fake.app()) as url:
            fake.base_url = url
            started.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert started.wait(10)
    try:
        yield fake
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


def test_sync_commands_sends_the_commands_once_until_they_change(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        fake_in_thread: FakeDiscord) -> None:
    fake = fake_in_thread
    monkeypatch.setenv("POSTFLOW_DISCORD_APPLICATION_ID", fake.application_id)
    monkeypatch.setenv("POSTFLOW_DISCORD_BOT_TOKEN", fake.bot_token)
    monkeypatch.setenv("POSTFLOW_DISCORD_API_URL", fake.api_url)

    first = run_cli(capsys, "discord", "sync-commands", "--json")
    second = run_cli(capsys, "discord", "sync-commands")
    forced = run_cli(capsys, "discord", "sync-commands", "--force", "--json")

    assert first.json() == {"scope": "global", "sent": True, "commands": 1}
    assert second.code == 0 and "nothing sent" in second.out
    assert forced.json()["sent"] is True
    assert [c.key for c in fake.calls] == ["PUT /applications/{app_id}/commands"] * 2
