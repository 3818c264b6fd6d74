"""/slack/events: signatures, the 5-minute window, and what reaches Slack when things fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from composition.hub import build_hub
from postflow.organizations import Organization
from postflow.runtime import Runtime
from tests.bot.slack.conftest import HubClient, RecordingQueue, SlackSender, all_text
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.fakes.slack_api import FakeSlack


async def test_a_signed_command_is_answered_in_the_ack(slack: SlackSender,
                                                       org: Organization) -> None:
    message = await slack.command("help")

    assert message["response_type"] == "ephemeral"
    assert "You are Admin of Acme" in all_text(message)


async def test_a_wrong_signature_is_refused_with_401(slack: SlackSender,
                                                     org: Organization) -> None:
    response = await slack.post(slack.command_body("help"), secret="not-the-secret")

    assert response.status == 401
    assert (await response.json())["error"]["code"] == "unauthorized"


async def test_a_body_changed_after_signing_is_refused(slack: SlackSender,
                                                       org: Organization) -> None:
    ts = int(slack.clock.now().timestamp())
    signature = slack.sign(slack.command_body("help"), ts)

    response = await slack.post(slack.command_body("connect sandbox"), timestamp=ts,
                                signature=signature)

    assert response.status == 401


@pytest.mark.parametrize("age", [301, -301])
async def test_a_timestamp_more_than_five_minutes_off_is_refused(
        slack: SlackSender, clock: ManualClock, org: Organization, age: int) -> None:
    stale = int(clock.now().timestamp()) - age

    response = await slack.post(slack.command_body("help"), timestamp=stale)

    assert response.status == 401


async def test_a_timestamp_within_five_minutes_is_accepted(
        slack: SlackSender, clock: ManualClock, org: Organization) -> None:
    response = await slack.post(slack.command_body("help"),
                                timestamp=int(clock.now().timestamp()) - 290)

    assert response.status == 200


async def test_unsigned_requests_are_refused(client: HubClient) -> None:
    response = await client.post("/slack/events", data=b"command=%2Fpostflow")

    assert response.status == 401


async def test_url_verification_answers_the_challenge(slack: SlackSender) -> None:
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = json.dumps({"token": "x", "challenge": challenge, "type": "url_verification"})

    response = await slack.post(body, content_type="application/json")

    assert response.status == 200
    assert challenge in await response.text()


async def test_a_team_without_installation_is_told_so(slack: SlackSender, org: Organization,
                                                      fake_slack: FakeSlack) -> None:
    response = await slack.post(slack.command_body("help", team_id="T9999"))

    assert response.status == 200
    [told] = fake_slack.responses["cmd"]  # bolt answers through the response_url
    assert "not installed in this workspace" in told["text"]


async def test_an_unexpected_error_reaches_slack_as_a_reference_only(
        slack: SlackSender, org: Organization, rt: Runtime,
        monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("db password=hunter2 at /srv/postflow.db")

    monkeypatch.setattr("postflow.chatops.commands.resolve_member", broken)

    message = await slack.command("accounts")

    text = all_text(message)
    assert "Something went wrong on PostFlow's side. Reference:" in text
    assert "hunter2" not in json.dumps(message) and "Traceback" not in json.dumps(message)


async def test_single_workspace_mode_asks_auth_test_once(slack: SlackSender,
                                                         org: Organization,
                                                         fake_slack: FakeSlack) -> None:
    await slack.command("help")
    await slack.command("accounts")

    assert len(fake_slack.calls_to("auth.test")) == 1
    assert fake_slack.calls_to("auth.test")[0].token == fake_slack.bot_token


async def test_no_slack_routes_without_a_signing_secret(tmp_path: Path) -> None:
    from composition.runtime import open_runtime
    from postflow.config import Settings

    rt = await open_runtime(Settings(data_dir=tmp_path, secret_key=TEST_SECRET_KEY))
    try:
        async with TestClient(TestServer(build_hub(rt, RecordingQueue(), _ping))) as client:
            assert (await client.post("/slack/events", data=b"")).status == 404
            assert (await client.get("/slack/install")).status == 404
    finally:
        await rt.store.close()


async def test_socket_mode_handler_is_built_with_the_app_token_on_the_same_app(
        tmp_path: Path) -> None:
    from bot.slack.app import SLACK_BOT
    from bot.slack.socket_mode import socket_mode_handler
    from composition.runtime import open_runtime
    from postflow.config import Settings

    rt = await open_runtime(Settings(data_dir=tmp_path, secret_key=TEST_SECRET_KEY,
                                     slack_signing_secret="s" * 32,
                                     slack_api_url="http://127.0.0.1:9/api/",
                                     slack_app_token="xapp-1-abc"))
    try:
        app = build_hub(rt, RecordingQueue(), _ping)
        handler = socket_mode_handler(app)
        assert handler is not None
        assert handler.app_token == "xapp-1-abc"
        assert handler.app is app[SLACK_BOT].app  # one app: both transports, same listeners
        assert handler.client.web_client.base_url == "http://127.0.0.1:9/api/"
        assert "xapp-1-abc" not in repr(app[SLACK_BOT])
        await handler.client.close()
    finally:
        await rt.store.close()


async def test_no_socket_mode_without_an_app_token(rt: Runtime) -> None:
    from bot.slack.socket_mode import socket_mode_handler

    assert socket_mode_handler(build_hub(rt, RecordingQueue(), _ping)) is None


async def _ping() -> None:
    return None



async def test_secrets_never_reach_the_log(slack: SlackSender, org: Organization,
                                           fake_slack: FakeSlack, signing_secret: str,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")

    await slack.command("help")
    await slack.post(slack.command_body("help"), secret="wrong")
    await slack.post(slack.command_body("help", team_id="T9999"))

    assert signing_secret not in caplog.text
    assert fake_slack.bot_token not in caplog.text
