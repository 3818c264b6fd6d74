"""``/postflow inbox`` in Slack: the caller's own notices, unread first and marked, with links
to the posts; Mark all read as a button and as ``/postflow inbox read``."""

from __future__ import annotations

from postflow.notices.events import PostFailed, PostPublished
from postflow.organizations import Organization
from postflow.posts import PostStatus, PostTarget, TargetStatus
from postflow.runtime import Runtime
from tests.bot.slack.conftest import SlackSender, all_text, buttons
from tests.fakes.clock import ManualClock
from tests.fakes.slack_api import FakeSlack
from tests.postflow.store.factories import make_post

LINK = "https://mastodon.example/@acme/1"


async def notify_member(rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    """A published post by the Member, then a failed one (which the Admins get too)."""
    author = f"slack:{fake_slack.team_id}:UMEMBER"
    published = make_post(org.id, status=PostStatus.PUBLISHED, created_by=author,
                          text="Spring launch", targets=[PostTarget(
                              connection_id="conn_a", network="mastodon",
                              status=TargetStatus.PUBLISHED, url=LINK)])
    failed = make_post(org.id, status=PostStatus.FAILED, created_by=author, text="Summer sale",
                       status_reason="mastodon: the account's token was revoked")
    await rt.notices.notify(PostPublished(published))
    await rt.notices.notify(PostFailed(failed))


async def test_inbox_lists_the_callers_notices_unread_with_links(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    await notify_member(rt, org, fake_slack)

    answer = await slack.command("inbox", user_id="UMEMBER")

    text = all_text(answer)
    assert "2 unread notices" in text
    assert "New · Failed" in text and "New · Published" in text
    assert "token was revoked" in text and f"Link: {LINK}" in text
    assert answer["response_type"] == "ephemeral"
    assert buttons(answer) == [("postflow:inbox_read:0", "all")]


async def test_another_member_sees_only_their_own_notices(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    await notify_member(rt, org, fake_slack)

    admin = all_text(await slack.command("inbox", user_id="UADMIN"))
    viewer = all_text(await slack.command("inbox", user_id="UVIEWER"))

    assert "1 unread notice," in admin and "Failed" in admin and "Published" not in admin
    assert "No notices yet" in viewer


async def test_the_mark_all_read_button_marks_the_pressers_notices_read(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    await notify_member(rt, org, fake_slack)

    response = await slack.post(slack.button_body("inbox_read", "all", user_id="UMEMBER"))

    assert response.status == 200
    [answer] = fake_slack.responses["button"]
    assert answer["text"] == "Marked 2 notices read."
    after = await slack.command("inbox", user_id="UMEMBER")
    assert "No unread notices" in all_text(after) and "New ·" not in all_text(after)
    assert buttons(after) == []
    assert "1 unread notice," in all_text(await slack.command("inbox", user_id="UADMIN"))


async def test_inbox_read_marks_them_all_read(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack,
        clock: ManualClock) -> None:
    await notify_member(rt, org, fake_slack)

    answer = await slack.command("inbox read", user_id="UMEMBER")

    assert answer["text"] == "Marked 2 notices read."
    clock.advance(1)  # the same request again a second later, not a replay
    assert (await slack.command("inbox read", user_id="UMEMBER"))["text"] == \
        "You have no unread notices."


async def test_inbox_with_other_words_says_how_to_use_it(slack: SlackSender,
                                                         org: Organization) -> None:
    answer = await slack.command("inbox everything", user_id="UMEMBER")

    assert answer["text"].startswith(":warning: Say `/postflow inbox`")
