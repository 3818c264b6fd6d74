"""A server that removed the bot, noticed from Discord's refusals (no GUILD_DELETE seen): Missing
Access in a row over at least a minute, then Discord asked about the server itself."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.discord.chat_delivery import DiscordChatDelivery
from bot.discord.install import Server, server_joined
from bot.discord.server_removals import OVER_AT_LEAST, REFUSALS_IN_A_ROW, ServerRemovals
from postflow.chat.delivery import DeliveryOutcome
from postflow.chat.messages import ChatDestination, ChatMessage
from postflow.notices.events import ChatAppRemoved, Notice
from postflow.runtime import Runtime
from tests.bot.discord.conftest import GUILD, NOTICES, OWNER, REVIEWS
from tests.fakes.clock import ManualClock
from tests.fakes.discord_api import FakeDiscord

GUILDS = "GET /guilds/{guild_id}"
SPACING = OVER_AT_LEAST.total_seconds() / (REFUSALS_IN_A_ROW - 1)


@dataclass
class Notices:
    seen: list[Notice] = field(default_factory=list)

    async def notify(self, notice: Notice) -> None:
        self.seen.append(notice)


@pytest.fixture
async def notices() -> Notices:
    return Notices()


@pytest.fixture
async def delivery(rt: Runtime, clock: ManualClock, fake_discord: FakeDiscord,
                   notices: Notices) -> DiscordChatDelivery:
    await server_joined(rt, Server(GUILD, "Acme", OWNER))
    removals = ServerRemovals(rt.store, clock)
    removals.report_to(notices)
    return DiscordChatDelivery(fake_discord.bot_token, fake_discord.api_url, removals=removals)


def message(channel_id: str = REVIEWS) -> ChatMessage:
    return ChatMessage(destination=ChatDestination("discord", GUILD, channel_id), text="hi")


async def refused_in_a_row(delivery: DiscordChatDelivery, clock: ManualClock, *,
                           every: float = SPACING, channel_id: str = REVIEWS) -> None:
    for n in range(REFUSALS_IN_A_ROW):
        if n:
            clock.advance(every)
        result = await delivery.deliver(message(channel_id))
        assert result.outcome is DeliveryOutcome.REFUSED


async def test_a_server_refusing_every_call_for_a_minute_is_marked_removed_and_said(
        rt: Runtime, clock: ManualClock, fake_discord: FakeDiscord,
        delivery: DiscordChatDelivery, notices: Notices) -> None:
    await fake_discord.remove_guild(GUILD, on_gateway=False)

    await refused_in_a_row(delivery, clock)

    installation = await rt.store.find_chat_installation("discord", GUILD)
    assert installation is not None and installation.removed_at == clock.now()
    [event] = [e for e in await rt.store.list_audit(installation.org_id)
               if e.action == "chat.uninstalled"]
    assert event.data == {"platform": "discord", "why": "missing_access"}
    [notice] = notices.seen
    assert isinstance(notice, ChatAppRemoved)
    assert notice.owner_actor == f"discord:{GUILD}:{OWNER}"
    [dm] = [m for m in fake_discord.messages.values()
            if fake_discord.dm_channels.get(m.channel_id) == OWNER]
    assert "removed" in dm.data["content"] and "Acme" in dm.data["content"]


async def test_refusals_in_a_quick_burst_are_not_a_removal(
        rt: Runtime, clock: ManualClock, fake_discord: FakeDiscord,
        delivery: DiscordChatDelivery) -> None:
    await fake_discord.remove_guild(GUILD, on_gateway=False)

    await refused_in_a_row(delivery, clock, every=1.0)

    installation = await rt.store.find_chat_installation("discord", GUILD)
    assert installation is not None and installation.removed_at is None
    assert fake_discord.calls_to(GUILDS) == []


async def test_a_channel_closed_to_a_bot_still_in_the_server_is_not_a_removal(
        rt: Runtime, clock: ManualClock, fake_discord: FakeDiscord,
        delivery: DiscordChatDelivery, notices: Notices) -> None:
    fake_discord.forbidden_channels.add(REVIEWS)

    await refused_in_a_row(delivery, clock)
    await refused_in_a_row(delivery, clock)

    installation = await rt.store.find_chat_installation("discord", GUILD)
    assert installation is not None and installation.removed_at is None
    assert notices.seen == []
    assert len(fake_discord.calls_to(GUILDS)) == 2  # asked, then counted afresh


async def test_a_message_delivered_in_between_starts_the_count_again(
        rt: Runtime, clock: ManualClock, fake_discord: FakeDiscord,
        delivery: DiscordChatDelivery) -> None:
    fake_discord.forbidden_channels.add(REVIEWS)
    for _ in range(REFUSALS_IN_A_ROW - 1):
        await delivery.deliver(message())
        clock.advance(SPACING)
    assert (await delivery.deliver(message(NOTICES))).outcome is DeliveryOutcome.SENT

    await delivery.deliver(message())

    assert fake_discord.calls_to(GUILDS) == []
