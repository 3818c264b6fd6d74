"""The fake Discord on loopback with discord.py pointed at it, and the gateway bot running
against it: fixtures for tests/bot/discord/test_gateway*.py and the sync tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from bot.discord.command_sync import DiscordApp
from bot.discord.gateway import GatewayBot
from postflow.config import Settings
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.serving import serving
from tests.polling import eventually

GUILD, CHANNEL, OWNER, MEMBER = ("500000000000000001", "500000000000000002",
                                 "500000000000000003", "500000000000000004")
READY_TIMEOUT = 5.0

# No voice here: keep its start-up log lines out.
discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False


class QuickBot(GatewayBot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False
                                   ) -> None:
        """No 5 s pause before a fresh IDENTIFY in tests."""


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    base, gateway = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    try:
        async with serving(fake.app()) as url:
            fake.base_url = url
            discord.http.Route.BASE = fake.api_url
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
            yield fake
    finally:
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


@pytest.fixture
def settings(tmp_path: Path, fake: FakeDiscord) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080",
                    discord_bot_token=fake.bot_token,  # type: ignore[arg-type]
                    discord_application_id=fake.application_id,
                    discord_api_url=fake.api_url)


@pytest.fixture
def app(rt: Runtime) -> DiscordApp:
    return DiscordApp.from_settings(rt)


@asynccontextmanager
async def running_bot(rt: Runtime, app: DiscordApp, *, guild_id: str | None = None,
                      queue: PublishQueue | None = None) -> AsyncIterator[QuickBot]:
    """The gateway bot connected and ready; closed before the fake stops (else it keeps
    reconnecting)."""
    bot = QuickBot(rt, queue, app, guild_id=guild_id, guild_ready_timeout=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(bot.serve(stop))
    try:
        await eventually(lambda: bot.ready.is_set() or _failed(task), timeout=READY_TIMEOUT,
                         what="the bot ready")
        yield bot
    finally:
        stop.set()
        await asyncio.wait_for(task, READY_TIMEOUT)


def _failed(task: asyncio.Task[None]) -> bool:
    if task.done():
        task.result()  # raises what stopped the bot
        raise AssertionError("the bot stopped")
    return False


async def answered(fake: FakeDiscord, payload: dict[str, Any]) -> dict[str, Any]:
    """The callback body the bot posted for ``payload`` (dispatched by the test)."""
    interaction = fake.interactions[payload["id"]]
    await eventually(lambda: interaction.callbacks or None, timeout=READY_TIMEOUT,
                     what="the interaction's callback")
    return interaction.callbacks[0]


def puts(fake: FakeDiscord) -> Callable[[], list[str]]:
    """The paths of the command overwrites Discord received, so far."""
    return lambda: [c.path for c in fake.calls if c.method == "PUT"]
