"""Socket Mode end to end, offline: the hub's bolt app, started with POSTFLOW_SLACK_APP_TOKEN,
asks the fake Slack for a socket URL (``apps.connections.open`` with the app token), connects to
its loopback websocket, takes a ``/postflow help`` envelope and acknowledges it on the socket
with the help reply, then closes the socket cleanly when stopped.

slack_sdk's aiohttp client does not insist on ``wss://``: it passes the URL Slack returned to
``aiohttp.ClientSession.ws_connect``, which takes ``ws://`` as well (``ssl`` only applies to
secure schemes), so the fake answers a plain ``ws://127.0.0.1`` URL. The client does read
HTTP(S)_PROXY from the environment itself (and ignores NO_PROXY), so the test clears them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import WSCloseCode

from bot.slack.socket_mode import start_socket_mode, stop_socket_mode
from postflow.chatops.commands import COMMANDS
from postflow.config import Settings
from postflow.organizations import Organization
from tests.bot.slack.conftest import HubClient, SlackSender, all_text
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.slack_api import FakeSlack
from tests.polling import eventually

DEADLINE_SECONDS = 10.0


@pytest.fixture
def settings(tmp_path: Path, fake_slack: FakeSlack, signing_secret: str,
             monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The Slack settings of tests/bot/slack/conftest.py, plus the app token from the
    environment, as an operator sets it."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POSTFLOW_SLACK_APP_TOKEN", fake_slack.app_token)
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,
                    http_port=0, public_url="http://127.0.0.1:8080",
                    slack_signing_secret=signing_secret,
                    slack_bot_token=fake_slack.bot_token,
                    slack_api_url=fake_slack.api_url)


def acks_for(fake: FakeSlack, envelope_id: str) -> list[dict[str, Any]]:
    return [m for m in fake.socket_received if m.get("envelope_id") == envelope_id]


async def test_a_command_over_the_socket_is_acknowledged_with_the_help_reply(
        client: HubClient, slack: SlackSender, fake_slack: FakeSlack,
        org: Organization) -> None:
    envelope_id = "1d4f8a3c-0b2e-4c55-9a77-5e2f3b6c7d10"
    fake_slack.socket_envelopes.append({
        "envelope_id": envelope_id, "type": "slash_commands",
        # Over the socket a command's fields come as a JSON object, not a form.
        "payload": dict(parse_qsl(slack.command_body("help", user_id="UADMIN"),
                                  keep_blank_values=True)),
        "accepts_response_payload": True})

    assert client.app is not None  # the hub, started by the client fixture
    handler = await start_socket_mode(client.app)
    assert handler is not None
    try:
        await eventually(lambda: bool(acks_for(fake_slack, envelope_id)),
                         timeout=DEADLINE_SECONDS, what=f"the ack of envelope {envelope_id}")
    finally:
        await stop_socket_mode(handler)

    [opened] = fake_slack.calls_to("apps.connections.open")
    assert opened.token == fake_slack.app_token  # the app-level token, not the bot token
    [ack] = acks_for(fake_slack, envelope_id)
    reply = ack["payload"]
    assert reply["response_type"] == "ephemeral"
    text = all_text(reply)
    assert "You are Admin of Acme" in text
    for name in COMMANDS:  # every command is listed (usages are mrkdwn-escaped: by name)
        assert f"`/postflow {name}" in text or name == "help"
    assert fake_slack.responses == {}  # answered in the ack, not through the response_url

    # Stopped: the client sent a normal close and the fake saw it end with code 1000, once
    # (no reconnection), and the client's session and HTTP session are closed.
    await eventually(lambda: bool(fake_slack.socket_close_codes), timeout=DEADLINE_SECONDS,
                     what="the socket to close")
    assert fake_slack.socket_close_codes == [WSCloseCode.OK]
    assert handler.client.closed
    session = handler.client.current_session
    assert session is not None and session.closed and session.close_code == WSCloseCode.OK
    assert handler.client.aiohttp_client_session.closed
    assert len(fake_slack.calls_to("apps.connections.open")) == 1

    # The same listeners serve both transports: the HTTP answer to the same command is equal.
    assert await slack.command("help") == reply


async def test_a_slow_command_over_the_socket_is_acknowledged_before_its_reply_is_ready(
        client: HubClient, slack: SlackSender, fake_slack: FakeSlack, org: Organization,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Like /slack/events: the ack goes back within Slack's three seconds, the reply follows at
    the response_url once the slow listener is done (bolt's own handler acks only at the end)."""
    import bot.slack.listeners as listeners

    reply_ready = asyncio.Event()
    real_run_command = listeners.run_command

    async def slow_run_command(*args: Any, **kwargs: Any) -> Any:
        await reply_ready.wait()
        return await real_run_command(*args, **kwargs)

    monkeypatch.setattr(listeners, "run_command", slow_run_command)
    envelope_id = "7c0e9d52-4a1b-4f6e-8d3c-2b9a1e5f6a70"
    fake_slack.socket_envelopes.append({
        "envelope_id": envelope_id, "type": "slash_commands",
        "payload": dict(parse_qsl(slack.command_body("help", user_id="UADMIN"),
                                  keep_blank_values=True)),
        "accepts_response_payload": True})
    assert client.app is not None
    handler = await start_socket_mode(client.app)
    assert handler is not None
    try:
        await eventually(lambda: bool(acks_for(fake_slack, envelope_id)),
                         timeout=DEADLINE_SECONDS,
                         what=f"the ack of envelope {envelope_id} while its listener still works")
        assert fake_slack.responses == {}  # the reply is not ready: it was acked first
        reply_ready.set()
        await eventually(lambda: "cmd" in fake_slack.responses, timeout=DEADLINE_SECONDS,
                         what="the reply at the response_url")
    finally:
        await stop_socket_mode(handler)

    assert any("You are Admin of Acme" in all_text(m) for m in fake_slack.responses["cmd"])
