"""``/postflow inbox`` from Discord, through the hub's signed interactions endpoint: the
caller's own notices within Discord's 2,000 characters, and ``inbox read``."""

from __future__ import annotations

from typing import Any

from postflow.notices.events import PostFailed, PostPublished
from postflow.organizations import Organization
from postflow.posts import PostStatus, PostTarget, TargetStatus
from postflow.runtime import Runtime
from tests.bot.discord.conftest import ADMIN, GUILD, MEMBER, VIEWER, DiscordUser, actor, content
from tests.fakes.clock import ManualClock
from tests.hub.discord_sender import command_payload, subcommand
from tests.postflow.store.factories import make_post

LINK = "https://mastodon.example/@acme/7"
EPHEMERAL = 1 << 6


async def inbox(user: DiscordUser, user_id: str, *words: str) -> dict[str, Any]:
    response = await user.sender.post(command_payload(
        subcommand("inbox", *({"type": 3, "name": "action", "value": w} for w in words)),
        user_id=user_id, guild_id=GUILD))
    assert response.status == 200, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


async def test_inbox_lists_the_callers_notices_with_links(
        rt: Runtime, org: Organization, user: DiscordUser) -> None:
    await rt.notices.notify(PostPublished(make_post(
        org.id, status=PostStatus.PUBLISHED, created_by=actor(MEMBER), text="Launch day",
        targets=[PostTarget(connection_id="conn_a", network="mastodon",
                            status=TargetStatus.PUBLISHED, url=LINK)])))

    answer = await inbox(user, MEMBER)

    assert answer["type"] == 4 and answer["data"]["flags"] == EPHEMERAL
    text = content(answer)
    assert "1 unread notice," in text and "**New · Published" in text
    assert f"Link: {LINK}" in text and "Launch day" in text
    assert "No notices yet" in content(await inbox(user, VIEWER))


async def test_many_notices_fit_in_one_discord_message(
        rt: Runtime, org: Organization, user: DiscordUser, clock: ManualClock) -> None:
    for _ in range(12):
        clock.advance(60)
        await rt.notices.notify(PostFailed(make_post(
            org.id, status=PostStatus.FAILED, created_by=actor(MEMBER), text="x" * 500,
            status_reason="mastodon: " + "the network refused it " * 20)))

    text = content(await inbox(user, MEMBER))

    assert len(text) <= 2000
    assert "12 unread notices" in text and text.count("New · Failed") >= 3


async def test_inbox_read_marks_the_callers_notices_read(
        rt: Runtime, org: Organization, user: DiscordUser, clock: ManualClock) -> None:
    await rt.notices.notify(PostFailed(make_post(
        org.id, status=PostStatus.FAILED, created_by=actor(MEMBER), status_reason="down")))

    assert content(await inbox(user, MEMBER, "read")) == "Marked 1 notice read."

    clock.advance(1)
    assert "No unread notices" in content(await inbox(user, MEMBER))
    assert "1 unread notice," in content(await inbox(user, ADMIN))  # the Admins' stay unread
