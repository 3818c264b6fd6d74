"""The install URL and its permissions; a server joined, removed and joined again; a
person's first interaction; roles read again at every interaction."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from bot.discord.install import (
    ADMINISTRATOR,
    MANAGE_GUILD,
    PERMISSIONS,
    Server,
    admit_member,
    install_url,
    permissions_integer,
    server_joined,
    server_removed,
)
from bot.discord.interactions import answer_interaction, read_interaction
from postflow.chatops.callers import Caller
from postflow.chatops.install import WorkspaceOwner, link_or_create
from postflow.errors import BadInput
from postflow.organizations import ChatIdentity, Role
from postflow.runtime import Runtime
from tests.hub.discord_sender import GUILD_ID, MEMBER_ID, OWNER_ID, command_payload, subcommand

#: Discord's bits, by their names in Discord's documentation.
VIEW_CHANNEL, SEND_MESSAGES, EMBED_LINKS, READ_MESSAGE_HISTORY = 1 << 10, 1 << 11, 1 << 14, 1 << 16
CREATE_PUBLIC_THREADS, SEND_MESSAGES_IN_THREADS = 1 << 35, 1 << 38


def caller(user_id: str = MEMBER_ID) -> Caller:
    return Caller(identity=ChatIdentity(platform="discord", workspace_id=GUILD_ID,
                                        user_id=user_id), display_name="Bo")


def test_the_install_url_asks_for_the_bot_and_its_commands_with_exactly_its_permissions(
        ) -> None:
    url = urlsplit(install_url("777000000000000001"))
    assert (url.scheme, url.netloc, url.path) == ("https", "discord.com", "/oauth2/authorize")
    query = parse_qs(url.query)
    assert query["client_id"] == ["777000000000000001"]
    assert query["scope"] == ["bot applications.commands"]
    assert "+applications.commands" in url.query  # spaces as '+', as Discord's own URLs
    asked = int(query["permissions"][0])
    assert asked == (VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY
                     | CREATE_PUBLIC_THREADS | SEND_MESSAGES_IN_THREADS)
    assert asked == permissions_integer() == sum(PERMISSIONS)
    assert not asked & ADMINISTRATOR and not asked & MANAGE_GUILD


@pytest.mark.parametrize("app_id", [None, "", "abc", "12 34", "١٢"])
def test_an_install_url_without_a_numeric_application_id_is_refused(
        app_id: str | None) -> None:
    with pytest.raises(BadInput):
        install_url(app_id)


async def test_a_server_already_linked_keeps_its_organization_when_the_bot_joins(
        rt: Runtime) -> None:
    linked = await link_or_create(rt, "discord", GUILD_ID, "Existing org", WorkspaceOwner(
        ChatIdentity(platform="discord", workspace_id=GUILD_ID, user_id=OWNER_ID)),
        actor="test")
    joined = await server_joined(rt, Server(GUILD_ID, "Server name", OWNER_ID))
    assert joined.new and joined.installation.org_id == linked.org.id
    assert [o.name for o in await rt.store.list_organizations()] == ["Existing org"]


async def test_a_server_that_removed_the_bot_and_adds_it_again_is_restored(
        rt: Runtime) -> None:
    first = await server_joined(rt, Server(GUILD_ID, "Acme", OWNER_ID))
    removed = await server_removed(rt, GUILD_ID)
    assert removed is not None and removed.removed_at is not None
    assert await server_removed(rt, GUILD_ID) is None  # said once
    again = await server_joined(rt, Server(GUILD_ID, "Acme", OWNER_ID))
    assert again.new and again.installation.id == first.installation.id
    assert again.installation.removed_at is None
    assert len(await rt.store.list_organizations()) == 1


async def test_removing_a_server_postflow_never_had_does_nothing(rt: Runtime) -> None:
    assert await server_removed(rt, GUILD_ID) is None


@pytest.mark.parametrize("server", [Server("", "Acme", OWNER_ID),
                                    Server("12x", "Acme", OWNER_ID),
                                    Server(GUILD_ID, "Acme", "")])
async def test_a_server_without_numeric_ids_is_refused_writing_nothing(
        rt: Runtime, server: Server) -> None:
    with pytest.raises(BadInput):
        await server_joined(rt, server)
    assert await rt.store.list_organizations() == []


async def test_a_member_keeps_their_role_whatever_their_discord_permissions(
        rt: Runtime) -> None:
    joined = await server_joined(rt, Server(GUILD_ID, "Acme", OWNER_ID))
    first = await admit_member(rt, caller(), 0)
    assert first is not None and first.role is Role.MEMBER
    assert await admit_member(rt, caller(), MANAGE_GUILD) is None
    member = await rt.store.find_member(joined.installation.org_id, "discord", GUILD_ID,
                                        MEMBER_ID)
    assert member is not None and member.role is Role.MEMBER


async def test_nobody_is_admitted_in_a_server_that_is_not_linked(rt: Runtime) -> None:
    assert await admit_member(rt, caller(), MANAGE_GUILD) is None
    assert await rt.store.list_organizations() == []


async def test_a_role_changed_applies_at_the_next_interaction(rt: Runtime) -> None:
    await server_joined(rt, Server(GUILD_ID, "Acme", OWNER_ID))
    connect = command_payload(subcommand("connect", {"type": 3, "name": "network",
                                                     "value": "sandbox"}), user_id=MEMBER_ID)
    connect["member"]["permissions"] = str(MANAGE_GUILD)
    first = await answer_interaction(rt, None, read_interaction(connect))
    assert first["data"]["content"].startswith("Connected the sandbox account")
    demote = command_payload(subcommand("role", {"type": 6, "name": "person", "value": MEMBER_ID},
                                        {"type": 3, "name": "role", "value": "member"}))
    await answer_interaction(rt, None, read_interaction(demote))
    again = await answer_interaction(rt, None, read_interaction(connect))
    assert "needs the Admin role" in again["data"]["content"]
