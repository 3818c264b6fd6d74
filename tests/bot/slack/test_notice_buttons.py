"""Notices about posts: where they land (the review thread, else the notification channel) and
their buttons, pressed through signed /slack/events requests, with the presser's role checked."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from postflow.connections import Connection
from postflow.notices.events import PostFailed, PostLate
from postflow.organizations import ChatChannel, Organization
from postflow.posts import Post, PostStatus, PostTarget, TargetStatus
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from tests.bot.slack.conftest import RecordingQueue, SlackSender
from tests.bot.slack.test_outcome_notices import NOTIFY, messages
from tests.fakes.clock import ManualClock
from tests.fakes.slack_api import FakeSlack, SlackCall
from tests.postflow.store.factories import make_post

NOTICE_TS = "1700000000.000900"


@pytest.fixture
async def notified_org(rt: Runtime, org: Organization, fake_slack: FakeSlack) -> Organization:
    updated = org.model_copy(update={"notification_channel": ChatChannel(
        platform="slack", workspace_id=fake_slack.team_id, channel_id=NOTIFY)})
    await rt.store.update_organization(updated)
    return updated


async def stored_post(rt: Runtime, clock: ManualClock, org: Organization, status: PostStatus,
                      target_status: TargetStatus = TargetStatus.FAILED,
                      error_kind: str | None = "unknown") -> tuple[Post, Connection]:
    conn = await connect_sandbox(rt, org.id, "acme", actor="test")
    target = PostTarget(connection_id=conn.id, network="sandbox", status=target_status,
                        error_kind=error_kind)
    if status is PostStatus.LATE:
        target = PostTarget(connection_id=conn.id, network="sandbox")
    post = make_post(org.id, (conn.id,), status=status, targets=[target],
                     created_by="slack:T0001:UMEMBER", status_reason="due 3 hours ago",
                     scheduled_at=clock.now() - timedelta(hours=3),
                     due_at=clock.now() - timedelta(hours=3),
                     created_at=clock.now(), updated_at=clock.now())
    await rt.store.insert_post(post)
    return post, conn


def blocks_of(call: SlackCall) -> list[dict[str, Any]]:
    blocks = call.params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


def notice_buttons(call: SlackCall) -> dict[str, str]:
    """action id -> value of the notice's buttons."""
    return {e["action_id"]: e["value"] for b in blocks_of(call) if b["type"] == "actions"
            for e in b["elements"]}


def press(slack: SlackSender, notice: SlackCall, action: str, user_id: str) -> str:
    """A block_actions payload for a button of ``notice`` (a channel message, not ephemeral)."""
    value = notice_buttons(notice)[f"postflow-notice:{action}"]
    payload = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_id.lower(), "team_id": slack.fake.team_id},
        "api_app_id": "A0001", "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "container": {"type": "message", "message_ts": NOTICE_TS,
                      "channel_id": notice.params["channel"], "is_ephemeral": False},
        "trigger_id": "trigger-1", "team": {"id": slack.fake.team_id, "domain": "acme"},
        "channel": {"id": notice.params["channel"], "name": "notices"},
        "message": {"type": "message", "ts": NOTICE_TS, "text": notice.params["text"],
                    "blocks": blocks_of(notice)},
        "response_url": slack.fake.response_url(f"{action}-{user_id}"),
        "actions": [{"action_id": f"postflow-notice:{action}", "block_id": "notice-actions",
                     "value": value, "type": "button", "action_ts": "1700000001.0"}]}
    return urlencode({"payload": json.dumps(payload)})


def answer(fake: FakeSlack, action: str, user_id: str) -> str:
    [reply] = fake.responses[f"{action}-{user_id}"]
    assert reply["response_type"] == "ephemeral"
    return str(reply["text"])


def updates(fake: FakeSlack) -> list[SlackCall]:
    return [c for c in fake.calls_to("chat.update") if c.params.get("ts") == NOTICE_TS]


def update_text(call: SlackCall) -> str:
    parts = []
    for block in blocks_of(call):
        if block["type"] == "section":
            parts.append(block["text"]["text"])
        elif block["type"] == "context":
            parts.extend(e["text"] for e in block["elements"])
        assert block["type"] != "actions"
    return "\n".join(parts)


async def failed_notice(rt: Runtime, clock: ManualClock, org: Organization, fake: FakeSlack,
                        **target: Any) -> tuple[Post, Connection, SlackCall]:
    post, conn = await stored_post(rt, clock, org, PostStatus.FAILED, **target)
    await rt.notices.notify(PostFailed(post))
    [notice] = messages(fake, NOTIFY)
    return post, conn, notice


# -- where notices land -----------------------------------------------------------------------

async def test_a_notice_about_a_post_with_a_review_card_goes_to_the_cards_thread(
        rt: Runtime, slack: SlackSender, clock: ManualClock, notified_org: Organization,
        fake_slack: FakeSlack) -> None:
    from tests.bot.slack.test_review_flow import post_in_review

    post, review = await post_in_review(rt, slack, clock, notified_org)
    assert review.message is not None
    failed = post.model_copy(update={"status": PostStatus.FAILED, "targets": [
        t.model_copy(update={"status": TargetStatus.FAILED, "error_kind": "unknown"})
        for t in post.targets]})

    await rt.notices.notify(PostFailed(failed))

    [notice] = [c for c in fake_slack.calls_to("chat.postMessage")
                if f"Post `{post.id}`" in c.params["text"] and c.params["channel"] != "DUMEMBER"]
    assert notice.params["channel"] == review.message.channel_id
    assert notice.params["thread_ts"] == review.message.message_id
    assert messages(fake_slack, NOTIFY) == []
    assert len(messages(fake_slack, "DUMEMBER")) == 1


async def test_a_notice_without_a_thread_goes_to_the_channel_with_buttons(
        rt: Runtime, clock: ManualClock, notified_org: Organization,
        fake_slack: FakeSlack) -> None:
    post, conn, notice = await failed_notice(rt, clock, notified_org, fake_slack,
                                             error_kind="reconnect")

    assert "thread_ts" not in notice.params
    assert notice_buttons(notice) == {"postflow-notice:retry": post.id,
                                      "postflow-notice:edit": post.id,
                                      "postflow-notice:reconnect": conn.id}
    [dm] = messages(fake_slack, "DUMEMBER")
    assert "blocks" not in dm.params  # the author's copy has no buttons


# -- buttons ----------------------------------------------------------------------------------

async def test_retry_publishes_the_failed_targets_now_and_updates_the_notice(
        rt: Runtime, slack: SlackSender, clock: ManualClock, notified_org: Organization,
        fake_slack: FakeSlack, queue: RecordingQueue) -> None:
    post, _, notice = await failed_notice(rt, clock, notified_org, fake_slack)

    response = await slack.post(press(slack, notice, "retry", "UADMIN"))

    assert response.status == 200
    stored = await rt.store.get_post(notified_org.id, post.id)
    assert stored.status is PostStatus.QUEUED
    assert stored.targets[0].status is TargetStatus.PENDING
    assert [p[1] for p in queue.published] == [post.id]
    assert f"Post `{post.id}` is being published now." in answer(fake_slack, "retry", "UADMIN")
    [update] = updates(fake_slack)
    assert update.params["channel"] == NOTIFY
    text = update_text(update)
    assert f"Post `{post.id}`" in text
    assert "<@UADMIN> retried the accounts it missed: publishing now." in text


async def test_retry_from_a_member_is_refused_naming_the_admin_role(
        rt: Runtime, slack: SlackSender, clock: ManualClock, notified_org: Organization,
        fake_slack: FakeSlack, queue: RecordingQueue) -> None:
    post, _, notice = await failed_notice(rt, clock, notified_org, fake_slack)

    await slack.post(press(slack, notice, "retry", "UMEMBER"))

    assert (await rt.store.get_post(notified_org.id, post.id)).status is PostStatus.FAILED
    assert queue.published == []
    assert ("Canceling or publishing posts needs the Admin role or higher; you are a Member."
            in answer(fake_slack, "retry", "UMEMBER"))
    assert updates(fake_slack) == []


async def test_mark_as_published_settles_an_unconfirmed_target_and_is_audited(
        rt: Runtime, slack: SlackSender, clock: ManualClock, notified_org: Organization,
        fake_slack: FakeSlack) -> None:
    post, _, notice = await failed_notice(rt, clock, notified_org, fake_slack,
                                          target_status=TargetStatus.UNCONFIRMED)
    assert set(notice_buttons(notice)) == {"postflow-notice:mark_published",
                                           "postflow-notice:retry_unconfirmed"}

    await slack.post(press(slack, notice, "mark_published", "UOWNER"))

    stored = await rt.store.get_post(notified_org.id, post.id)
    assert stored.status is PostStatus.PUBLISHED
    assert stored.targets[0].status is TargetStatus.PUBLISHED
    audit = await rt.store.list_audit(notified_org.id, post.id)
    assert any(e.action == "post.unconfirmed_marked_published" and e.actor == "slack:T0001:UOWNER"
               for e in audit)
    assert "marked it as published" in update_text(updates(fake_slack)[0])


async def test_not_there_retry_publishes_the_unconfirmed_target_again(
        rt: Runtime, slack: SlackSender, clock: ManualClock, notified_org: Organization,
        fake_slack: FakeSlack, queue: RecordingQueue) -> None:
    post, _, notice = await failed_notice(rt, clock, notified_org, fake_slack,
                                          target_status=TargetStatus.UNCONFIRMED)

    await slack.post(press(slack, notice, "retry_unconfirmed", "UADMIN"))

    assert [p[1] for p in queue.published] == [post.id]
    stored = await rt.store.get_post(notified_org.id, post.id)
    assert stored.targets[0].status is TargetStatus.PENDING


async def test_reconnect_answers_the_presser_and_refuses_a_member(
        rt: Runtime, slack: SlackSender, clock: ManualClock, notified_org: Organization,
        fake_slack: FakeSlack) -> None:
    _, _, notice = await failed_notice(rt, clock, notified_org, fake_slack,
                                       error_kind="reconnect")

    await slack.post(press(slack, notice, "reconnect", "UMEMBER"))
    await slack.post(press(slack, notice, "reconnect", "UADMIN"))

    assert ("Connecting accounts needs the Admin role or higher; you are a Member."
            in answer(fake_slack, "reconnect", "UMEMBER"))
    assert "is a sandbox account" in answer(fake_slack, "reconnect", "UADMIN")
    assert updates(fake_slack) == []


async def late_notice(rt: Runtime, clock: ManualClock, org: Organization,
                      fake: FakeSlack) -> tuple[Post, SlackCall]:
    post, _ = await stored_post(rt, clock, org, PostStatus.LATE)
    await rt.notices.notify(PostLate(post))
    [notice] = messages(fake, NOTIFY)
    assert set(notice_buttons(notice)) == {"postflow-notice:publish_now",
                                           "postflow-notice:reschedule", "postflow-notice:drop"}
    return post, notice


async def test_publish_now_on_a_late_notice(
        rt: Runtime, slack: SlackSender, clock: ManualClock, notified_org: Organization,
        fake_slack: FakeSlack, queue: RecordingQueue) -> None:
    post, notice = await late_notice(rt, clock, notified_org, fake_slack)

    await slack.post(press(slack, notice, "publish_now", "UADMIN"))

    assert [p[1] for p in queue.published] == [post.id]
    assert "<@UADMIN> published it now." in update_text(updates(fake_slack)[0])


async def test_drop_cancels_a_late_post_and_a_viewer_cannot(
        rt: Runtime, slack: SlackSender, clock: ManualClock, notified_org: Organization,
        fake_slack: FakeSlack) -> None:
    post, notice = await late_notice(rt, clock, notified_org, fake_slack)

    await slack.post(press(slack, notice, "drop", "UVIEWER"))
    assert (await rt.store.get_post(notified_org.id, post.id)).status is PostStatus.LATE
    assert "you are a Viewer" in answer(fake_slack, "drop", "UVIEWER")

    await slack.post(press(slack, notice, "drop", "UADMIN"))
    assert (await rt.store.get_post(notified_org.id, post.id)).status is PostStatus.CANCELED
    assert "<@UADMIN> dropped it" in update_text(updates(fake_slack)[0])


async def test_reschedule_opens_a_form_in_the_pressers_zone_and_moves_the_post(
        rt: Runtime, slack: SlackSender, clock: ManualClock, notified_org: Organization,
        fake_slack: FakeSlack) -> None:
    post, notice = await late_notice(rt, clock, notified_org, fake_slack)

    await slack.post(press(slack, notice, "reschedule", "UMEMBER"))
    assert "you are a Member" in answer(fake_slack, "reschedule", "UMEMBER")
    assert fake_slack.calls_to("views.open") == []

    await slack.post(press(slack, notice, "reschedule", "UADMIN"))
    [opened] = fake_slack.calls_to("views.open")
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["blocks"][1]["label"]["text"] == "Time (Europe/Paris)"  # UADMIN's zone

    day = (clock.now() + timedelta(days=1)).date().isoformat()
    submission = {
        "type": "view_submission", "team": {"id": fake_slack.team_id, "domain": "acme"},
        "user": {"id": "UADMIN", "username": "uadmin", "team_id": fake_slack.team_id},
        "api_app_id": "A0001", "token": "gIkuvaNzQIHg97ATvDxqgjtO", "trigger_id": "trigger-2",
        "view": {"id": "V0001", "type": "modal", "callback_id": view["callback_id"],
                 "private_metadata": view["private_metadata"],
                 "team_id": fake_slack.team_id,
                 "state": {"values": {
                     "reschedule-date": {"date": {"type": "datepicker",
                                                  "selected_date": day}},
                     "reschedule-time": {"time": {"type": "timepicker",
                                                  "selected_time": "09:30"}}}}}}
    response = await slack.post(urlencode({"payload": json.dumps(submission)}))

    assert response.status == 200
    stored = await rt.store.get_post(notified_org.id, post.id)
    assert stored.status is PostStatus.SCHEDULED
    assert stored.scheduled_at is not None
    paris = stored.scheduled_at.astimezone(ZoneInfo("Europe/Paris"))
    assert (paris.date().isoformat(), paris.strftime("%H:%M")) == (day, "09:30")
    assert "<@UADMIN> rescheduled it for" in update_text(updates(fake_slack)[0])
