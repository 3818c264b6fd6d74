"""Slack's three seconds: with a Slack Web API that takes 4 s per call, the hub still answers
commands, buttons and form submissions in time, and the slow work happens after the answer."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import quote

import pytest
from aiohttp import ClientResponse

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

SLOW_SLACK_SECONDS = 4.0
#: Slack's limit is 3 s; the hub aims at 2.5 s at most.
ACK_LIMIT_SECONDS = 3.0
DEADLINE_SECONDS = 20.0


async def timed(request: Awaitable[ClientResponse]) -> tuple[ClientResponse, float]:
    started = time.monotonic()
    response = await request
    await response.read()
    return response, time.monotonic() - started


async def eventually(check: Callable[[], object]) -> None:
    """Poll ``check`` until it is truthy; fail after the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_SECONDS
    while not check():
        assert loop.time() < deadline, "the work after the acknowledgement never happened"
        await asyncio.sleep(0.05)


@pytest.fixture
async def slow_slack(slack: SlackSender, fake_slack: FakeSlack,
                     org: Organization) -> FakeSlack:
    """Slack answering every call after 4 s, once the single-workspace token's team is known
    (``auth.test`` is asked once, on the first request)."""
    await slack.command("help")
    fake_slack.delay_seconds = SLOW_SLACK_SECONDS
    return fake_slack


async def test_list_is_answered_in_the_ack_while_slack_is_slow(
        slack: SlackSender, slow_slack: FakeSlack) -> None:
    response, took = await timed(slack.post(slack.command_body("list", user_id="UVIEWER")))

    assert response.status == 200 and took < ACK_LIMIT_SECONDS
    answer = await response.json()
    assert answer["response_type"] == "ephemeral" and all_text(answer)


async def test_new_acknowledges_at_once_and_opens_the_modal_after(
        slack: SlackSender, rt: Runtime, org: Organization, slow_slack: FakeSlack) -> None:
    await connect_sandbox(rt, org.id, "acme", actor="test")

    response, took = await timed(slack.post(slack.command_body("new", user_id="UMEMBER")))

    assert response.status == 200 and took < ACK_LIMIT_SECONDS
    await eventually(lambda: slow_slack.calls_to("views.open"))


async def test_a_button_press_is_answered_in_time_and_its_reply_follows(
        slack: SlackSender, rt: Runtime, clock: ManualClock, org: Organization,
        slow_slack: FakeSlack) -> None:
    post_id = await scheduled_post(rt, clock, org)

    response, took = await timed(slack.post(slack.button_body("cancel", post_id)))

    assert response.status == 200 and took < ACK_LIMIT_SECONDS
    assert (await rt.store.get_post(org.id, post_id)).status is PostStatus.CANCELED
    await eventually(lambda: slow_slack.responses.get("button"))
    assert "Canceled post" in slow_slack.responses["button"][0]["text"]


async def test_an_approval_is_answered_in_time_while_the_card_update_is_slow(
        slack: SlackSender, rt: Runtime, clock: ManualClock, org: Organization,
        fake_slack: FakeSlack) -> None:
    post, review = await post_in_review(rt, slack, clock, org)
    fake_slack.delay_seconds = SLOW_SLACK_SECONDS

    response, took = await timed(slack.post(review_press(slack, "approve", review.id,
                                                         "UADMIN")))

    assert response.status == 200 and took < ACK_LIMIT_SECONDS
    await eventually(lambda: fake_slack.responses.get("approve-UADMIN"))
    assert (await rt.store.get_post(org.id, post.id)).status is PostStatus.SCHEDULED


async def test_a_submission_whose_review_card_is_slow_closes_the_form_in_time(
        slack: SlackSender, rt: Runtime, clock: ManualClock, org: Organization,
        fake_slack: FakeSlack) -> None:
    await slack.command("settings review-channel here")
    conn = await connect_sandbox(rt, org.id, "acme", actor="test")
    await slack.post(slack.command_body("new", user_id="UMEMBER"))
    opened = opened_view(fake_slack)
    fake_slack.delay_seconds = SLOW_SLACK_SECONDS
    when = (clock.now() + timedelta(days=3)).date().isoformat()
    state = values("Launch day!", (conn.id,), when="at", day=when, at="09:00")

    response, took = await timed(slack.post(submission(slack, opened, state, "UMEMBER")))

    assert response.status == 200 and took < ACK_LIMIT_SECONDS
    assert await response.text() == ""  # the form closes
    await eventually(lambda: fake_slack.calls_to("chat.postEphemeral"))
    [confirm] = fake_slack.calls_to("chat.postEphemeral")
    assert "waiting for review" in confirm.params["text"]
    [created] = await rt.store.list_posts(org.id)
    assert created.status is PostStatus.IN_REVIEW


async def test_an_invalid_submission_still_shows_its_errors_while_slack_is_slow(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    await connect_sandbox(rt, org.id, "acme", actor="test")
    await slack.post(slack.command_body("new", user_id="UMEMBER"))
    opened = opened_view(fake_slack)
    fake_slack.delay_seconds = SLOW_SLACK_SECONDS

    response, took = await timed(slack.post(submission(slack, opened, values(""), "UMEMBER")))

    assert took < ACK_LIMIT_SECONDS
    answer = await response.json()
    assert answer["response_action"] == "errors" and "targets" in answer["errors"]
    assert await rt.store.list_posts(org.id) == []


async def test_a_command_slower_than_the_budget_is_acknowledged_empty_and_answered_after(
        slack: SlackSender, org: Organization, fake_slack: FakeSlack,
        monkeypatch: pytest.MonkeyPatch) -> None:
    async def slow_command(*args: object) -> Reply:
        await asyncio.sleep(4)
        return Reply(text="Here it is, late.")

    monkeypatch.setattr("bot.slack.listeners.run_command", slow_command)

    response, took = await timed(slack.post(slack.command_body("accounts")))

    assert response.status == 200 and took < ACK_LIMIT_SECONDS
    assert await response.text() == ""
    await eventually(lambda: fake_slack.responses.get("cmd"))
    [late] = fake_slack.responses["cmd"]
    assert late["text"] == "Here it is, late." and late["response_type"] == "ephemeral"


async def test_an_answer_slack_cannot_take_is_logged_in_one_line_and_the_ack_stands(
        slack: SlackSender, org: Organization, fake_slack: FakeSlack,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    async def slow_command(*args: object) -> Reply:
        await asyncio.sleep(2)
        return Reply(text="Here it is, late.")

    monkeypatch.setattr("bot.slack.listeners.run_command", slow_command)
    with socket.socket() as probe:  # a port that refuses: Slack unreachable
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/response/cmd"
    body = slack.command_body("accounts").replace(
        quote(fake_slack.response_url("cmd"), safe=""), quote(closed, safe=""))
    assert quote(closed, safe="") in body

    with caplog.at_level(logging.WARNING):
        response, took = await timed(slack.post(body))
        assert response.status == 200 and took < ACK_LIMIT_SECONDS
        await eventually(lambda: any("response_url" in r.getMessage() for r in caplog.records))

    [warning] = [r for r in caplog.records if "response_url" in r.getMessage()]
    assert warning.levelno == logging.WARNING and warning.exc_info is None
    assert "ClientConnectorError" in warning.getMessage() and closed not in warning.getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
