"""The chat contract driver for the GATEWAY (its ``driver`` fixture: import it with ``*``):
discord.py's client (the gateway bot, bot/discord/gateway.py) connected to the fake Discord's
gateway, each command and press dispatched as INTERACTION_CREATE and answered by the bot's
callback; the messages out through the fake Discord's REST API, as over the HTTP endpoint
(tests/bot/discord/test_chat_contract.py, whose driver this one extends).

Uninstalling is Discord's GUILD_DELETE on the live connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from bot.discord.command_sync import DiscordApp
from composition.chat import chat_deliveries
from postflow.config import Settings
from postflow.organizations import Organization
from postflow.runtime import Runtime
from tests.bot.discord.conftest import GUILD, DiscordUser
from tests.bot.discord.gateway_harness import QuickBot, answered, running_bot
from tests.bot.discord.test_chat_contract import DiscordDriver
from tests.fakes.clock import ManualClock
from tests.fakes.discord_api import FakeDiscord
from tests.polling import eventually


@dataclass
class GatewayDriver(DiscordDriver):
    """Types and presses through the gateway bot instead of the HTTP endpoint."""

    bot: QuickBot | None = None

    async def interact(self, payload: dict[str, Any]) -> dict[str, Any]:
        """INTERACTION_CREATE on the live connection; the bot's callback (which the fake
        Discord applied: a type 7 edits the pressed message)."""
        await self.fake.gateway.interact(payload)
        return await answered(self.fake, payload)

    async def uninstall(self) -> None:
        await self.fake.remove_guild(GUILD)
        await eventually(self._removed, what="the server marked removed")

    async def _removed(self) -> bool:
        installation = await self.rt.store.find_chat_installation("discord", GUILD)
        return installation is not None and installation.removed_at is not None


@pytest.fixture
async def discord_py_on_the_fake(fake_discord: FakeDiscord) -> AsyncIterator[None]:
    """discord.py's REST and gateway pointed at the fake Discord (class attributes)."""
    base, gateway = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake_discord.api_url
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake_discord.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


@pytest.fixture
async def driver(rt: Runtime, settings: Settings, clock: ManualClock, org: Organization,
                 user: DiscordUser, fake_discord: FakeDiscord,
                 discord_py_on_the_fake: None) -> AsyncIterator[GatewayDriver]:
    app = DiscordApp.from_settings(rt, needs_application_id=False)
    async with running_bot(rt, app) as bot:
        # READY's GUILD_CREATE records the bot in the driver's (already linked) server.
        await eventually(lambda: rt.store.find_chat_installation("discord", GUILD),
                         what="the installation")
        yield GatewayDriver(rt, settings, clock, org,
                            chat_deliveries(settings, rt.store, rt.vault, clock), user,
                            fake_discord, bot=bot)
