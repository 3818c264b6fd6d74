"""The chat contract kit (tests/chat_contract.py) run against the Discord adapter through the
hub's HTTP interactions endpoint: signed interactions in, the fake Discord's REST API out.

One scenario waits for another half of issue 17 and is skipped here, by name: uninstalling
(the bot removed from a server, GUILD_DELETE on the gateway). The others run unchanged; the
composer's is ``/postflow new``, its modal, the account picked and Submit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from composition.chat import chat_deliveries
from composition.worker import open_worker_services
from postflow.chat.delivery import ChatDeliveries
from postflow.config import Settings
from postflow.organizations import Organization
from postflow.runtime import Runtime
from tests.bot.discord.conftest import (
    ADMIN,
    GUILD,
    MEMBER,
    OWNER,
    REVIEWS,
    VIEWER,
    DiscordUser,
    shown,
)
from tests.chat_contract import CONTRACT, People, Scenario, Seen
from tests.fakes.clock import ManualClock
from tests.fakes.discord_api import FakeDiscord, FakeMessage
from tests.hub.discord_sender import subcommand
from workers.worker_runtime import WorkerServices

EPHEMERAL = 64
POST_MESSAGE = "POST /channels/{channel_id}/messages"
PEOPLE = People(owner=OWNER, admin=ADMIN, member=MEMBER, viewer=VIEWER)
#: Scenarios another engineer's part of issue 17 makes pass: skipped here until it lands.
LEFT_FOR_OTHERS = {
    "uninstalling_stops_commands_and_messages": "removal from a server (GUILD_DELETE) is the "
                                                "gateway's, not built yet",
}


@dataclass
class DiscordDriver:
    rt: Runtime
    settings: Settings
    clock: ManualClock
    org: Organization
    deliveries: ChatDeliveries
    user: DiscordUser
    fake: FakeDiscord
    platform: str = "discord"
    workspace_id: str = GUILD
    channel_id: str = REVIEWS
    people: People = PEOPLE

    async def command(self, user_id: str, text: str) -> str:
        first, *rest = text.split()
        options = [{"type": 3, "name": f"word{n}", "value": word} for n, word in enumerate(rest)]
        payload = self.fake.slash_command(GUILD, user_id, first, options,
                                          channel_id=self.channel_id)
        payload["data"]["options"] = [subcommand(first, *options)]
        return _content(await self.user.send(payload))

    async def compose(self, user_id: str, text: str, connection_id: str) -> None:
        opened = await self.user.send(self.fake.slash_command(GUILD, user_id, "new",
                                                              channel_id=self.channel_id))
        form = self.fake.modal_submit(GUILD, user_id, opened["data"]["custom_id"],
                                      {"text": text}, channel_id=self.channel_id)
        await self.user.send(form)
        composer = self.fake.interactions[form["id"]].original
        assert composer is not None
        ids = {c.get("placeholder") or c.get("label"): c["custom_id"]
               for row in composer.data["components"] for c in row["components"]}
        pick = self.fake.button_press(GUILD, user_id, ids["Accounts to publish to"],
                                      channel_id=self.channel_id, message=composer.data)
        pick["data"] = {"custom_id": ids["Accounts to publish to"], "component_type": 3,
                        "values": [connection_id]}
        await self.user.send(pick)
        await self.user.press(user_id, composer, ids["Submit"])

    async def press(self, user_id: str, message: Seen, action_id: str) -> str:
        value = dict(message.buttons)[action_id]
        pressed = self.fake.messages[message.message_id]
        return _content(await self.user.press(user_id, pressed, f"{action_id}:{value}"))

    def seen(self, channel_id: str) -> list[Seen]:
        shown_here = []
        for message in self.fake.messages_in(channel_id):
            if int(message.data.get("flags") or 0) & EPHEMERAL:
                continue  # an answer only its asker sees
            shown_here.append(_seen(message))
            if message.id in self.fake.threads:
                shown_here += [_seen(reply, thread_id=message.id)
                               for reply in self.fake.messages_in(message.id)]
        return shown_here

    def delivery_attempts(self, channel_id: str) -> int:
        return len([c for c in self.fake.calls_to(POST_MESSAGE)
                    if c.params.get("channel_id") == channel_id])

    def rate_limit_next(self, retry_after_seconds: int) -> None:
        self.fake.rate_limit(POST_MESSAGE, times=1, retry_after=retry_after_seconds)

    async def uninstall(self) -> None:
        raise NotImplementedError(LEFT_FOR_OTHERS["uninstalling_stops_commands_and_messages"])

    async def open_worker_services(self) -> WorkerServices:
        return await open_worker_services(self.settings, self.clock)


def _seen(message: FakeMessage, thread_id: str = "") -> Seen:
    buttons = []
    for row in message.data.get("components") or []:
        for component in row["components"]:
            # pf:r:approve:<org>:<review>: the action, then the records it names.
            kind, prefix, action, *records = component["custom_id"].split(":")
            buttons.append((f"{kind}:{prefix}:{action}", ":".join(records)))
    return Seen(text=shown(message), message_id=message.id, thread_id=thread_id,
                buttons=tuple(buttons))


def _content(answer: dict[str, Any]) -> str:
    return str((answer.get("data") or {}).get("content", ""))


@pytest.fixture
async def driver(rt: Runtime, settings: Settings, clock: ManualClock, org: Organization,
                 user: DiscordUser, fake_discord: FakeDiscord) -> DiscordDriver:
    return DiscordDriver(rt, settings, clock, org, chat_deliveries(settings, rt.store, rt.vault),
                         user, fake_discord)


@pytest.mark.parametrize("scenario", [
    pytest.param(s, marks=pytest.mark.skip(reason=LEFT_FOR_OTHERS[s.__name__]))
    if s.__name__ in LEFT_FOR_OTHERS else s for s in CONTRACT], ids=lambda s: s.__name__)
async def test_discord_passes_the_chat_contract(scenario: Scenario,
                                                driver: DiscordDriver) -> None:
    await scenario(driver)
