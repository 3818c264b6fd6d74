"""The chat contract kit run against the in-memory adapter (tests/fakes/memory_chat.py): the
chat port, the notice router and the chat queue carry no Slack."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from postflow.chat.delivery import ChatDeliveries, InlineChatOutbox
from postflow.chatops.install import WorkspaceOwner, link_or_create
from postflow.config import Settings
from postflow.notices.router import NoticeRouter
from postflow.organizations import ChatIdentity, Organization, Role
from postflow.runtime import Runtime
from postflow.usecases.organizations import add_member
from tests.chat_contract import CONTRACT, People, Scenario, Seen
from tests.fakes.clock import ManualClock
from tests.fakes.memory_chat import (
    PLATFORM,
    MemoryChat,
    MemoryDelivery,
    MemoryPlatform,
    memory_adapter,
)
from workers.worker_runtime import WorkerServices

WORKSPACE = "W1"
PEOPLE = People(owner="owner", admin="admin", member="member", viewer="viewer")


@dataclass
class MemoryDriver:
    rt: Runtime
    settings: Settings
    clock: ManualClock
    org: Organization
    deliveries: ChatDeliveries
    chat: MemoryChat
    platform: str = PLATFORM
    workspace_id: str = WORKSPACE
    channel_id: str = "general"
    people: People = PEOPLE

    async def command(self, user_id: str, text: str) -> str:
        return await self.chat.command(self.rt, user_id, self.channel_id, text)

    async def compose(self, user_id: str, text: str, connection_id: str) -> None:
        await self.chat.compose(self.rt, user_id, text, connection_id)

    async def press(self, user_id: str, message: Seen, action_id: str) -> str:
        value = dict(message.buttons)[action_id]
        return await self.chat.press(self.rt, user_id, action_id, value)

    def seen(self, channel_id: str) -> list[Seen]:
        shown = []
        for posted in self.chat.platform.channels.get(channel_id, []):
            message, card = posted.message, posted.message.card
            text = message.text
            if card is not None:
                text = "\n".join((card.title, *card.paragraphs, *card.context, text))
            shown.append(Seen(text=text, message_id=posted.id, thread_id=message.thread_id,
                              buttons=tuple((b.action_id, b.value) for b in card.buttons)
                              if card is not None else ()))
        return shown

    def delivery_attempts(self, channel_id: str) -> int:
        return self.chat.platform.attempts.get(channel_id, 0)

    def rate_limit_next(self, retry_after_seconds: int) -> None:
        self.chat.platform.rate_limited = 1
        self.chat.platform.retry_after = retry_after_seconds

    async def uninstall(self) -> None:
        self.chat.platform.installed.discard(self.workspace_id)

    async def open_worker_services(self) -> WorkerServices:
        """The in-memory platform needs no store to deliver: the test's runtime will do."""
        return WorkerServices(runtime=self.rt, chat_deliveries=self.deliveries, close=_nothing)


async def _nothing() -> None:
    return None


@pytest.fixture
async def driver(rt: Runtime, settings: Settings,
                 clock: ManualClock) -> AsyncIterator[MemoryDriver]:
    platform = MemoryPlatform(installed={WORKSPACE})
    deliveries: dict[str, MemoryDelivery] = {}
    delivery, sink, cards = memory_adapter(rt.store, platform, InlineChatOutbox(deliveries))
    deliveries[PLATFORM] = delivery
    # What the composition root does for a configured platform: its sink on the router, its
    # review cards, its delivery for the chat queue.
    mrt = dataclasses.replace(rt, notices=NoticeRouter([sink]), review_cards=cards)
    owner = ChatIdentity(platform=PLATFORM, workspace_id=WORKSPACE, user_id=PEOPLE.owner)
    linked = await link_or_create(mrt, PLATFORM, WORKSPACE, "Acme", WorkspaceOwner(owner),
                                  actor="test")
    org = linked.org.model_copy(update={"plan": "pro"})
    await mrt.store.update_organization(org)
    for user_id, role in ((PEOPLE.admin, Role.ADMIN), (PEOPLE.member, Role.MEMBER),
                          (PEOPLE.viewer, Role.VIEWER)):
        await add_member(mrt, org.id, ChatIdentity(platform=PLATFORM, workspace_id=WORKSPACE,
                                                   user_id=user_id), role, actor="test")
    yield MemoryDriver(mrt, settings, clock, org, deliveries, MemoryChat(platform, WORKSPACE))


@pytest.mark.parametrize("scenario", CONTRACT, ids=lambda s: s.__name__)
async def test_the_memory_adapter_passes_the_chat_contract(scenario: Scenario,
                                                           driver: MemoryDriver) -> None:
    await scenario(driver)
