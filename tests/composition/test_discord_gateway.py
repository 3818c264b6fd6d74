"""The gateway bot in its processes: ``postflow discord`` (run_discord) and ``postflow up``
(run_embedded) with a bot token, against the fake Discord."""

from __future__ import annotations

import asyncio

import pytest

from composition.discord_gateway import run_discord
from composition.processes import run_embedded
from postflow.config import Settings
from postflow.errors import BadInput, ConfigurationError
from tests.bot.discord.gateway_harness import *  # noqa: F403
from tests.bot.discord.gateway_harness import CHANNEL, GUILD, OWNER, answered, puts
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_gateway import IDENTIFY
from tests.polling import eventually

STOP_TIMEOUT = 30.0


async def test_postflow_up_runs_the_gateway_bot_when_a_bot_token_is_set(
        settings: Settings, fake: FakeDiscord) -> None:
    fake.add_guild(GUILD, "Acme", owner_id=OWNER, channels={CHANNEL: "general"})
    stop = asyncio.Event()
    task = asyncio.create_task(run_embedded(settings, stop))
    try:
        await eventually(lambda: fake.gateway.ready or task.done(), timeout=STOP_TIMEOUT,
                         what="the gateway identified")
        payload = fake.slash_command(GUILD, OWNER, "help", channel_id=CHANNEL)
        await fake.gateway.interact(payload)
        callback = await answered(fake, payload)
    finally:
        stop.set()
        await asyncio.wait_for(task, STOP_TIMEOUT)
    assert callback["type"] == 4
    assert len(fake.gateway.ops(IDENTIFY)) == 1


async def test_postflow_discord_registers_in_the_guild_given(
        settings: Settings, fake: FakeDiscord) -> None:
    fake.add_guild(GUILD, "Acme", owner_id=OWNER)
    stop = asyncio.Event()
    task = asyncio.create_task(run_discord(settings, stop, guild_id=GUILD))
    try:
        await eventually(lambda: fake.gateway.ready or task.done(), timeout=STOP_TIMEOUT)
    finally:
        stop.set()
        await asyncio.wait_for(task, STOP_TIMEOUT)
    assert puts(fake)() == [
        f"/api/v10/applications/{fake.application_id}/guilds/{GUILD}/commands"]


async def test_postflow_discord_with_a_refused_token_stops_with_a_configuration_error(
        settings: Settings, fake: FakeDiscord) -> None:
    fake.bot_token = "another-token"
    with pytest.raises(ConfigurationError, match="refused the bot token"):
        await asyncio.wait_for(run_discord(settings, asyncio.Event()), STOP_TIMEOUT)
    assert fake.gateway.connections == 0


async def test_postflow_discord_refuses_a_guild_that_is_not_an_id_before_connecting(
        settings: Settings, fake: FakeDiscord) -> None:
    with pytest.raises(BadInput):
        await run_discord(settings, asyncio.Event(), guild_id="my-server")
    assert fake.calls == [] and fake.gateway.connections == 0
