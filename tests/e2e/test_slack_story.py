"""The whole Slack story against the real hub on loopback with the embedded worker: ``/postflow
new`` -> the form submitted -> the review card in the review channel -> two approvals (quorum 2)
-> scheduled -> published to the sandbox -> the "published" notice in Slack."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from postflow.config import Settings
from postflow.posts import Post, PostStatus
from postflow.runtime import Runtime
from postflow.usecases.organizations import change_plan
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.slack_api import FakeSlack, FakeUser
from tests.workers.scenario import eventually, post_in_status

SIGNING_SECRET = "e2e-signing-secret-0123456789abcdef"
CHANNEL = "C0REVIEW"


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack(users={
        "UOWNER": FakeUser("UOWNER", "olga", "Europe/Paris", is_owner=True),
        "UADA": FakeUser("UADA", "ada", "Europe/Paris"),
        "UBO": FakeUser("UBO", "bo", "Europe/Paris"),
        "UMO": FakeUser("UMO", "mo", "America/New_York"),
    })
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.base_url = str(server.make_url("")).rstrip("/")
    try:
        yield fake
    finally:
        await server.close()


@pytest.fixture
def settings(tmp_path: Path, fake_slack: FakeSlack) -> Settings:
    """Single-workspace Slack on the fake Web API (overrides tests/conftest.py)."""
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY, http_port=0,
                    slack_signing_secret=SIGNING_SECRET, slack_bot_token=fake_slack.bot_token,
                    slack_api_url=fake_slack.api_url)


class Slack:
    """Sends what Slack sends to the hub, signed, on the real clock."""

    def __init__(self, hub_url: str, fake: FakeSlack) -> None:
        self.hub_url = hub_url
        self.fake = fake

    async def post(self, body: str) -> aiohttp.ClientResponse:
        ts = str(int(time.time()))
        signature = "v0=" + hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:{body}".encode(),
                                     hashlib.sha256).hexdigest()
        async with aiohttp.ClientSession() as session, session.post(
                f"{self.hub_url}/slack/events", data=body.encode(), headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}) as answer:
            await answer.read()
            assert answer.status == 200, await answer.text()
            return answer

    async def command(self, text: str, user_id: str) -> str:
        answer = await self.post(urlencode({
            "team_id": self.fake.team_id, "team_domain": "acme", "channel_id": CHANNEL,
            "channel_name": "social", "user_id": user_id, "user_name": user_id.lower(),
            "command": "/postflow", "text": text, "api_app_id": "A0001",
            "response_url": self.fake.response_url(f"cmd-{user_id}"),
            "trigger_id": f"trigger-{time.monotonic_ns()}"}))
        return await answer.text()

    async def interaction(self, payload: dict[str, Any], user_id: str) -> str:
        payload.update({"team": {"id": self.fake.team_id, "domain": "acme"},
                        "user": {"id": user_id, "username": user_id.lower(),
                                 "team_id": self.fake.team_id},
                        "api_app_id": "A0001", "trigger_id": f"t-{time.monotonic_ns()}"})
        answer = await self.post(urlencode({"payload": json.dumps(payload)}))
        return await answer.text()


def form_values(text: str, connection_id: str) -> dict[str, Any]:
    return {
        "text": {"postflow-compose:text": {"type": "plain_text_input", "value": text}},
        "targets": {"postflow-compose:targets": {
            "type": "multi_static_select", "selected_options": [{"value": connection_id}]}},
        "media": {"postflow-compose:media": {"type": "plain_text_input", "value": None}},
        "when": {"postflow-compose:when": {"type": "radio_buttons",
                                           "selected_option": {"value": "now"}}},
        "mode": {"postflow-compose:mode": {"type": "radio_buttons",
                                           "selected_option": {"value": "review"}}}}


def approval(review_id: str, user_id: str) -> dict[str, Any]:
    return {"type": "block_actions",
            "container": {"type": "message", "message_ts": "1700000000.000100",
                          "channel_id": CHANNEL},
            "channel": {"id": CHANNEL, "name": "social"},
            "actions": [{"action_id": "postflow-review:approve", "block_id": "review",
                         "value": review_id, "type": "button", "action_ts": "1700000001.0"}]}


def message_text(params: dict[str, Any]) -> str:
    blocks = params.get("blocks") or []
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    return json.dumps([params.get("text", ""), blocks])


async def test_a_post_composed_in_slack_is_reviewed_twice_published_and_announced(
        embedded: str, live_rt: Runtime, fake_slack: FakeSlack) -> None:
    slack = Slack(embedded, fake_slack)
    # The workspace owner's first command links the workspace; the Owner then sets it up.
    assert "Owner" in await slack.command("help", "UOWNER")
    found = await live_rt.store.find_workspace("slack", fake_slack.team_id)
    assert found is not None
    await change_plan(live_rt, found.org_id, "pro", actor="test")  # quorum 2 needs Pro
    for user_id, role in (("UADA", "admin"), ("UBO", "admin"), ("UMO", "member")):
        # The hub may see the plan change up to two seconds late (its read cache).
        async def given(text: str = f"role <@{user_id}> {role}") -> bool:
            return "is now" in await slack.command(text, "UOWNER")

        await eventually(given, what=f"{user_id} becoming {role}")
    await slack.command("settings review-channel here", "UOWNER")
    await slack.command("settings approval quorum 2", "UOWNER")
    assert "sandbox" in (await slack.command("connect sandbox", "UOWNER")).lower()
    [connection] = await live_rt.store.list_connections(found.org_id)

    # /postflow new -> the modal; the member submits it for review.
    await slack.command("new", "UMO")
    opened = await eventually(lambda: fake_slack.calls_to("views.open") or None,
                              what="the modal")
    view = opened[-1].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    await slack.interaction({"type": "view_submission", "view": {
        "id": "V0001", "type": "modal", "callback_id": "postflow-compose",
        "private_metadata": view["private_metadata"], "blocks": view["blocks"],
        "state": {"values": form_values("Launch day, from Slack!", connection.id)}}}, "UMO")
    async def created() -> list[Post] | None:
        return await live_rt.store.list_posts(found.org_id) or None

    [post] = await eventually(created, what="the post")
    assert post.status is PostStatus.IN_REVIEW

    # The review card in the review channel; two Admins approve.
    card = await eventually(lambda: [c for c in fake_slack.calls_to("chat.postMessage")
                                     if c.params.get("channel") == CHANNEL
                                     and "postflow-review:approve" in message_text(c.params)]
                            or None, what="the review card")
    review = await live_rt.store.find_review_for_post(found.org_id, post.id)
    assert review is not None and card
    for user_id in ("UADA", "UBO"):
        press = approval(review.id, user_id)
        press["response_url"] = fake_slack.response_url(f"approve-{user_id}")
        await slack.interaction(press, user_id)
    first = await eventually(lambda: fake_slack.responses.get("approve-UADA"),
                             what="the first approval's answer")
    assert "1 of 2" in json.dumps(first)

    # Scheduled (due now) -> published to the sandbox by the embedded worker.
    done = await post_in_status(live_rt, post, PostStatus.PUBLISHED, PostStatus.FAILED,
                                timeout=20)
    assert done.status is PostStatus.PUBLISHED
    audit = json.dumps([e.data for e in await live_rt.store.list_audit(found.org_id, post.id)])
    assert PostStatus.SCHEDULED.value in audit

    # The "published" notice goes into the review card's thread (sent through the chat queue,
    # so polled rather than timed).
    reviewed = await live_rt.store.find_review_for_post(found.org_id, post.id)
    assert reviewed is not None and reviewed.message is not None
    card_ts = reviewed.message.message_id

    def published_in_thread() -> list[str] | None:
        return [message_text(c.params) for c in fake_slack.calls_to("chat.postMessage")
                if c.params.get("channel") == CHANNEL and c.params.get("thread_ts") == card_ts
                and ("is live" in message_text(c.params)
                     or "published" in message_text(c.params).lower())] or None

    notices = await eventually(published_in_thread, timeout=20,
                               what="the published notice in the card's thread")
    assert any("Launch day, from Slack!" in text for text in notices)
