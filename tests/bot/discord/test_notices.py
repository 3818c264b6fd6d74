"""Discord notices: publish outcomes and late posts in the post's thread (else the notification
channel) with their buttons, the author's direct message, account warnings in the channel; and
the buttons pressed through the hub's endpoint, the presser's role checked at each press."""

from __future__ import annotations

from datetime import timedelta

import pytest

from postflow.connections import Connection
from postflow.notices.events import PostFailed, PostLate, PostPublished, TokenExpiring
from postflow.organizations import ChatChannel, Organization
from postflow.posts import Post, PostStatus, PostTarget, TargetStatus
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from tests.bot.discord.conftest import (
    ADMIN,
    GUILD,
    MEMBER,
    NOTICES,
    REVIEWS,
    VIEWER,
    DiscordUser,
    actor,
    button,
    custom_ids,
    shown,
)
from tests.bot.discord.test_review_cards import assert_refused, post_in_review
from tests.fakes.clock import ManualClock
from tests.fakes.discord_api import FakeDiscord, FakeMessage
from tests.postflow.store.factories import make_post


@pytest.fixture
async def notified_org(rt: Runtime, org: Organization) -> Organization:
    updated = org.model_copy(update={"notification_channel": ChatChannel(
        platform="discord", workspace_id=GUILD, channel_id=NOTICES)})
    await rt.store.update_organization(updated)
    return updated


async def stored_post(rt: Runtime, clock: ManualClock, org: Organization, status: PostStatus,
                      error_kind: str = "unknown") -> tuple[Post, Connection]:
    conn = await connect_sandbox(rt, org.id, "acme", actor="test")
    target = (PostTarget(connection_id=conn.id, network="sandbox") if status is PostStatus.LATE
              else PostTarget(connection_id=conn.id, network="sandbox",
                              status=TargetStatus.FAILED, error_kind=error_kind))
    post = make_post(org.id, (conn.id,), status=status, targets=[target],
                     created_by=actor(MEMBER), status_reason="due 3 hours ago",
                     scheduled_at=clock.now() - timedelta(hours=3),
                     due_at=clock.now() - timedelta(hours=3),
                     created_at=clock.now(), updated_at=clock.now())
    await rt.store.insert_post(post)
    return post, conn


def dms_of(fake: FakeDiscord, user_id: str) -> list[FakeMessage]:
    return [m for c, u in fake.dm_channels.items() if u == user_id for m in fake.messages_in(c)]


async def failed_notice(rt: Runtime, clock: ManualClock, org: Organization, fake: FakeDiscord,
                        error_kind: str = "unknown") -> tuple[Post, Connection, FakeMessage]:
    post, conn = await stored_post(rt, clock, org, PostStatus.FAILED, error_kind)
    await rt.notices.notify(PostFailed(post))
    [notice] = fake.messages_in(NOTICES)
    return post, conn, notice


async def test_a_failed_post_with_a_card_is_told_in_the_cards_thread(
        rt: Runtime, clock: ManualClock, notified_org: Organization,
        fake_discord: FakeDiscord) -> None:
    post, _, card = await post_in_review(rt, clock, notified_org, fake_discord)
    failed = post.model_copy(update={"status": PostStatus.FAILED, "targets": [
        t.model_copy(update={"status": TargetStatus.FAILED, "error_kind": "reconnect"})
        for t in post.targets]})

    await rt.notices.notify(PostFailed(failed))

    [notice] = fake_discord.messages_in(card.id)
    assert f"\N{CROSS MARK} Post `{post.id}` by <@{MEMBER}> was not published" in shown(notice)
    assert [c.split(":")[2] for c in custom_ids(notice)] == ["retry", "edit", "reconnect"]
    assert all(c.split(":")[3] == notified_org.id for c in custom_ids(notice))
    assert fake_discord.messages_in(NOTICES) == []
    [dm] = dms_of(fake_discord, MEMBER)
    assert "was not published" in dm.data["content"] and dm.data["components"] == []


async def test_a_notice_without_a_thread_goes_to_the_notification_channel(
        rt: Runtime, clock: ManualClock, notified_org: Organization,
        fake_discord: FakeDiscord) -> None:
    post, conn, notice = await failed_notice(rt, clock, notified_org, fake_discord,
                                             "reconnect")

    assert notice.channel_id == NOTICES
    assert button(notice, "reconnect").endswith(f":{conn.id}")
    assert button(notice, "retry").endswith(f":{post.id}")


async def test_a_published_post_is_said_without_buttons(
        rt: Runtime, clock: ManualClock, notified_org: Organization,
        fake_discord: FakeDiscord) -> None:
    post, _ = await stored_post(rt, clock, notified_org, PostStatus.FAILED)
    published = post.model_copy(update={"status": PostStatus.PUBLISHED, "targets": [
        t.model_copy(update={"status": TargetStatus.PUBLISHED, "url": "https://example.test/1",
                             "error_kind": None}) for t in post.targets]})

    await rt.notices.notify(PostPublished(published))

    [notice] = fake_discord.messages_in(NOTICES)
    assert notice.data["content"].startswith(f"\N{WHITE HEAVY CHECK MARK} Post `{post.id}`")
    assert "is live" in notice.data["content"] and notice.data["components"] == []


async def test_an_author_who_closed_direct_messages_still_gets_the_channel_notice(
        rt: Runtime, clock: ManualClock, notified_org: Organization,
        fake_discord: FakeDiscord) -> None:
    fake_discord.dms_closed.add(MEMBER)

    await failed_notice(rt, clock, notified_org, fake_discord)

    assert dms_of(fake_discord, MEMBER) == []


async def test_retry_from_a_failure_notice_publishes_again_and_says_who(
        rt: Runtime, clock: ManualClock, notified_org: Organization, fake_discord: FakeDiscord,
        user: DiscordUser) -> None:
    post, _, notice = await failed_notice(rt, clock, notified_org, fake_discord)

    answer = await user.press(ADMIN, notice, button(notice, "retry"))

    assert answer["type"] == 7
    after = await rt.store.get_post(notified_org.id, post.id)
    assert after.status is not PostStatus.FAILED and after.version > post.version
    assert notice.data["components"] == []
    assert (f"<@{ADMIN}> retried the accounts it missed" in shown(notice)
            and "was not published" in shown(notice))


async def test_a_viewer_pressing_retry_is_refused_and_nothing_changes(
        rt: Runtime, clock: ManualClock, notified_org: Organization, fake_discord: FakeDiscord,
        user: DiscordUser) -> None:
    post, _, notice = await failed_notice(rt, clock, notified_org, fake_discord)
    before = notice.data["components"]

    answer = await user.press(VIEWER, notice, button(notice, "retry"))

    assert_refused(answer, "Admin")
    assert await rt.store.get_post(notified_org.id, post.id) == post
    assert notice.data["components"] == before


async def test_reconnect_answers_the_presser_alone(
        rt: Runtime, clock: ManualClock, notified_org: Organization, fake_discord: FakeDiscord,
        user: DiscordUser) -> None:
    _, _, notice = await failed_notice(rt, clock, notified_org, fake_discord, "reconnect")

    answer = await user.press(ADMIN, notice, button(notice, "reconnect"))

    assert answer["type"] == 4 and answer["data"]["flags"] == 64
    assert "sandbox account" in answer["data"]["content"]
    assert len(custom_ids(notice)) == 3


async def test_edit_opens_a_form_with_the_text_and_saving_it_retries(
        rt: Runtime, clock: ManualClock, notified_org: Organization, fake_discord: FakeDiscord,
        user: DiscordUser) -> None:
    post, _, notice = await failed_notice(rt, clock, notified_org, fake_discord)
    edit = button(notice, "edit")

    form = await user.press(ADMIN, notice, edit)
    inputs = [row["components"][0] for row in form["data"]["components"]]
    assert form["type"] == 9 and inputs[0]["value"] == post.text
    assert [i["custom_id"] for i in inputs] == ["text", "variant:sandbox"]
    answer = await user.submit(ADMIN, notice, edit, {"text": "Fixed text",
                                                     "variant:sandbox": ""})

    assert answer["type"] == 7, answer
    assert (await rt.store.get_post(notified_org.id, post.id)).text == "Fixed text"
    assert f"<@{ADMIN}> edited it" in shown(notice)


async def test_a_late_post_is_rescheduled_from_its_notice_in_the_organizations_zone(
        rt: Runtime, clock: ManualClock, notified_org: Organization, fake_discord: FakeDiscord,
        user: DiscordUser) -> None:
    post, _ = await stored_post(rt, clock, notified_org, PostStatus.LATE)
    await rt.notices.notify(PostLate(post))
    [notice] = fake_discord.messages_in(NOTICES)
    assert [c.split(":")[2] for c in custom_ids(notice)] == ["publish_now", "reschedule", "drop"]
    reschedule = button(notice, "reschedule")

    form = await user.press(ADMIN, notice, reschedule)
    bad = await user.submit(ADMIN, notice, reschedule, {"when": "tomorrow"})
    when = (clock.now() + timedelta(days=1)).strftime("%Y-%m-%d 09:30")
    good = await user.submit(ADMIN, notice, reschedule, {"when": when})

    assert form["type"] == 9
    assert_refused(bad, "YYYY-MM-DD HH:MM")
    assert good["type"] == 7
    after = await rt.store.get_post(notified_org.id, post.id)
    assert after.status is PostStatus.SCHEDULED
    assert after.scheduled_at is not None
    assert after.scheduled_at.strftime("%Y-%m-%d %H:%M") == when  # the organization is on UTC


async def test_an_expiring_account_is_warned_in_the_channel(
        rt: Runtime, notified_org: Organization, fake_discord: FakeDiscord) -> None:
    conn = await connect_sandbox(rt, notified_org.id, "acme", actor="test")

    await rt.notices.notify(TokenExpiring(conn, days_left=3))

    [warning] = fake_discord.messages_in(NOTICES)
    assert warning.data["content"].startswith("\N{HOURGLASS} The sandbox account")
    assert "in 3 days" in warning.data["content"]


async def test_notices_need_a_discord_channel(rt: Runtime, clock: ManualClock,
                                              org: Organization,
                                              fake_discord: FakeDiscord) -> None:
    slack_only = org.model_copy(update={"review_channel": ChatChannel(
        platform="slack", workspace_id="T1", channel_id="C1")})
    await rt.store.update_organization(slack_only)
    post, _ = await stored_post(rt, clock, slack_only, PostStatus.FAILED)

    await rt.notices.notify(PostFailed(post))

    assert fake_discord.messages_in(REVIEWS) == [] and fake_discord.messages_in(NOTICES) == []




async def test_edit_refuses_a_text_longer_than_a_discord_form_holds(
        rt: Runtime, clock: ManualClock, notified_org: Organization, fake_discord: FakeDiscord,
        user: DiscordUser) -> None:
    post, _, notice = await failed_notice(rt, clock, notified_org, fake_discord)
    long = post.model_copy(update={"text": "x" * 4001, "version": post.version + 1})
    await rt.store.replace_post(long, expected_version=post.version)

    answer = await user.press(ADMIN, notice, button(notice, "edit"))

    assert_refused(answer, "longer than a Discord form holds")
    assert (await rt.store.get_post(notified_org.id, post.id)).text == "x" * 4001
