"""Discord's rate limits honoured by the delivery before it sends: per-route buckets from the
fake Discord's ``X-RateLimit-*`` headers (per channel), a 429's ``retry_after`` (the route's, or
the whole bot's when global), the global 50 requests a second; a wait too long to sleep is
handed back to the ``chat`` queue without calling Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.discord.chat_delivery import DiscordChatDelivery
from bot.discord.rate_limits import GLOBAL_PER_SECOND, RateLimits
from postflow.chat.delivery import DeliveryOutcome
from postflow.chat.messages import ChatDestination, ChatMessage
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.serving import serving

GUILD, ONE, TWO, USER = ("700000000000000001", "700000000000000002", "700000000000000003",
                         "700000000000000004")
POST_MESSAGE = "POST /channels/{channel_id}/messages"


class Monotonic:
    """One monotonic clock for the fake Discord and the delivery; sleeping advances it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


@pytest.fixture
def mono() -> Monotonic:
    return Monotonic()


@pytest.fixture
async def fake(mono: Monotonic) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord(clock=mono, bucket_limit=2, bucket_reset_after=1.0)
    fake.add_guild(GUILD, channels={ONE: "one", TWO: "two"})
    fake.users[USER] = "ada"
    async with serving(fake.app()) as url:
        fake.base_url = url
        yield fake


@pytest.fixture
def delivery(fake: FakeDiscord, mono: Monotonic) -> DiscordChatDelivery:
    return DiscordChatDelivery(fake.bot_token, fake.api_url, RateLimits(mono, mono.sleep))


def to(channel: str, text: str = "hi") -> ChatMessage:
    return ChatMessage(ChatDestination("discord", GUILD, channel_id=channel), text)


async def test_an_empty_bucket_is_waited_for_before_sending(
        fake: FakeDiscord, delivery: DiscordChatDelivery, mono: Monotonic) -> None:
    for n in range(3):
        result = await delivery.deliver(to(ONE, f"m{n}"))
        assert result.outcome is DeliveryOutcome.SENT

    assert mono.slept == [1.0]  # the third waited for the bucket's reset
    assert [m.data["content"] for m in fake.messages_in(ONE)] == ["m0", "m1", "m2"]


async def test_buckets_are_per_channel(fake: FakeDiscord, delivery: DiscordChatDelivery,
                                       mono: Monotonic) -> None:
    await delivery.deliver(to(ONE))
    await delivery.deliver(to(ONE))

    result = await delivery.deliver(to(TWO))

    assert result.outcome is DeliveryOutcome.SENT and mono.slept == []


async def test_after_a_429_the_route_waits_retry_after_seconds(
        fake: FakeDiscord, delivery: DiscordChatDelivery, mono: Monotonic) -> None:
    fake.rate_limit(POST_MESSAGE, times=1, retry_after=2.5)

    limited = await delivery.deliver(to(ONE))
    sent = await delivery.deliver(to(ONE))

    assert (limited.outcome, limited.retry_after) == (DeliveryOutcome.RATE_LIMITED, 2.5)
    assert sent.outcome is DeliveryOutcome.SENT and mono.slept == [2.5]
    assert len(fake.calls_to(POST_MESSAGE)) == 2


async def test_a_global_429_holds_every_route(fake: FakeDiscord,
                                              delivery: DiscordChatDelivery,
                                              mono: Monotonic) -> None:
    fake.rate_limit(POST_MESSAGE, times=1, retry_after=0.5, is_global=True)
    await delivery.deliver(to(ONE))

    direct = await delivery.deliver(ChatMessage(ChatDestination("discord", GUILD, user_id=USER),
                                                "dm"))

    assert direct.outcome is DeliveryOutcome.SENT
    assert mono.slept == [0.5]  # before opening the direct message channel


async def test_a_long_wait_is_handed_back_without_calling_discord(
        fake: FakeDiscord, delivery: DiscordChatDelivery, mono: Monotonic) -> None:
    fake.rate_limit(POST_MESSAGE, times=1, retry_after=30)
    await delivery.deliver(to(ONE))

    again = await delivery.deliver(to(ONE))

    assert (again.outcome, again.retry_after, again.error) == (
        DeliveryOutcome.RATE_LIMITED, 30.0, "bucket_empty")
    assert len(fake.calls_to(POST_MESSAGE)) == 1 and mono.slept == []


async def test_at_most_50_requests_a_second_go_out() -> None:
    mono = Monotonic()
    limits = RateLimits(mono, mono.sleep)
    for n in range(GLOBAL_PER_SECOND):
        assert await limits.acquire(POST_MESSAGE, str(n)) == 0.0
    assert mono.slept == []

    assert await limits.acquire(POST_MESSAGE, "another") == 0.0

    assert mono.slept == [1.0]
