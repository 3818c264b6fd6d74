"""Item 10: a signed request replayed inside the tolerance window does nothing twice.

A hook request without an ``Idempotency-Key`` replayed is refused (409 ``replayed``); adding a
fresh key to a replay does not get it through; the sender's own retry with its key still gets
the stored answer. A Slack request whose signature was seen is answered 200 and not acted on.
Seen signatures are store records, so two hubs on one database refuse each other's replays.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from composition.hub import build_hub
from composition.runtime import open_runtime
from postflow.chatops.install import WorkspaceOwner, link_or_create
from postflow.config import Settings
from postflow.organizations import ChatIdentity, Organization
from postflow.runtime import Runtime
from postflow.signatures import HEADER
from tests.bot.slack.conftest import SlackSender, fake_slack, signing_secret  # noqa: F401
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.fakes.slack_api import FakeSlack
from tests.hub.conftest import Broker, HubClient, RecordingQueue, Sender, error_code
from tests.security.hook_fixtures import *  # noqa: F403


@pytest.fixture
def settings(tmp_path: Path, fake_slack: FakeSlack, signing_secret: str) -> Settings:  # noqa: F811
    """The hub with Slack served too (a signing secret and a bot token on the fake Slack)."""
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080",
                    slack_signing_secret=signing_secret, slack_bot_token=fake_slack.bot_token,
                    slack_api_url=fake_slack.api_url)


@pytest.fixture
def slack_sender(client: HubClient, clock: ManualClock, signing_secret: str,  # noqa: F811
                 fake_slack: FakeSlack) -> SlackSender:  # noqa: F811
    return SlackSender(client, clock, signing_secret, fake_slack)


@pytest.fixture
async def slack_org(rt: Runtime, fake_slack: FakeSlack) -> Organization:  # noqa: F811
    linked = await link_or_create(
        rt, "slack", fake_slack.team_id, fake_slack.team_name,
        WorkspaceOwner(ChatIdentity(platform="slack", workspace_id=fake_slack.team_id,
                                    user_id="UADMIN")), actor="test")
    return linked.org


def _captured(sender: Sender, text: str = "captured") -> tuple[bytes, dict[str, str]]:
    """A request as an eavesdropper would have recorded it: bytes and headers."""
    raw = json.dumps(sender.body(text=text)).encode()
    return raw, {"Content-Type": "application/json", HEADER: sender.sign(raw)}


async def test_a_replay_without_an_idempotency_key_is_refused_and_creates_nothing(
        sender: Sender, rt: Runtime, org: Organization, clock: ManualClock,
        queue: RecordingQueue) -> None:
    raw, headers = _captured(sender)
    path = f"/v1/hooks/{sender.hook.hook.id}"

    first = await sender.client.post(path, data=raw, headers=headers)
    clock.advance(60)
    replay = await sender.client.post(path, data=raw, headers=headers)

    assert first.status == 202
    assert replay.status == 409
    assert await error_code(replay) == "replayed"
    assert len(await rt.store.list_posts(org.id)) == 1
    assert len(queue.published) == 1


async def test_a_replay_with_a_fresh_idempotency_key_is_refused(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    raw, headers = _captured(sender)
    path = f"/v1/hooks/{sender.hook.hook.id}"

    assert (await sender.client.post(path, data=raw, headers=headers)).status == 202
    replay = await sender.client.post(path, data=raw,
                                      headers=headers | {"Idempotency-Key": "attacker-1"})

    assert replay.status == 409
    assert await error_code(replay) == "replayed"
    assert len(await rt.store.list_posts(org.id)) == 1


async def test_the_senders_retry_with_its_key_gets_the_stored_answer(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    raw, headers = _captured(sender)
    headers["Idempotency-Key"] = "release-1"
    path = f"/v1/hooks/{sender.hook.hook.id}"

    first = await sender.client.post(path, data=raw, headers=headers)
    retry = await sender.client.post(path, data=raw, headers=headers)

    assert first.status == retry.status == 202
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert await first.json() == await retry.json()
    assert len(await rt.store.list_posts(org.id)) == 1


async def test_the_same_body_signed_again_is_a_new_request(
        sender: Sender, rt: Runtime, org: Organization, clock: ManualClock) -> None:
    assert (await sender.post()).status == 202
    clock.advance(1)
    assert (await sender.post()).status == 202
    assert len(await rt.store.list_posts(org.id)) == 2


async def test_a_request_refused_for_its_signature_leaves_no_trace(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    raw = json.dumps(sender.body()).encode()
    good = sender.sign(raw)
    forged = good[:-4] + ("0000" if not good.endswith("0000") else "1111")

    assert (await sender.post(raw, signature=forged)).status == 401
    assert (await sender.post(raw, signature=good)).status == 202


@pytest.fixture
async def second_hub(settings: Settings, clock: ManualClock,
                     rt: Runtime) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """Another hub process on the same database (its own runtime and read cache)."""
    other = await open_runtime(settings, clock=clock)
    try:
        async with TestClient(TestServer(build_hub(other, RecordingQueue(), Broker().ping),
                                         host="127.0.0.1")) as client:
            yield client
    finally:
        await other.store.close()


async def test_a_replay_sent_to_another_hub_is_refused(
        sender: Sender, rt: Runtime, org: Organization,
        second_hub: TestClient[web.Request, web.Application]) -> None:
    raw, headers = _captured(sender)
    path = f"/v1/hooks/{sender.hook.hook.id}"

    assert (await sender.client.post(path, data=raw, headers=headers)).status == 202
    replay = await second_hub.post(path, data=raw, headers=headers)

    assert replay.status == 409
    assert len(await rt.store.list_posts(org.id)) == 1


# -- Slack ------------------------------------------------------------------------------------

async def test_a_replayed_slack_request_is_answered_200_and_not_acted_on(
        client: HubClient, slack_sender: SlackSender, slack_org: Organization) -> None:
    from hub.routes.slack import SLACK_BOT

    acted: list[str] = []

    async def count(body: dict[str, Any], next: Any) -> None:
        acted.append(str(body.get("command") or body.get("type")))
        await next()

    client.app[SLACK_BOT].app.use(count)
    body = slack_sender.command_body("help")
    ts = int(slack_sender.clock.now().timestamp())

    first = await slack_sender.post(body, timestamp=ts)
    replay = await slack_sender.post(body, timestamp=ts)

    assert first.status == replay.status == 200
    assert await first.text()
    assert await replay.text() == ""
    assert acted == ["/postflow"]


async def test_the_same_slack_command_sent_again_later_is_acted_on(
        slack_sender: SlackSender, slack_org: Organization) -> None:
    body = slack_sender.command_body("help")

    assert await (await slack_sender.post(body)).text()
    slack_sender.clock.advance(1)
    assert await (await slack_sender.post(body)).text()
