"""The ``chat`` queue: notices handed to a Dramatiq worker (in-process broker and real Redis),
paced per channel, retried after Slack's Retry-After on 429, dropped on a permanent refusal."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import dramatiq
import pytest

from bot.slack.notice_sink import SlackNoticeSink
from composition.chat import chat_outbox
from composition.runtime import open_runtime
from composition.worker import install_worker_runtime
from postflow.chat.messages import ChatDestination, ChatMessage
from postflow.config import Settings
from postflow.notices.router import NoticeRouter
from postflow.runtime import Runtime
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.fakes.slack_api import FakeSlack, SlackCall
from tests.polling import eventually
from workers import worker_runtime
from workers.broker import CHAT_QUEUE, close_broker, configure_broker
from workers.chat_pacing import InProcessChatPacer, RedisChatPacer
from workers.embedded import InProcessWorker

DEADLINE_SECONDS = 15.0


def posted(fake: FakeSlack, channel: str) -> list[SlackCall]:
    return [c for c in fake.calls_to("chat.postMessage") if c.params["channel"] == channel]


async def running(settings: Settings, clock: ManualClock) -> AsyncIterator[dramatiq.Broker]:
    broker = configure_broker(settings)
    import workers.actors  # noqa: F401 - declares the queues
    from workers import chat_actors

    chat_actors._in_process_pacer = InProcessChatPacer()  # each test starts with a fresh budget
    install_worker_runtime(settings, clock=clock)
    worker = InProcessWorker(broker, settings, worker_timeout_ms=100)
    worker.start()
    try:
        yield broker
    finally:
        await asyncio.to_thread(worker.stop, 10)
        close_broker(broker)
        worker_runtime.uninstall()


@pytest.fixture
async def worker(settings: Settings, clock: ManualClock) -> AsyncIterator[dramatiq.Broker]:
    """The in-process broker and a worker consuming it, for the test's settings."""
    async for broker in running(settings, clock):
        yield broker


@pytest.fixture
async def rt(settings: Settings, clock: ManualClock,
             worker: dramatiq.Broker) -> AsyncIterator[Runtime]:
    """Built once the broker is configured, as every process builds its runtime."""
    runtime = await open_runtime(settings, clock=clock)
    try:
        yield runtime
    finally:
        await runtime.store.close()


def slack_sink(rt: Runtime) -> SlackNoticeSink:
    assert isinstance(rt.notices, NoticeRouter)
    [sink] = [s for s in rt.notices.sinks if isinstance(s, SlackNoticeSink)]
    return sink


def outbox_send(rt: Runtime) -> Callable[[ChatMessage], Awaitable[None]]:
    return slack_sink(rt).outbox.send


def notice(fake: FakeSlack, channel: str, text: str) -> ChatMessage:
    return ChatMessage(destination=ChatDestination("slack", fake.team_id, channel), text=text)


async def test_the_notifier_hands_messages_to_the_chat_queue_when_the_broker_is_configured(
        rt: Runtime, worker: dramatiq.Broker, fake_slack: FakeSlack) -> None:
    assert type(slack_sink(rt).outbox).__name__ == "DramatiqChatOutbox"
    assert CHAT_QUEUE in worker.get_declared_queues()

    await outbox_send(rt)(notice(fake_slack, "CNOTE", "hello"))

    await eventually(lambda: len(posted(fake_slack, "CNOTE")) == 1, timeout=DEADLINE_SECONDS,
                     what="the notice")
    assert posted(fake_slack, "CNOTE")[0].token == fake_slack.bot_token


async def test_a_429_is_sent_again_after_retry_after_and_delivered_once(
        rt: Runtime, worker: dramatiq.Broker, fake_slack: FakeSlack,
        caplog: pytest.LogCaptureFixture) -> None:
    fake_slack.rate_limit_next, fake_slack.retry_after = 1, 1
    caplog.set_level(logging.INFO)

    await outbox_send(rt)(notice(fake_slack, "CBUSY", "once"))
    await eventually(lambda: len(posted(fake_slack, "CBUSY")) == 2, timeout=DEADLINE_SECONDS,
                     what="the retry")
    await asyncio.to_thread(worker.join, CHAT_QUEUE, timeout=10_000)

    # Two calls: the 429, then the delivery; the message was not sent a third time.
    assert len(posted(fake_slack, "CBUSY")) == 2
    messages = [r.getMessage() for r in caplog.records]
    # The retry went back to the broker with Retry-After as its delay (no sleeping thread).
    assert any("Slack asked to slow down" in m and "in 1.0 s" in m for m in messages)
    assert any("Retrying message" in m and "in 1000 milliseconds" in m for m in messages)


async def test_a_busy_channel_does_not_hold_up_another(
        rt: Runtime, worker: dramatiq.Broker, fake_slack: FakeSlack) -> None:
    send = outbox_send(rt)
    await send(notice(fake_slack, "CBUSY", "first"))
    await send(notice(fake_slack, "CBUSY", "second"))
    await send(notice(fake_slack, "COTHER", "other"))

    await eventually(lambda: len(posted(fake_slack, "CBUSY")) == 2, timeout=DEADLINE_SECONDS,
                     what="both busy-channel notices")
    order = [(c.params["channel"], c.params["text"]) for c in fake_slack.calls_to(
        "chat.postMessage")]
    # "second" waited for CBUSY's next turn; COTHER's notice did not wait behind it.
    assert order.index(("COTHER", "other")) < order.index(("CBUSY", "second"))
    assert order.index(("CBUSY", "first")) < order.index(("CBUSY", "second"))


async def test_a_permanent_refusal_is_dropped_with_one_log_line(
        rt: Runtime, worker: dramatiq.Broker, fake_slack: FakeSlack,
        caplog: pytest.LogCaptureFixture) -> None:
    fake_slack.refuse_channels["CGONE"] = "channel_not_found"
    caplog.set_level(logging.INFO, logger="workers.chat_actors")

    await outbox_send(rt)(notice(fake_slack, "CGONE", "lost"))
    await eventually(lambda: len(posted(fake_slack, "CGONE")) == 1, timeout=DEADLINE_SECONDS,
                     what="the refused call")
    await asyncio.to_thread(worker.join, CHAT_QUEUE, timeout=10_000)

    assert len(posted(fake_slack, "CGONE")) == 1
    lines = [r for r in caplog.records if r.name == "workers.chat_actors"]
    assert len(lines) == 1
    assert "channel_not_found" in lines[0].getMessage()
    assert fake_slack.bot_token not in lines[0].getMessage()


async def test_a_direct_message_opens_the_conversation_from_the_worker(
        rt: Runtime, worker: dramatiq.Broker, fake_slack: FakeSlack) -> None:
    await outbox_send(rt)(ChatMessage(
        destination=ChatDestination("slack", fake_slack.team_id, user_id="UMEMBER"),
        text="psst"))

    await eventually(lambda: len(posted(fake_slack, "DUMEMBER")) == 1, timeout=DEADLINE_SECONDS,
                     what="the DM")

    [opened] = fake_slack.calls_to("conversations.open")
    assert opened.params["users"] == "UMEMBER"
    [dm] = posted(fake_slack, "DUMEMBER")
    assert dm.params["text"] == "psst"


# -- with Redis --------------------------------------------------------------------------------

@pytest.fixture
def redis_settings(tmp_path: Path, fake_slack: FakeSlack, signing_secret: str,
                   redis_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,
                    http_port=0, public_url="http://127.0.0.1:8080",
                    slack_signing_secret=signing_secret, slack_bot_token=fake_slack.bot_token,
                    slack_api_url=fake_slack.api_url, redis_url=redis_url)


@pytest.fixture
async def redis_worker(redis_settings: Settings,
                       clock: ManualClock) -> AsyncIterator[dramatiq.Broker]:
    async for broker in running(redis_settings, clock):
        yield broker


async def test_with_redis_a_429_is_retried_after_the_delay_and_delivered_once(
        redis_settings: Settings, redis_worker: dramatiq.Broker, fake_slack: FakeSlack) -> None:
    fake_slack.rate_limit_next, fake_slack.retry_after = 1, 1
    hub_rt = await open_runtime(redis_settings)
    try:
        outbox = chat_outbox(redis_settings, None)  # type: ignore[arg-type]
        assert type(outbox).__name__ == "DramatiqChatOutbox"
        await outbox.send(notice(fake_slack, "CREDIS", "via redis"))
        await eventually(lambda: len(posted(fake_slack, "CREDIS")) == 2, timeout=DEADLINE_SECONDS,
                         what="the retried delivery")
    finally:
        await hub_rt.store.close()
    assert [c.params["text"] for c in posted(fake_slack, "CREDIS")] == ["via redis"] * 2


async def test_the_redis_budget_is_per_channel_and_shared(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        first = RedisChatPacer(client, interval=1.0)
        second = RedisChatPacer(client, interval=1.0)  # another worker
        assert await first.reserve("slack:T1:CA") == 0
        waited = await second.reserve("slack:T1:CA")
        assert 0.5 < waited <= 1.0
        assert await second.reserve("slack:T1:CB") == 0
        await first.hold_off("slack:T1:CC", 30)
        assert await second.reserve("slack:T1:CC") > 29
    finally:
        client.close()
