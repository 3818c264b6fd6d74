"""Discord's HTTP interactions endpoint through the real hub: PING, ``/postflow`` commands
answered by the chat-neutral handlers Slack uses, and what the endpoint refuses as 400."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from composition.hub import build_hub
from composition.runtime import open_runtime
from postflow.chatops.callers import Caller
from postflow.chatops.commands import run_command
from postflow.chatops.install import WorkspaceOwner, link_or_create
from postflow.config import Settings
from postflow.organizations import ChatIdentity, Organization, Role
from postflow.runtime import Runtime
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.hub.conftest import Broker, RecordingQueue, error_code
from tests.hub.discord_sender import *  # noqa: F403
from tests.hub.discord_sender import (
    GUILD_ID,
    MEMBER_ID,
    PATH,
    DiscordSender,
    command_payload,
    is_member,
    seen_signatures,
    subcommand,
)

EPHEMERAL = 64


async def test_ping_is_answered_pong(discord: DiscordSender) -> None:
    response = await discord.post({"type": 1, "id": "1", "application_id": "2"})
    assert response.status == 200
    assert await response.json() == {"type": 1}


async def test_help_from_a_guild_member_is_the_help_text_only_they_see(
        discord: DiscordSender, guild_org: Organization) -> None:
    response = await discord.post(command_payload(subcommand("help")))
    assert response.status == 200
    answer = await response.json()
    assert answer["type"] == 4
    assert answer["data"]["flags"] == EPHEMERAL
    assert answer["data"]["allowed_mentions"] == {"parse": []}
    content = answer["data"]["content"]
    assert content.startswith(f"You are Owner of {guild_org.name}.")
    assert "`/postflow connect <network> [name]`" in content
    assert len(content) <= 2000


async def test_a_command_with_a_user_option_runs_like_slacks(
        rt: Runtime, discord: DiscordSender, guild_org: Organization) -> None:
    response = await discord.post(command_payload(subcommand(
        "role", {"type": 6, "name": "person", "value": MEMBER_ID},
        {"type": 3, "name": "role", "value": "member"})))
    answer = await response.json()
    assert answer["data"]["content"] == f"<@{MEMBER_ID}> is now Member of {guild_org.name}."
    assert await is_member(rt, guild_org, MEMBER_ID)


async def test_a_first_interaction_makes_a_member_of_the_linked_organization(
        rt: Runtime, discord: DiscordSender, guild_org: Organization) -> None:
    response = await discord.post(command_payload(subcommand("accounts"), user_id=MEMBER_ID))
    answer = await response.json()
    assert answer["type"] == 4 and answer["data"]["flags"] == EPHEMERAL
    assert answer["data"]["content"].startswith("No connected accounts yet.")
    member = await rt.store.find_member(guild_org.id, "discord", GUILD_ID, MEMBER_ID)
    assert member is not None and member.role is Role.MEMBER


async def test_manage_server_makes_an_admin_at_the_first_interaction_over_http(
        rt: Runtime, discord: DiscordSender, guild_org: Organization) -> None:
    payload = command_payload(subcommand("accounts"), user_id=MEMBER_ID)
    payload["member"]["permissions"] = str(1 << 5)
    await discord.post(payload)
    member = await rt.store.find_member(guild_org.id, "discord", GUILD_ID, MEMBER_ID)
    assert member is not None and member.role is Role.ADMIN


@pytest.mark.parametrize("permissions", ["9" * 5000, "-32", "0x20", "\u0663\u0662", "3.2e1"])
async def test_permissions_that_are_not_a_bit_set_count_as_none(
        rt: Runtime, discord: DiscordSender, guild_org: Organization, permissions: str) -> None:
    payload = command_payload(subcommand("accounts"), user_id=MEMBER_ID)
    payload["member"]["permissions"] = permissions
    response = await discord.post(payload)
    assert response.status == 200
    member = await rt.store.find_member(guild_org.id, "discord", GUILD_ID, MEMBER_ID)
    assert member is not None and member.role is Role.MEMBER


async def test_a_person_of_a_server_not_linked_is_told_so_and_joins_nothing(
        rt: Runtime, discord: DiscordSender) -> None:
    response = await discord.post(command_payload(subcommand("accounts"), user_id=MEMBER_ID))
    answer = await response.json()
    assert "not linked to a PostFlow organization" in answer["data"]["content"]
    assert await rt.store.list_organizations() == []


async def test_a_command_in_direct_messages_says_to_use_a_server(
        discord: DiscordSender) -> None:
    response = await discord.post(command_payload(subcommand("help"), guild_id=None))
    answer = await response.json()
    assert "work in a server" in answer["data"]["content"]
    assert answer["data"]["flags"] == EPHEMERAL


async def test_no_focused_option_gets_no_choices_and_an_unknown_button_a_short_answer(
        discord: DiscordSender) -> None:
    response = await discord.post({"type": 4, "data": {"name": "postflow", "options": []}})
    assert await response.json() == {"type": 8, "data": {"choices": []}}
    for kind in (3, 5):
        response = await discord.post({"type": kind, "data": {"custom_id": "x"}})
        answer = await response.json()
        assert answer["type"] == 4 and answer["data"]["flags"] == EPHEMERAL
        assert "does not know this button" in answer["data"]["content"]


async def test_a_press_payload_without_its_custom_id_is_400(discord: DiscordSender) -> None:
    response = await discord.post({"type": 3, "data": {"component_type": 2}})
    assert response.status == 400
    assert await error_code(response) == "malformed_interaction"


async def test_malformed_json_is_400_and_records_nothing(
        rt: Runtime, clock: ManualClock, discord: DiscordSender) -> None:
    response = await discord.post(b'{"type": 2, "data": ')
    assert response.status == 400
    assert await error_code(response) == "malformed_json"
    assert await seen_signatures(rt, clock) == 0


async def test_an_unknown_interaction_type_is_400_and_acts_on_nothing(
        rt: Runtime, clock: ManualClock, discord: DiscordSender,
        guild_org: Organization) -> None:
    role_command = command_payload(subcommand(
        "role", {"type": 6, "name": "person", "value": MEMBER_ID},
        {"type": 3, "name": "role", "value": "member"}))
    untyped = {k: v for k, v in role_command.items() if k != "type"}
    for body in (role_command | {"type": 99}, role_command | {"type": "2"},
                 role_command | {"type": True}, untyped, [role_command], "2"):
        response = await discord.post(json.dumps(body).encode())
        assert response.status == 400, body
        assert await error_code(response) == "malformed_interaction"
    assert not await is_member(rt, guild_org, MEMBER_ID)
    assert await seen_signatures(rt, clock) == 0


async def test_a_command_payload_without_its_data_is_400(discord: DiscordSender) -> None:
    payload = command_payload(subcommand("help"))
    del payload["data"]
    response = await discord.post(payload)
    assert response.status == 400


async def test_the_endpoint_is_mounted_only_with_a_public_key(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                        http_port=0)
    rt = await open_runtime(settings)
    try:
        app = build_hub(rt, RecordingQueue(), Broker().ping)
        assert PATH not in {r.canonical for r in app.router.resources()}
    finally:
        await rt.store.close()



async def test_an_owner_links_a_server_with_a_code_from_their_organization(
        rt: Runtime, discord: DiscordSender) -> None:
    owner = ChatIdentity(platform="slack", workspace_id="T1", user_id="UOWNER")
    linked = await link_or_create(rt, "slack", "T1", "Acme", WorkspaceOwner(owner),
                                  actor="test")
    org = linked.org.model_copy(update={"plan": "pro"})  # Free allows one workspace
    await rt.store.update_organization(org)
    reply = await run_command(rt, None, Caller(identity=owner), "link")
    code = reply.text.split("`/postflow link ")[1].split("`")[0]
    response = await discord.post(command_payload(subcommand(
        "link", {"type": 3, "name": "code", "value": code})))
    answer = await response.json()
    assert answer["data"]["content"] == (f"This workspace is now linked to {org.name}, and you "
                                         "are Owner of it here too.")
    workspace = await rt.store.find_workspace("discord", GUILD_ID)
    assert workspace is not None and workspace.org_id == org.id


async def test_an_unexpected_failure_is_an_apology_with_a_reference_not_a_trace(
        discord: DiscordSender, guild_org: Organization, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr("bot.discord.interactions.run_command", broken)
    response = await discord.post(command_payload(subcommand("accounts")))
    assert response.status == 200
    content = (await response.json())["data"]["content"]
    assert "Something went wrong on PostFlow's side. Reference: " in content
    assert "secret detail" not in content
    reference = content.rsplit(" ", 1)[1]
    assert f"Discord interaction failed (reference {reference})" in caplog.text
