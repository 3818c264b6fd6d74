"""Registering ``/postflow`` only when its definition changed, per scope, against the fake
Discord's REST API."""

from __future__ import annotations

import dataclasses

import pytest

from bot.discord.command_sync import DiscordApp, commands_digest, sync_commands
from bot.discord.command_tree import command_payload
from postflow.errors import BadInput, ConfigurationError
from postflow.runtime import Runtime
from tests.bot.discord.gateway_harness import *  # noqa: F403
from tests.bot.discord.gateway_harness import GUILD, OWNER, puts
from tests.fakes.discord_api import FakeDiscord

GLOBAL_PUT = "/api/v10/applications/{app}/commands"


async def test_the_first_sync_sends_the_commands_and_records_their_digest(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    result = await sync_commands(rt, app)
    assert result.sent and result.scope == "global"
    assert puts(fake)() == [GLOBAL_PUT.format(app=fake.application_id)]
    [call] = fake.calls
    assert call.body == command_payload() and call.auth == f"Bot {fake.bot_token}"
    assert await rt.store.get_chat_commands_digest("discord", "global") == result.digest


async def test_an_unchanged_definition_is_not_sent_again(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    await sync_commands(rt, app)
    again = await sync_commands(rt, app)
    assert not again.sent
    assert len(puts(fake)()) == 1


async def test_a_changed_definition_is_sent(rt: Runtime, app: DiscordApp,
                                            fake: FakeDiscord) -> None:
    await sync_commands(rt, app)
    changed = command_payload()
    changed[0]["description"] = "Something else."
    result = await sync_commands(rt, app, payload=changed)
    assert result.sent
    assert fake.calls[-1].body == changed


async def test_force_sends_an_unchanged_definition(rt: Runtime, app: DiscordApp,
                                                   fake: FakeDiscord) -> None:
    await sync_commands(rt, app)
    assert (await sync_commands(rt, app, force=True)).sent
    assert len(puts(fake)()) == 2


async def test_each_guild_is_its_own_scope(rt: Runtime, app: DiscordApp,
                                           fake: FakeDiscord) -> None:
    fake.add_guild(GUILD, owner_id=OWNER)
    await sync_commands(rt, app)
    result = await sync_commands(rt, app, GUILD)
    assert result.sent and result.scope == f"guild:{GUILD}"
    assert puts(fake)()[-1] == (
        f"/api/v10/applications/{fake.application_id}/guilds/{GUILD}/commands")


async def test_a_refused_token_is_a_configuration_error_recording_nothing(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    wrong = DiscordApp(app.application_id, "not-the-token", app.api_url)
    with pytest.raises(ConfigurationError) as refused:
        await sync_commands(rt, wrong)
    assert "not-the-token" not in refused.value.message
    assert "not-the-token" not in repr(wrong)
    assert await rt.store.get_chat_commands_digest("discord", "global") is None


async def test_a_server_the_bot_is_not_in_is_refused_recording_nothing(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    with pytest.raises(ConfigurationError):
        await sync_commands(rt, app, "123456789")
    assert await rt.store.get_chat_commands_digest("discord", "guild:123456789") is None


@pytest.mark.parametrize("guild", ["", "12ab", "1" * 21, "٣٣", "../x"])
async def test_a_guild_id_that_is_not_a_snowflake_is_refused_before_any_call(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord, guild: str) -> None:
    with pytest.raises(BadInput):
        await sync_commands(rt, app, guild)
    assert fake.calls == []


def test_the_digest_ignores_key_order() -> None:
    assert (commands_digest([{"a": 1, "b": [1, 2]}])
            == commands_digest([{"b": [1, 2], "a": 1}]))
    assert commands_digest([{"a": 1}]) != commands_digest([{"a": 2}])


async def test_without_an_application_id_registration_is_a_configuration_error(
        rt: Runtime) -> None:
    bare = rt.settings.model_copy(update={"discord_application_id": None})
    with pytest.raises(ConfigurationError) as refused:
        DiscordApp.from_settings(dataclasses.replace(rt, settings=bare))
    assert refused.value.details == {"setting": "POSTFLOW_DISCORD_APPLICATION_ID"}
