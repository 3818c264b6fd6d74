"""Events API retries: a delivery Slack sends again (``X-Slack-Retry-Num``) has one effect, and
a double-clicked button does not act twice."""

from __future__ import annotations

import json
from typing import Any

from postflow.organizations import Organization
from postflow.posts import PostStatus
from postflow.runtime import Runtime
from tests.bot.slack.conftest import HubClient, RecordingQueue, SlackSender
from tests.bot.slack.test_buttons import scheduled_post
from tests.bot.slack.test_review_flow import post_in_review, review_press
from tests.fakes.clock import ManualClock
from tests.fakes.slack_api import FakeSlack


def event_body(fake: FakeSlack, event_id: str) -> str:
    return json.dumps({
        "token": "x", "team_id": fake.team_id, "api_app_id": "A0001", "type": "event_callback",
        "event_id": event_id, "event_time": 1700000000,
        "event": {"type": "app_mention", "user": "UADMIN", "text": "<@UBOT> hi",
                  "ts": "1700000000.000100", "channel": "C0001",
                  "event_ts": "1700000000.000100"}})


def mentions_seen(client: HubClient) -> list[dict[str, Any]]:
    """Register an ``app_mention`` listener on the hub's bolt app; the events it acted on."""
    from hub.routes.slack import SLACK_BOT

    seen: list[dict[str, Any]] = []

    async def on_mention(event: dict[str, Any]) -> None:
        seen.append(event)

    client.app[SLACK_BOT].app.event("app_mention")(on_mention)
    return seen


async def test_a_retried_event_is_answered_200_without_acting_again(
        slack: SlackSender, client: HubClient, org: Organization,
        fake_slack: FakeSlack) -> None:
    seen = mentions_seen(client)
    body = event_body(fake_slack, "Ev0001")

    first = await slack.post(body, content_type="application/json")
    slack.client.session.headers.update({"X-Slack-Retry-Num": "1",
                                         "X-Slack-Retry-Reason": "http_timeout"})
    retry = await slack.post(body, content_type="application/json")

    assert (first.status, retry.status) == (200, 200)
    assert len(seen) == 1


async def test_a_retry_of_an_event_never_seen_is_acted_on(
        slack: SlackSender, client: HubClient, org: Organization,
        fake_slack: FakeSlack) -> None:
    seen = mentions_seen(client)
    slack.client.session.headers.update({"X-Slack-Retry-Num": "2",
                                         "X-Slack-Retry-Reason": "http_error"})

    response = await slack.post(event_body(fake_slack, "Ev0002"), content_type="application/json")

    assert response.status == 200 and len(seen) == 1


async def test_distinct_events_are_each_acted_on(
        slack: SlackSender, client: HubClient, org: Organization,
        fake_slack: FakeSlack) -> None:
    seen = mentions_seen(client)

    for event_id in ("Ev0003", "Ev0004"):
        await slack.post(event_body(fake_slack, event_id), content_type="application/json")

    assert len(seen) == 2


async def test_cancel_pressed_twice_cancels_once_and_says_so(
        slack: SlackSender, rt: Runtime, clock: ManualClock, org: Organization,
        fake_slack: FakeSlack) -> None:
    post_id = await scheduled_post(rt, clock, org)

    for _ in range(2):
        await slack.post(slack.button_body("cancel", post_id))
        clock.advance(1)  # each press is its own signed request (the same bytes: a replay)

    first, second = fake_slack.responses["button"]
    assert first["text"].startswith("Canceled post")
    assert "cannot be canceled: it was canceled" in second["text"]
    audit = await rt.store.list_audit(org.id, post_id)
    assert [e.action for e in audit].count("post.canceled") == 1


async def test_publish_now_pressed_twice_hands_the_post_to_a_worker_once(
        slack: SlackSender, rt: Runtime, clock: ManualClock, org: Organization,
        queue: RecordingQueue) -> None:
    post_id = await scheduled_post(rt, clock, org)

    for _ in range(2):
        await slack.post(slack.button_body("publish_now", post_id, user_id="UOWNER"))

    assert [p[1] for p in queue.published] == [post_id]
    assert (await rt.store.get_post(org.id, post_id)).status is PostStatus.QUEUED


async def test_reject_pressed_twice_rejects_once(
        slack: SlackSender, rt: Runtime, clock: ManualClock, org: Organization,
        fake_slack: FakeSlack) -> None:
    post, review = await post_in_review(rt, slack, clock, org)

    for _ in range(2):
        await slack.post(review_press(slack, "reject", review.id, "UADMIN"))
        clock.advance(1)  # each press is its own signed request (the same bytes: a replay)

    assert (await rt.store.get_post(org.id, post.id)).status is PostStatus.CANCELED
    first, second = fake_slack.responses["reject-UADMIN"]
    assert first["text"] != second["text"]
    audit = await rt.store.list_audit(org.id, post.id)
    assert [e.action for e in audit].count("post.canceled") <= 1
    thread = [c for c in fake_slack.calls_to("chat.postMessage") if c.params.get("thread_ts")]
    assert len(thread) == 1
