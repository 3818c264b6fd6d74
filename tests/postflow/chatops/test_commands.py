"""``/postflow`` commands as plain reply data, for every adapter."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from postflow.chatops.callers import Caller
from postflow.chatops.commands import COMMANDS, run_button, run_command
from postflow.chatops.replies import ButtonAction, Reply
from postflow.organizations import ChatChannel, ChatIdentity, Role
from postflow.posts import PostStatus
from postflow.providers import ProviderRegistry
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.organizations import change_plan
from tests.fakes.clock import ManualClock
from tests.postflow.chatops.conftest import Team
from tests.postflow.store.factories import make_post


def actions(reply: Reply) -> list[tuple[ButtonAction, str]]:
    return [(b.action, b.value) for item in reply.items for b in item.buttons]


async def scheduled_posts(rt: Runtime, clock: ManualClock, team: Team, count: int) -> list[str]:
    conn = await connect_sandbox(rt, team.org.id, "acme", actor="test")
    ids = []
    for n in range(count):
        when = clock.now() + timedelta(hours=n + 1)
        post = make_post(team.org.id, (conn.id,), status=PostStatus.SCHEDULED,
                         scheduled_at=when, due_at=when, text=f"post number {n}",
                         created_at=clock.now(), updated_at=clock.now())
        await rt.store.insert_post(post)
        ids.append(post.id)
    return ids


async def test_help_lists_exactly_the_commands_that_work(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.viewer, "help")

    titles = " ".join(item.title for item in reply.items)
    for name in COMMANDS.keys() - {"help"}:
        assert f"/postflow {name}" in titles
    assert len(reply.items) == len(COMMANDS) - 1
    assert "You are Viewer of Acme" in reply.text


async def test_the_email_help_names_every_setting_the_command_takes(rt: Runtime,
                                                                 team: Team) -> None:
    reply = await run_command(rt, None, team.viewer, "help")

    [email] = [item.title for item in reply.items if item.title.startswith("`/postflow email")]
    for word in ("set ADDRESS", "prefs", "KIND on|off", "digest daily|weekly|none",
                 "timezone ZONE"):
        assert word in email


async def test_empty_text_is_help(rt: Runtime, team: Team) -> None:
    assert (await run_command(rt, None, team.member, "")).items \
        == (await run_command(rt, None, team.member, "help")).items


async def test_unknown_command_points_to_help(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.owner, "frobnicate now")

    assert reply.error and "`/postflow help`" in reply.text


async def test_a_stranger_is_told_how_to_join(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.stranger, "accounts")

    assert reply.error
    assert "not a member of Acme" in reply.text and "/postflow role @you member" in reply.text


async def test_a_workspace_not_linked_is_said_so(rt: Runtime, team: Team) -> None:
    elsewhere = Caller(identity=ChatIdentity(platform="slack", workspace_id="T9", user_id="U1"))

    reply = await run_command(rt, None, elsewhere, "list")

    assert reply.error and "not linked to a PostFlow organization" in reply.text


async def test_accounts_lists_connections_with_their_health(rt: Runtime, team: Team) -> None:
    conn = await connect_sandbox(rt, team.org.id, "acme", actor="test")

    reply = await run_command(rt, None, team.viewer, "accounts")

    assert reply.items[0].title == "acme (sandbox)"
    assert "Status: working" in reply.items[0].lines
    assert f"Id: `{conn.id}`" in reply.items[0].lines


async def test_list_pages_upcoming_posts_soonest_first(rt: Runtime, clock: ManualClock,
                                                       team: Team) -> None:
    ids = await scheduled_posts(rt, clock, team, 7)

    first = await run_command(rt, None, team.viewer, "list")
    second = await run_command(rt, None, team.viewer, "list upcoming 2")

    assert [i.title.split("`")[1] for i in first.items] == ids[:5]
    assert [i.title.split("`")[1] for i in second.items] == ids[5:]
    assert "7 in all, page 1 of 2" in first.text
    assert [(b.action, b.value) for b in first.buttons] == [
        (ButtonAction.LIST_PAGE, "upcoming:2")]
    assert [b.value for b in second.buttons] == ["upcoming:1"]


async def test_list_shows_cancel_and_publish_now_only_to_admins(
        rt: Runtime, clock: ManualClock, team: Team) -> None:
    [post_id] = await scheduled_posts(rt, clock, team, 1)

    for role in Role:
        reply = await run_command(rt, None, team.by_role(role), "list")
        expected = [(ButtonAction.PUBLISH_NOW, post_id), (ButtonAction.CANCEL, post_id)] \
            if role.allows(Role.ADMIN) else []
        assert actions(reply) == expected, role


async def test_list_of_an_unknown_group_says_which_exist(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.viewer, "list everything")

    assert reply.error and "upcoming, drafts, review or failed" in reply.text


async def test_cancel_button_cancels_the_post(rt: Runtime, clock: ManualClock,
                                              team: Team) -> None:
    [post_id] = await scheduled_posts(rt, clock, team, 1)

    reply = await run_button(rt, None, team.admin, "cancel", post_id)

    assert not reply.error and post_id in reply.text
    assert (await rt.store.get_post(team.org.id, post_id)).status is PostStatus.CANCELED


async def test_cancel_button_pressed_by_a_member_is_refused_naming_admin(
        rt: Runtime, clock: ManualClock, team: Team) -> None:
    [post_id] = await scheduled_posts(rt, clock, team, 1)

    reply = await run_button(rt, None, team.member, "cancel", post_id)

    assert reply.error
    assert reply.text == "Canceling posts needs the Admin role or higher; you are a Member."
    assert (await rt.store.get_post(team.org.id, post_id)).status is PostStatus.SCHEDULED


async def test_publish_now_button_makes_the_post_due_now(rt: Runtime, clock: ManualClock,
                                                         team: Team) -> None:
    [post_id] = await scheduled_posts(rt, clock, team, 1)

    reply = await run_button(rt, None, team.owner, "publish_now", post_id)

    assert not reply.error
    assert (await rt.store.get_post(team.org.id, post_id)).due_at == clock.now()


async def test_queue_shows_slots_and_queued_posts(rt: Runtime, clock: ManualClock,
                                                  team: Team) -> None:
    conn = await connect_sandbox(rt, team.org.id, "acme", actor="test")
    when = clock.now() + timedelta(days=1)
    post = make_post(team.org.id, (conn.id,), status=PostStatus.SCHEDULED, scheduled_at=when,
                     due_at=when, from_queue=True, created_at=clock.now(),
                     updated_at=clock.now())
    await rt.store.insert_post(post)

    reply = await run_command(rt, None, team.viewer, "queue acme")

    assert reply.items[0].title == "Queue of acme (sandbox)"
    assert reply.items[0].lines[0].startswith("Slots (UTC): mon 09:00, 13:00, 17:00")
    assert post.id in reply.items[1].title
    assert "1 posts queued on acme" in reply.text


async def test_queue_of_an_unknown_account_is_not_found(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.viewer, "queue nope")

    assert reply.error and "No account is called 'nope'" in reply.text


async def test_connect_sandbox_creates_a_connection(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.admin, "connect sandbox")

    [conn] = await rt.store.list_connections(team.org.id)
    assert conn.network == "sandbox" and conn.display_name == "sandbox-1"
    assert conn.id in reply.text


async def test_connect_by_a_member_is_refused_naming_admin(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.member, "connect sandbox")

    assert reply.text == "Connecting accounts needs the Admin role or higher; you are a Member."
    assert await rt.store.list_connections(team.org.id) == []


async def test_disconnect_by_name_keeps_the_account_and_its_posts(
        rt: Runtime, clock: ManualClock, team: Team) -> None:
    [post_id] = await scheduled_posts(rt, clock, team, 1)

    reply = await run_command(rt, None, team.admin, "disconnect acme")

    assert not reply.error, reply.text
    assert "Disconnected acme (sandbox)" in reply.text and "1 post(s)" in reply.text
    [conn] = await rt.store.list_connections(team.org.id)
    assert conn.status.value == "disconnected" and conn.sealed_tokens is None
    assert (await rt.store.get_post(team.org.id, post_id)).status is PostStatus.SCHEDULED


async def test_disconnect_by_a_member_is_refused_naming_admin(rt: Runtime,
                                                              team: Team) -> None:
    conn = await connect_sandbox(rt, team.org.id, "acme", actor="test")

    reply = await run_command(rt, None, team.member, "disconnect acme")

    assert reply.error and "Admin" in reply.text
    assert (await rt.store.get_connection(team.org.id, conn.id)).status.value == "active"


@pytest.mark.parametrize("network", ["x", "mastodon", "myspace"])
async def test_connect_another_network_is_not_available_yet(rt: Runtime, team: Team,
                                                            network: str) -> None:
    reply = await run_command(rt, None, team.admin, f"connect {network}")

    assert reply.error
    assert "not available yet" in reply.text or "has no network" in reply.text
    assert await rt.store.list_connections(team.org.id) == []


async def test_settings_shows_zone_and_channels(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.viewer, "settings")

    assert reply.items[0].lines[:3] == ("Time zone: UTC", "Review channel: not set",
                                        "Notification channel: not set")


async def test_settings_sets_the_time_zone(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.admin, "settings timezone Asia/Kolkata")

    assert reply.text.startswith("The time zone is now Asia/Kolkata.")
    assert (await rt.store.get_organization(team.org.id)).timezone == "Asia/Kolkata"


async def test_settings_refuses_a_zone_that_is_not_iana(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.admin, "settings timezone Mars/Olympus")

    assert reply.error and "not an IANA time zone" in reply.text


async def test_settings_sets_channels_by_mention_and_here(rt: Runtime, team: Team) -> None:
    await run_command(rt, None, team.admin, "settings review-channel <#C0REVIEW|social>")
    await run_command(rt, None, team.admin, "settings notify-channel here")

    org = await rt.store.get_organization(team.org.id)
    assert org.review_channel == ChatChannel(platform="slack", workspace_id="T0001",
                                             channel_id="C0REVIEW")
    assert org.notification_channel is not None
    assert org.notification_channel.channel_id == "C0001"


async def test_changing_settings_as_a_viewer_is_refused_naming_admin(rt: Runtime,
                                                                     team: Team) -> None:
    reply = await run_command(rt, None, team.viewer, "settings timezone Europe/Paris")

    assert reply.text == "Changing settings needs the Admin role or higher; you are a Viewer."


async def test_role_command_parses_a_mention(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.admin, "role <@UVIEWER|vi> member")

    assert reply.text == "<@UVIEWER> is now Member of Acme."


async def test_role_command_without_a_mention_says_how(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.admin, "role admin")

    assert reply.error and "/postflow role @ada admin" in reply.text


async def test_connect_a_known_network_other_than_sandbox_is_not_available_yet(
        rt: Runtime, team: Team) -> None:
    sandbox = rt.providers.get("sandbox")
    with_mastodon = dataclasses.replace(
        rt, providers=ProviderRegistry({"sandbox": sandbox, "mastodon": sandbox}))

    reply = await run_command(with_mastodon, None, team.admin, "connect mastodon")

    assert reply.text == ("Connecting mastodon is not available yet; today PostFlow connects "
                          "sandbox accounts (`/postflow connect sandbox`).")
    assert await rt.store.list_connections(team.org.id) == []


async def test_a_quorum_above_one_needs_a_plan_with_multi_step_approval(
        rt: Runtime, team: Team) -> None:
    await change_plan(rt, team.org.id, "free", actor="test")

    reply = await run_command(rt, None, team.admin, "settings approval quorum 2")

    assert reply.error
    assert "Free plan does not include multi step approval" in reply.text
    assert "Pro plan" in reply.text
    assert await rt.store.get_approval_policies(team.org.id) == {}


async def test_a_quorum_of_two_is_saved_on_a_plan_with_multi_step_approval(
        rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.admin, "settings approval quorum 2")

    assert not reply.error, reply.text
    assert (await rt.store.get_approval_policies(team.org.id))[""].quorum == 2
