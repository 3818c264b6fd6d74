"""Slack's three seconds: with a Slack Web API that does not answer until the test lets it, the
hub still answers commands, buttons and form submissions, and the slow work happens after the
answer.

Nothing here measures the wall clock: Slack is held (``FakeSlack.hold``) until the hub has
answered, so an answer that waited for Slack never comes; how soon the hub answers is its own
deadlines' business (``bot/slack/ack_budget.py``), checked against Slack's limit below.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable
from datetime import timedelta
from urllib.parse import quote

import pytest
from aiohttp import ClientResponse

from bot.slack.ack_budget import (
    ACK_DEADLINE_SECONDS,
    ANSWER_WITHIN_SECONDS,
    LISTENER_BUDGET_SECONDS,
    USER_LOOKUP_SECONDS,
)
from postflow.chatops.replies import Reply
from postflow.organizations import Organization
from postflow.posts import PostStatus
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from tests.bot.slack.conftest import SlackSender, all_text
from tests.bot.slack.test_buttons import scheduled_post
from tests.bot.slack.test_composer import opened_view, submission, values
from tests.bot.slack.test_review_flow import post_in_review, review_press
from tests.fakes.clock import ManualClock
from tests.fakes.slack_api import FakeSlack
from tests.polling import eventually

#: Slack's limit.
ACK_LIMIT_SECONDS = 3.0
#: The hub answers by its own deadline (2.5 s); this much longer only catches a hub that waits
#: for Slack, which never answers here until the test releases it.
ANSWER_TIMEOUT_SECONDS = 10.0
DEADLINE_SECONDS = 20.0


async def answered(request: Awaitable[ClientResponse]) -> ClientResponse:
    """The hub's answer, read in full, while Slack is still held."""
    response = await asyncio.wait_for(request, ANSWER_TIMEOUT_SECONDS)
    await response.read()
    return response


def test_the_hubs_deadlines_fit_in_slacks_three_seconds() -> None:
    assert USER_LOOKUP_SECONDS < ANSWER_WITHIN_SECONDS
    assert LISTENER_BUDGET_SECONDS < ACK_DEADLINE_SECONDS
    assert ANSWER_WITHIN_SECONDS <= ACK_DEADLINE_SECONDS < ACK_LIMIT_SECONDS


@pytest.fixture
async def slow_slack(slack: SlackSender, fake_slack: FakeSlack,
                     org: Organization) -> FakeSlack:
    """Slack holding every call until released, once the single-workspace token's team is
    known (``auth.test`` is asked once, on the first request)."""
    await slack.command("help")
    fake_slack.hold()
    return fake_slack


async def test_list_is_answered_in_the_ack_while_slack_is_slow(
        slack: SlackSender, slow_slack: FakeSlack) -> None:
    response = await answered(slack.post(slack.command_body("list", user_id="UVIEWER")))

    assert response.status == 200
    answer = await response.json()
    assert answer["response_type"] == "ephemeral" and all_text(answer)


async def test_new_acknowledges_at_once_and_opens_the_modal_after(
        slack: SlackSender, rt: Runtime, org: Organization, slow_slack: FakeSlack) -> None:
    await connect_sandbox(rt, org.id, "acme", actor="test")

    response = await answered(slack.post(slack.command_body("new", user_id="UMEMBER")))

    assert response.status == 200
    assert not slow_slack.calls_to("views.open")
    await eventually(lambda: "views.open" in slow_slack.held, timeout=DEADLINE_SECONDS,
                     what="the composer being opened")
    slow_slack.release()
    await eventually(lambda: bool(slow_slack.calls_to("views.open")), timeout=DEADLINE_SECONDS,
                     what="the composer opened")


async def test_a_button_press_is_answered_in_time_and_its_reply_follows(
        slack: SlackSender, rt: Runtime, clock: ManualClock, org: Organization,
        slow_slack: FakeSlack) -> None:
    post_id = await scheduled_post(rt, clock, org)

    response = await answered(slack.post(slack.button_body("cancel", post_id)))

    assert response.status == 200
    assert (await rt.store.get_post(org.id, post_id)).status is PostStatus.CANCELED
    assert not slow_slack.responses.get("button")
    slow_slack.release()
    await eventually(lambda: slow_slack.responses.get("button"), timeout=DEADLINE_SECONDS,
                     what="the button's reply")
    assert "Canceled post" in slow_slack.responses["button"][0]["text"]


async def test_an_approval_is_answered_in_time_while_the_card_update_is_slow(
        slack: SlackSender, rt: Runtime, clock: ManualClock, org: Organization,
        fake_slack: FakeSlack) -> None:
    post, review = await post_in_review(rt, slack, clock, org)
    fake_slack.hold()

    response = await answered(slack.post(review_press(slack, "approve", review.id, "UADMIN")))

    assert response.status == 200
    assert not fake_slack.responses.get("approve-UADMIN")
    fake_slack.release()
    await eventually(lambda: fake_slack.responses.get("approve-UADMIN"),
                     timeout=DEADLINE_SECONDS, what="the approval's reply")
    assert (await rt.store.get_post(org.id, post.id)).status is PostStatus.SCHEDULED


async def test_a_submission_whose_review_card_is_slow_closes_the_form_in_time(
        slack: SlackSender, rt: Runtime, clock: ManualClock, org: Organization,
        fake_slack: FakeSlack) -> None:
    await slack.command("settings review-channel here")
    conn = await connect_sandbox(rt, org.id, "acme", actor="test")
    await slack.post(slack.command_body("new", user_id="UMEMBER"))
    opened = opened_view(fake_slack)
    fake_slack.hold()
    when = (clock.now() + timedelta(days=3)).date().isoformat()
    state = values("Launch day!", (conn.id,), when="at", day=when, at="09:00")

    response = await answered(slack.post(submission(slack, opened, state, "UMEMBER")))

    assert response.status == 200
    assert await response.text() == ""  # the form closes
    assert not fake_slack.calls_to("chat.postEphemeral")
    fake_slack.release()
    await eventually(lambda: bool(fake_slack.calls_to("chat.postEphemeral")),
                     timeout=DEADLINE_SECONDS, what="the confirmation")
    [confirm] = fake_slack.calls_to("chat.postEphemeral")
    assert "waiting for review" in confirm.params["text"]
    [created] = await rt.store.list_posts(org.id)
    assert created.status is PostStatus.IN_REVIEW


async def test_an_invalid_submission_still_shows_its_errors_while_slack_is_slow(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    await connect_sandbox(rt, org.id, "acme", actor="test")
    await slack.post(slack.command_body("new", user_id="UMEMBER"))
    opened = opened_view(fake_slack)
    fake_slack.hold()

    response = await answered(slack.post(submission(slack, opened, values(""), "UMEMBER")))

    answer = await response.json()
    assert answer["response_action"] == "errors" and "targets" in answer["errors"]
    assert await rt.store.list_posts(org.id) == []


async def test_a_command_slower_than_the_budget_is_acknowledged_empty_and_answered_after(
        slack: SlackSender, org: Organization, fake_slack: FakeSlack,
        monkeypatch: pytest.MonkeyPatch) -> None:
    go_on = asyncio.Event()

    async def slow_command(*args: object) -> Reply:
        await go_on.wait()  # slower than any budget: until the test lets it finish
        return Reply(text="Here it is, late.")

    monkeypatch.setattr("bot.slack.listeners.run_command", slow_command)

    response = await answered(slack.post(slack.command_body("accounts")))

    assert response.status == 200
    assert await response.text() == ""
    go_on.set()
    await eventually(lambda: fake_slack.responses.get("cmd"), timeout=DEADLINE_SECONDS,
                     what="the late answer")
    [late] = fake_slack.responses["cmd"]
    assert late["text"] == "Here it is, late." and late["response_type"] == "ephemeral"


async def test_an_answer_slack_cannot_take_is_logged_in_one_line_and_the_ack_stands(
        slack: SlackSender, org: Organization, fake_slack: FakeSlack,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    go_on = asyncio.Event()

    async def slow_command(*args: object) -> Reply:
        await go_on.wait()
        return Reply(text="Here it is, late.")

    monkeypatch.setattr("bot.slack.listeners.run_command", slow_command)
    with socket.socket() as probe:  # a port that refuses: Slack unreachable
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/response/cmd"
    body = slack.command_body("accounts").replace(
        quote(fake_slack.response_url("cmd"), safe=""), quote(closed, safe=""))
    assert quote(closed, safe="") in body

    with caplog.at_level(logging.WARNING):
        response = await answered(slack.post(body))
        assert response.status == 200
        go_on.set()
        await eventually(lambda: any("response_url" in r.getMessage() for r in caplog.records),
                         timeout=DEADLINE_SECONDS, what="the warning")

    [warning] = [r for r in caplog.records if "response_url" in r.getMessage()]
    assert warning.levelno == logging.WARNING and warning.exc_info is None
    assert "ClientConnectorError" in warning.getMessage() and closed not in warning.getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
