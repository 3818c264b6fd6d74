"""The chat contract kit (tests/chat_contract.py) run against the real Slack adapter: signed
requests to the hub's /slack/events, the fake Slack Web API on loopback."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest

from composition.chat import chat_deliveries
from composition.worker import open_worker_services
from postflow.chat.delivery import ChatDeliveries
from postflow.config import Settings
from postflow.organizations import Organization
from postflow.runtime import Runtime
from tests.bot.slack.conftest import SlackSender, all_text
from tests.bot.slack.test_composer import opened_view, submission, values
from tests.bot.slack.test_uninstall import BOT_TOKEN, event, install, send
from tests.chat_contract import CONTRACT, People, Scenario, Seen
from tests.fakes.clock import ManualClock
from tests.fakes.slack_api import FakeSlack
from workers.worker_runtime import WorkerServices

CHANNEL = "C0001"  # where SlackSender's commands and buttons come from
PEOPLE = People(owner="UOWNER", admin="UADMIN", member="UMEMBER", viewer="UVIEWER")


@dataclass
class SlackDriver:
    rt: Runtime
    settings: Settings
    clock: ManualClock
    org: Organization
    deliveries: ChatDeliveries
    slack: SlackSender
    fake: FakeSlack
    platform: str = "slack"
    channel_id: str = CHANNEL
    people: People = PEOPLE
    _presses: Iterator[int] = field(default_factory=itertools.count)

    @property
    def workspace_id(self) -> str:
        return self.fake.team_id

    async def command(self, user_id: str, text: str) -> str:
        response = await self.slack.post(self.slack.command_body(text, user_id=user_id))
        raw = await response.text()
        try:
            return all_text(json.loads(raw))
        except ValueError:
            return raw

    async def compose(self, user_id: str, text: str, connection_id: str) -> None:
        await self.slack.post(self.slack.command_body("new", user_id=user_id))
        state = values(text, (connection_id,), when="now", mode="review")
        response = await self.slack.post(submission(self.slack, opened_view(self.fake), state,
                                                    user_id))
        assert response.status == 200

    async def press(self, user_id: str, message: Seen, action_id: str) -> str:
        answer_id = f"press-{next(self._presses)}"
        payload = {
            "type": "block_actions",
            "user": {"id": user_id, "username": user_id.lower(), "team_id": self.workspace_id},
            "api_app_id": "A0001", "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "container": {"type": "message", "message_ts": message.message_id,
                          "channel_id": CHANNEL, "is_ephemeral": False},
            "trigger_id": "trigger-1", "team": {"id": self.workspace_id, "domain": "acme"},
            "channel": {"id": CHANNEL, "name": "social"},
            "response_url": self.fake.response_url(answer_id),
            "actions": [{"action_id": action_id, "block_id": "card",
                         "value": dict(message.buttons)[action_id], "type": "button",
                         "action_ts": "1700000001.0"}]}
        response = await self.slack.post(urlencode({"payload": json.dumps(payload)}))
        assert response.status == 200
        return "\n".join(str(r.get("text", "")) for r in self.fake.responses.get(answer_id, []))

    def seen(self, channel_id: str) -> list[Seen]:
        return [Seen(text=_shown_text(params), message_id=ts,
                     thread_id=str(params.get("thread_ts") or ""), buttons=_buttons(params))
                for ts, params in self.fake.shown.items() if params.get("channel") == channel_id]

    def delivery_attempts(self, channel_id: str) -> int:
        return len([c for c in self.fake.calls_to("chat.postMessage")
                    if c.params.get("channel") == channel_id])

    def rate_limit_next(self, retry_after_seconds: int) -> None:
        self.fake.rate_limit_next, self.fake.retry_after = 1, retry_after_seconds

    async def uninstall(self) -> None:
        await send(self.slack, event(self.fake, "EvUninstall", {"type": "app_uninstalled"}))

    async def open_worker_services(self) -> WorkerServices:
        return await open_worker_services(self.settings, self.clock)


def _blocks(params: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


def _shown_text(params: dict[str, Any]) -> str:
    parts = [str(params.get("text", ""))]
    for block in _blocks(params):
        if block["type"] == "section":
            parts.append(block["text"]["text"])
        elif block["type"] == "context":
            parts.extend(e["text"] for e in block["elements"])
    return "\n".join(parts)


def _buttons(params: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((e["action_id"], e["value"]) for block in _blocks(params)
                 if block["type"] == "actions" for e in block["elements"])


@pytest.fixture
async def driver(rt: Runtime, settings: Settings, clock: ManualClock, org: Organization,
                 slack: SlackSender, fake_slack: FakeSlack) -> SlackDriver:
    """The fake team with PostFlow installed (OAuth), so that it can be uninstalled."""
    fake_slack.issued_tokens.add(BOT_TOKEN)
    await install(rt, fake_slack)
    return SlackDriver(rt, settings, clock, org, chat_deliveries(settings, rt.store, rt.vault),
                       slack, fake_slack)


@pytest.mark.parametrize("scenario", CONTRACT, ids=lambda s: s.__name__)
async def test_slack_passes_the_chat_contract(scenario: Scenario, driver: SlackDriver) -> None:
    await scenario(driver)
