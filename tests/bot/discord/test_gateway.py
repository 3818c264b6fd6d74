"""The gateway bot: discord.py itself against the fake Discord's gateway and REST. Servers
joined become organizations, interactions get the HTTP endpoint's answers as callbacks, the
connection resumes after a dropped socket, a removal marks the server gone."""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.discord.command_sync import DiscordApp
from bot.discord.command_tree import command_payload
from bot.discord.interactions import answer_interaction, read_interaction
from postflow.notices.events import ChatAppRemoved, Notice
from postflow.organizations import Role
from postflow.runtime import Runtime
from tests.bot.discord.gateway_harness import *  # noqa: F403
from tests.bot.discord.gateway_harness import (
    CHANNEL,
    GUILD,
    MEMBER,
    OWNER,
    answered,
    puts,
    running_bot,
)
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_gateway import IDENTIFY, RESUME
from tests.polling import eventually


async def test_a_server_in_ready_becomes_an_organization_named_after_it_with_its_owner(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    fake.add_guild(GUILD, "Acme Social", owner_id=OWNER, channels={CHANNEL: "general"})
    async with running_bot(rt, app):
        installation = await eventually(
            lambda: rt.store.find_chat_installation("discord", GUILD), what="the install")
    [identify] = fake.gateway.ops(IDENTIFY)
    assert identify["d"]["intents"] == 1  # guilds only: nothing privileged
    org = await rt.store.find_organization_by_name("Acme Social")
    assert org is not None and installation.org_id == org.id
    assert installation.workspace_name == "Acme Social"
    assert installation.sealed_bot_token == ""
    owner = await rt.store.find_member(org.id, "discord", GUILD, OWNER)
    assert owner is not None and owner.role is Role.OWNER


async def test_a_server_joined_while_connected_becomes_an_organization(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    async with running_bot(rt, app):
        await fake.join_guild(GUILD, "Late Joiners", owner_id=OWNER)
        await eventually(lambda: rt.store.find_workspace("discord", GUILD),
                         what="the workspace")
    org = await rt.store.find_organization_by_name("Late Joiners")
    assert org is not None
    assert await rt.store.find_member(org.id, "discord", GUILD, OWNER) is not None


async def test_a_server_seen_again_keeps_its_one_organization(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    fake.add_guild(GUILD, "Acme", owner_id=OWNER)
    async with running_bot(rt, app):
        await eventually(lambda: rt.store.find_workspace("discord", GUILD))
    async with running_bot(rt, app):
        pass
    assert [o.name for o in await rt.store.list_organizations()] == ["Acme"]


async def test_a_command_is_answered_by_callback_with_the_http_endpoints_answer(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    fake.add_guild(GUILD, "Acme", owner_id=OWNER, channels={CHANNEL: "general"})
    async with running_bot(rt, app):
        await eventually(lambda: rt.store.find_workspace("discord", GUILD))
        payload = fake.slash_command(GUILD, OWNER, "help", channel_id=CHANNEL)
        await fake.gateway.interact(payload)
        callback = await answered(fake, payload)
    expected = await answer_interaction(rt, None, read_interaction(payload))
    assert callback == json_of(expected)
    assert callback["type"] == 4
    assert callback["data"]["content"].startswith("You are Owner of Acme.")
    [call] = fake.calls_to("POST /interactions/{interaction_id}/{token}/callback")
    assert call.auth == ""  # the interaction's token is the credential, never the bot's


async def test_every_interaction_type_goes_to_the_shared_handler(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    fake.add_guild(GUILD, "Acme", owner_id=OWNER, channels={CHANNEL: "general"})
    async with running_bot(rt, app):
        button = fake.button_press(GUILD, OWNER, "postflow:anything", channel_id=CHANNEL)
        form = fake.modal_submit(GUILD, OWNER, "postflow:form", {"text": "hi"},
                                 channel_id=CHANNEL)
        for payload in (button, form):
            await fake.gateway.interact(payload)
        answers = [await answered(fake, p) for p in (button, form)]
    for payload, callback in zip((button, form), answers, strict=True):
        assert callback == json_of(await answer_interaction(rt, None,
                                                            read_interaction(payload)))


async def test_manage_server_makes_an_admin_at_the_first_interaction(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    fake.add_guild(GUILD, "Acme", owner_id=OWNER, channels={CHANNEL: "general"})
    async with running_bot(rt, app):
        workspace = await eventually(lambda: rt.store.find_workspace("discord", GUILD))
        payload = fake.slash_command(GUILD, MEMBER, "accounts", channel_id=CHANNEL,
                                     permissions=str(1 << 5))
        await fake.gateway.interact(payload)
        await answered(fake, payload)
    admin = await rt.store.find_member(workspace.org_id, "discord", GUILD, MEMBER)
    assert admin is not None and admin.role is Role.ADMIN


async def test_an_unreadable_interaction_is_not_answered_and_writes_nothing(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    fake.add_guild(GUILD, "Acme", owner_id=OWNER, channels={CHANNEL: "general"})
    async with running_bot(rt, app):
        workspace = await eventually(lambda: rt.store.find_workspace("discord", GUILD))
        bad = fake.slash_command(GUILD, MEMBER, "help", channel_id=CHANNEL)
        bad["type"] = 99
        good = fake.slash_command(GUILD, OWNER, "help", channel_id=CHANNEL)
        await fake.gateway.interact(bad)
        await fake.gateway.interact(good)
        await answered(fake, good)  # handled after the bad one: that one was dropped
    assert fake.interactions[bad["id"]].callbacks == []
    assert await rt.store.find_member(workspace.org_id, "discord", GUILD, MEMBER) is None


async def test_the_bot_resumes_after_a_dropped_socket_and_answers_again(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    fake.add_guild(GUILD, "Acme", owner_id=OWNER, channels={CHANNEL: "general"})
    async with running_bot(rt, app):
        await eventually(lambda: rt.store.find_workspace("discord", GUILD))
        await fake.gateway.drop()
        await eventually(lambda: fake.gateway.ready, what="the bot back")
        payload = fake.slash_command(GUILD, OWNER, "help", channel_id=CHANNEL)
        await fake.gateway.interact(payload)
        callback = await answered(fake, payload)
    [resume] = fake.gateway.ops(RESUME)
    assert resume["d"]["session_id"] in fake.gateway.sessions
    assert len(fake.gateway.ops(IDENTIFY)) == 1  # resumed, not identified afresh
    assert callback["type"] == 4


async def test_a_removal_marks_the_server_gone_and_tells_the_organization(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    told: list[Notice] = []

    class Told:
        async def notify(self, notice: Notice) -> None:
            told.append(notice)

    rt = dataclasses.replace(rt, notices=Told())
    fake.add_guild(GUILD, "Acme", owner_id=OWNER)
    async with running_bot(rt, app):
        workspace = await eventually(lambda: rt.store.find_workspace("discord", GUILD))
        await fake.remove_guild(GUILD)
        await eventually(lambda: told or None, what="the notice")
    installation = await rt.store.find_chat_installation("discord", GUILD)
    assert installation is not None and installation.removed_at is not None
    assert fake.dm_channels == {}  # the owner shares no other server: no DM
    assert told == [ChatAppRemoved(organization_id=workspace.org_id, platform="discord",
                                   workspace_id=GUILD, workspace_name="Acme",
                                   owner_actor=f"discord:{GUILD}:{OWNER}")]


async def test_a_server_merely_unavailable_is_not_removed(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    fake.add_guild(GUILD, "Acme", owner_id=OWNER)
    async with running_bot(rt, app):
        await eventually(lambda: rt.store.find_workspace("discord", GUILD))
        await fake.gateway.dispatch("GUILD_DELETE", {"id": GUILD, "unavailable": True})
        payload = fake.slash_command(GUILD, OWNER, "help")
        await fake.gateway.interact(payload)
        await answered(fake, payload)  # events are handled in order: the delete came first
    installation = await rt.store.find_chat_installation("discord", GUILD)
    assert installation is not None and installation.removed_at is None


async def test_the_first_start_registers_the_commands_and_the_second_does_not(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    async with running_bot(rt, app):
        pass
    async with running_bot(rt, app):
        pass
    assert puts(fake)() == [f"/api/v10/applications/{fake.application_id}/commands"]
    assert strip_ids(fake.commands[None]) == command_payload()


async def test_guild_scope_registers_in_that_server_only(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    fake.add_guild(GUILD, "Acme", owner_id=OWNER)
    async with running_bot(rt, app, guild_id=GUILD):
        pass
    assert puts(fake)() == [
        f"/api/v10/applications/{fake.application_id}/guilds/{GUILD}/commands"]
    assert None not in fake.commands


def json_of(answer: dict[str, Any]) -> dict[str, Any]:
    import json

    return dict(json.loads(json.dumps(answer)))


def strip_ids(saved: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in c.items() if k not in ("id", "application_id", "version",
                                                       "guild_id")} for c in saved]


async def test_an_interaction_sent_while_the_socket_was_down_is_answered_after_resume(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    fake.add_guild(GUILD, "Acme", owner_id=OWNER, channels={CHANNEL: "general"})
    async with running_bot(rt, app):
        await fake.gateway.drop()
        assert not fake.gateway.ready
        payload = fake.slash_command(GUILD, OWNER, "help", channel_id=CHANNEL)
        await fake.gateway.interact(payload)  # kept by the session, replayed at RESUME
        callback = await answered(fake, payload)
    assert len(fake.gateway.ops(RESUME)) == 1
    assert callback["type"] == 4


async def test_asked_to_reconnect_the_bot_resumes_its_session(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    async with running_bot(rt, app):
        await fake.gateway.reconnect()
        await eventually(lambda: fake.gateway.ops(RESUME) or None, what="a RESUME")
    assert len(fake.gateway.ops(IDENTIFY)) == 1


async def test_an_invalid_session_identifies_afresh_and_keeps_answering(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    fake.add_guild(GUILD, "Acme", owner_id=OWNER, channels={CHANNEL: "general"})
    async with running_bot(rt, app):
        await fake.gateway.invalidate(resumable=False)
        await eventually(lambda: len(fake.gateway.ops(IDENTIFY)) == 2 and fake.gateway.ready,
                         what="a fresh IDENTIFY")
        payload = fake.slash_command(GUILD, OWNER, "help", channel_id=CHANNEL)
        await fake.gateway.interact(payload)
        assert (await answered(fake, payload))["type"] == 4
    assert [o.name for o in await rt.store.list_organizations()] == ["Acme"]


async def test_a_registration_discord_did_not_take_is_tried_at_the_next_start(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    fake.rate_limit("PUT /applications/{app_id}/commands", times=1, retry_after=30)
    async with running_bot(rt, app):
        pass  # the bot serves anyway
    assert await rt.store.get_chat_commands_digest("discord", "global") is None
    async with running_bot(rt, app):
        pass
    assert len(puts(fake)()) == 2
    assert await rt.store.get_chat_commands_digest("discord", "global") is not None


async def test_the_owner_is_told_in_direct_messages_when_discord_allows_it(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    fake.users[OWNER] = "ada"  # shares another server with the bot
    fake.add_guild(GUILD, "Acme", owner_id=OWNER)
    async with running_bot(rt, app):
        await eventually(lambda: rt.store.find_workspace("discord", GUILD))
        await fake.remove_guild(GUILD)
        [dm] = await eventually(lambda: [c for c in fake.dm_channels if fake.messages_in(c)]
                                or None, what="a direct message")
    [message] = fake.messages_in(dm)
    assert fake.dm_channels[dm] == OWNER
    assert message.data["content"].startswith(
        "PostFlow was removed from the Discord server Acme. The organization Acme keeps")
