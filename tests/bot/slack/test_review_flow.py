"""Review and approval through Slack, end to end: signed /slack/events requests, the fake Slack
Web API recording the card, its updates and the thread replies."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from postflow.approvals import ApprovalPolicy
from postflow.organizations import Organization
from postflow.posts import Post, PostSource, PostStatus
from postflow.reviews import ReviewRequest, ReviewState
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.bot.slack.conftest import SlackSender
from tests.fakes.clock import ManualClock
from tests.fakes.slack_api import FakeSlack


def review_press(slack: SlackSender, verdict: str, review_id: str, user_id: str) -> str:
    payload = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_id.lower(), "team_id": slack.fake.team_id},
        "api_app_id": "A0001", "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "container": {"type": "message", "message_ts": "1700000000.000100",
                      "channel_id": "C0001", "is_ephemeral": False},
        "trigger_id": "trigger-1", "team": {"id": slack.fake.team_id, "domain": "acme"},
        "channel": {"id": "C0001", "name": "social"},
        "response_url": slack.fake.response_url(f"{verdict}-{user_id}"),
        "actions": [{"action_id": f"postflow-review:{verdict}", "block_id": "review",
                     "value": review_id, "type": "button", "action_ts": "1700000001.0"}]}
    return urlencode({"payload": json.dumps(payload)})


def changes_submission(slack: SlackSender, review_id: str, comment: str, user_id: str) -> str:
    payload = {
        "type": "view_submission", "team": {"id": slack.fake.team_id, "domain": "acme"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": slack.fake.team_id},
        "api_app_id": "A0001", "token": "gIkuvaNzQIHg97ATvDxqgjtO", "trigger_id": "trigger-2",
        "view": {"id": "V0001", "type": "modal", "callback_id": "postflow-review:changes",
                 "private_metadata": review_id, "team_id": slack.fake.team_id,
                 "state": {"values": {"comment": {"comment_text": {
                     "type": "plain_text_input", "value": comment}}}}}}
    return urlencode({"payload": json.dumps(payload)})


async def post_in_review(rt: Runtime, slack: SlackSender, clock: ManualClock,
                         org: Organization) -> tuple[Post, ReviewRequest]:
    await slack.command("settings review-channel here", user_id="UADMIN")
    await slack.command("settings timezone Europe/Paris", user_id="UADMIN")
    conn = await connect_sandbox(rt, org.id, "acme", actor="test")
    post = await submit_post(
        rt, org.id, PostRequest(text="Launch day!", targets=[conn.id],
                                media_urls=["https://cdn.test/a.png"],
                                schedule_at=clock.now() + timedelta(hours=2)),
        source=PostSource(kind="slack"), actor="slack:T0001:UMEMBER", review_required=True)
    review = await rt.store.find_review_for_post(org.id, post.id)
    assert review is not None
    return post, review


def card_text(call_params: dict[str, Any]) -> str:
    blocks = call_params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    parts = []
    for block in blocks:
        if block["type"] == "section":
            parts.append(block["text"]["text"])
        elif block["type"] == "context":
            parts.extend(e["text"] for e in block["elements"])
        elif block["type"] == "actions":
            parts.extend(e["action_id"] for e in block["elements"])
    return "\n".join(parts)


async def test_a_post_in_review_posts_a_card_with_buttons_in_the_review_channel(
        slack: SlackSender, rt: Runtime, clock: ManualClock, org: Organization,
        fake_slack: FakeSlack) -> None:
    _post, review = await post_in_review(rt, slack, clock, org)

    [card] = fake_slack.calls_to("chat.postMessage")
    assert card.params["channel"] == "C0001" and card.token == fake_slack.bot_token
    text = card_text(card.params)
    assert "Waiting for review" in text and "0 of 1 approvals" in text
    assert "*sandbox* (11 characters)\nLaunch day!" in text
    assert "https://cdn.test/a.png" in text and "<@UMEMBER>" in text
    assert "Wed 25 Nov 2026 15:00 Europe/Paris" in text  # 14:00 UTC, in the org's zone
    assert "postflow-review:approve" in text and "postflow-review:reject" in text
    assert review.message is not None
    assert (review.message.channel_id, review.message.message_id) == ("C0001",
                                                                      "1700000000.000100")


async def test_approve_button_schedules_the_post_updates_the_card_and_replies_in_thread(
        slack: SlackSender, rt: Runtime, clock: ManualClock, org: Organization,
        fake_slack: FakeSlack) -> None:
    post, review = await post_in_review(rt, slack, clock, org)

    response = await slack.post(review_press(slack, "approve", review.id, "UADMIN"))

    assert response.status == 200
    assert (await rt.store.get_post(org.id, post.id)).status is PostStatus.SCHEDULED
    [update] = fake_slack.calls_to("chat.update")
    assert update.params["ts"] == "1700000000.000100"
    updated = card_text(update.params)
    assert "Approved" in updated and "<@UADMIN> approved" in updated
    assert "postflow-review:approve" not in updated  # no buttons on a closed review
    thread = [c for c in fake_slack.calls_to("chat.postMessage") if c.params.get("thread_ts")]
    assert [c.params["thread_ts"] for c in thread] == ["1700000000.000100"]
    assert "<@UADMIN> approved (1 of 1 approvals)" in thread[0].params["text"]
    [answer] = fake_slack.responses["approve-UADMIN"]
    assert answer["text"].startswith("Approved (1 of 1 approvals): post")


async def test_the_author_pressing_approve_is_refused_with_the_reason(
        slack: SlackSender, rt: Runtime, clock: ManualClock, org: Organization,
        fake_slack: FakeSlack) -> None:
    await rt.store.save_approval_policy(org.id, "", ApprovalPolicy(approver_role=None))
    post, review = await post_in_review(rt, slack, clock, org)

    await slack.post(review_press(slack, "approve", review.id, "UMEMBER"))
    await slack.post(review_press(slack, "approve", review.id, "UADMIN"))

    [own] = fake_slack.responses["approve-UMEMBER"]
    assert "Authors may not approve their own posts." in own["text"]
    assert own["response_type"] == "ephemeral"
    [admin] = fake_slack.responses["approve-UADMIN"]
    assert "needs to be named in the policy" in admin["text"]
    assert "Traceback" not in admin["text"]
    assert (await rt.store.get_post(org.id, post.id)).status is PostStatus.IN_REVIEW
    assert fake_slack.calls_to("chat.update") == []


async def test_request_changes_opens_a_modal_whose_comment_is_recorded(
        slack: SlackSender, rt: Runtime, clock: ManualClock, org: Organization,
        fake_slack: FakeSlack) -> None:
    post, review = await post_in_review(rt, slack, clock, org)

    await slack.post(review_press(slack, "request_changes", review.id, "UADMIN"))
    [opened] = fake_slack.calls_to("views.open")
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert opened.params["trigger_id"] == "trigger-1"
    assert view["private_metadata"] == review.id

    empty = await slack.post(changes_submission(slack, review.id, "", "UADMIN"))
    assert (await empty.json())["response_action"] == "errors"
    done = await slack.post(changes_submission(slack, review.id, "Add the link", "UADMIN"))

    assert done.status == 200
    stored = await rt.store.get_review(org.id, review.id)
    assert stored.state is ReviewState.CHANGES_REQUESTED
    assert stored.decisions[-1].comment == "Add the link"
    assert (await rt.store.get_post(org.id, post.id)).status is PostStatus.DRAFT
    thread = [c.params["text"] for c in fake_slack.calls_to("chat.postMessage")
              if c.params.get("thread_ts")]
    assert thread == ["<@UADMIN> requested changes: Add the link (0 of 1 approvals). "
                      "<@UMEMBER>, edit the post and it comes back here for review."]


async def test_reject_button_cancels_the_post_and_says_so_in_the_thread(
        slack: SlackSender, rt: Runtime, clock: ManualClock, org: Organization,
        fake_slack: FakeSlack) -> None:
    post, review = await post_in_review(rt, slack, clock, org)

    await slack.post(review_press(slack, "reject", review.id, "UOWNER"))

    assert (await rt.store.get_post(org.id, post.id)).status is PostStatus.CANCELED
    assert "Rejected" in card_text(fake_slack.calls_to("chat.update")[0].params)


async def test_settings_approval_changes_the_policy_for_admins_only(
        slack: SlackSender, rt: Runtime, org: Organization) -> None:
    refused = await slack.command("settings approval quorum 2", user_id="UMEMBER")
    assert "Changing settings needs the Admin role" in refused["text"]

    answer = await slack.command("settings approval quorum 2", user_id="UADMIN")

    assert "Approvals needed: 2" in json.dumps(answer)
    assert (await rt.store.get_approval_policies(org.id))[""].quorum == 2
