"""Slack fixtures: a fake Slack Web API on loopback, settings pointing at it, the real hub, and
a sender that signs requests the way Slack does (v0 HMAC-SHA256 of ``v0:{ts}:{body}``)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from composition.hub import build_hub
from postflow.chatops.install import WorkspaceOwner, link_or_create
from postflow.config import Settings
from postflow.organizations import ChatIdentity, Organization, Role
from postflow.runtime import Runtime
from postflow.usecases.organizations import add_member
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.fakes.slack_api import FakeSlack, FakeUser

HubClient = TestClient[web.Request, web.Application]


@dataclass
class RecordingQueue:
    published: list[tuple[str, str, int, str]] = field(default_factory=list)

    async def enqueue_publish(self, org_id: str, post_id: str, version: int,
                              trigger: str) -> None:
        self.published.append((org_id, post_id, version, trigger))

    async def enqueue_canary(self) -> None:
        pass


async def _no_broker() -> None:
    return None


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack(users={
        "UOWNER": FakeUser("UOWNER", "olga", "Europe/Paris", is_owner=True),
        "UADMIN": FakeUser("UADMIN", "ada", "Europe/Paris", is_admin=True),
        "UMEMBER": FakeUser("UMEMBER", "mo", "America/New_York"),
        "UVIEWER": FakeUser("UVIEWER", "vi", "Asia/Kolkata"),
    })
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.base_url = str(server.make_url("")).rstrip("/")
    try:
        yield fake
    finally:
        fake.release()
        await server.close()


@pytest.fixture
def signing_secret() -> str:
    return secrets.token_hex(16)


@pytest.fixture
def settings(tmp_path: Path, fake_slack: FakeSlack, signing_secret: str) -> Settings:
    """Single-workspace Slack: a signing secret and a bot token (overrides tests/conftest.py)."""
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,
                    http_port=0, public_url="http://127.0.0.1:8080",
                    slack_signing_secret=signing_secret,
                    slack_bot_token=fake_slack.bot_token,
                    slack_api_url=fake_slack.api_url)


@pytest.fixture
def queue() -> RecordingQueue:
    return RecordingQueue()


@pytest.fixture
async def client(rt: Runtime, queue: RecordingQueue) -> AsyncIterator[HubClient]:
    async with TestClient(TestServer(build_hub(rt, queue, _no_broker),
                                     host="127.0.0.1")) as test_client:
        yield test_client


@pytest.fixture
async def org(rt: Runtime, fake_slack: FakeSlack) -> Organization:
    """The fake team linked to an organization, with an Owner, Admin, Member and Viewer."""
    linked = await link_or_create(
        rt, "slack", fake_slack.team_id, fake_slack.team_name,
        WorkspaceOwner(ChatIdentity(platform="slack", workspace_id=fake_slack.team_id,
                                    user_id="UOWNER")), actor="test")
    org = linked.org.model_copy(update={"plan": "pro"})
    await rt.store.update_organization(org)
    for user_id, role in (("UADMIN", Role.ADMIN), ("UMEMBER", Role.MEMBER),
                          ("UVIEWER", Role.VIEWER)):
        await add_member(rt, org.id, ChatIdentity(platform="slack",
                                                  workspace_id=fake_slack.team_id,
                                                  user_id=user_id), role, actor="test")
    return org


@dataclass
class SlackSender:
    """Posts to /slack/events exactly as Slack does: form-encoded, signed."""

    client: HubClient
    clock: ManualClock
    secret: str
    fake: FakeSlack

    def sign(self, body: str, timestamp: int, secret: str | None = None) -> str:
        base = f"v0:{timestamp}:{body}".encode()
        return "v0=" + hmac.new((secret or self.secret).encode(), base,
                                hashlib.sha256).hexdigest()

    async def post(self, body: str, *, content_type: str = "application/x-www-form-urlencoded",
                   timestamp: int | None = None, secret: str | None = None,
                   signature: str | None = None) -> ClientResponse:
        ts = int(self.clock.now().timestamp()) if timestamp is None else timestamp
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(ts),
                   "X-Slack-Signature": signature or self.sign(body, ts, secret)}
        return await self.client.post("/slack/events", data=body.encode(), headers=headers)

    def command_body(self, text: str, *, user_id: str = "UADMIN",
                     team_id: str | None = None) -> str:
        team = team_id or self.fake.team_id
        return urlencode({
            "token": "gIkuvaNzQIHg97ATvDxqgjtO", "team_id": team, "team_domain": "acme",
            "enterprise_id": "", "enterprise_name": "", "channel_id": "C0001",
            "channel_name": "social", "user_id": user_id, "user_name": user_id.lower(),
            "command": "/postflow", "text": text, "api_app_id": "A0001",
            "is_enterprise_install": "false",
            "response_url": self.fake.response_url("cmd"),
            "trigger_id": "13345224609.738474920.8088930838d88f008e0"})

    async def command(self, text: str, *, user_id: str = "UADMIN",
                      team_id: str | None = None) -> dict[str, Any]:
        response = await self.post(self.command_body(text, user_id=user_id, team_id=team_id))
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body

    def button_body(self, action: str, value: str, *, user_id: str = "UADMIN",
                    response_id: str = "button") -> str:
        payload = {
            "type": "block_actions",
            "user": {"id": user_id, "username": user_id.lower(), "name": user_id.lower(),
                     "team_id": self.fake.team_id},
            "api_app_id": "A0001", "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "container": {"type": "message", "message_ts": "1700000000.000100",
                          "channel_id": "C0001", "is_ephemeral": True},
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
            "team": {"id": self.fake.team_id, "domain": "acme"},
            "enterprise": None, "is_enterprise_install": False,
            "channel": {"id": "C0001", "name": "social"},
            "response_url": self.fake.response_url(response_id),
            "actions": [{"action_id": f"postflow:{action}:0", "block_id": "b1",
                         "text": {"type": "plain_text", "text": action}, "value": value,
                         "type": "button", "action_ts": "1700000001.000000"}]}
        return urlencode({"payload": json.dumps(payload)})


@pytest.fixture
def slack(client: HubClient, clock: ManualClock, signing_secret: str,
          fake_slack: FakeSlack) -> SlackSender:
    return SlackSender(client, clock, signing_secret, fake_slack)


def all_text(message: dict[str, Any]) -> str:
    """A rendered message's text and every block's text, joined."""
    parts = [message.get("text", "")]
    for block in message.get("blocks", []):
        if block["type"] == "section":
            parts.append(block["text"]["text"])
    return "\n".join(parts)


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["action_id"], e["value"]) for block in message.get("blocks", [])
            if block["type"] == "actions" for e in block["elements"]]
