"""Broker configuration: the one place it is set, its recovery settings, and its ping."""

from __future__ import annotations

import subprocess
import sys

import dramatiq
import pytest
import redis
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO
from pydantic import SecretStr

from postflow.config import Settings
from workers import broker as broker_module
from workers.broker import (
    CANARY_QUEUE,
    PUBLISH_QUEUE,
    PostFlowRedisBroker,
    close_broker,
    configure_broker,
    ping_broker,
)


def test_importing_the_actors_before_configuring_the_broker_fails_clearly() -> None:
    result = subprocess.run([sys.executable, "-c", "import workers.actors"],
                            capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode != 0
    assert "BrokerNotConfigured" in result.stderr
    assert "configure_broker" in result.stderr


def test_without_redis_the_broker_is_in_process(settings: Settings) -> None:
    broker = configure_broker(settings)

    assert isinstance(broker, StubBroker)
    assert dramatiq.get_broker() is broker
    assert any(isinstance(m, AsyncIO) for m in broker.middleware)


def test_redis_broker_recovers_a_dead_workers_messages_within_a_minute(
        settings: Settings, redis_url: str) -> None:
    settings.redis_url = SecretStr(redis_url)
    broker = configure_broker(settings)
    try:
        assert isinstance(broker, PostFlowRedisBroker)
        assert broker.heartbeat_timeout == broker_module.HEARTBEAT_TIMEOUT_MS <= 20_000
        # Maintenance runs on at least 10% of commands: it comes within seconds of idle polling.
        assert broker.maintenance_chance >= 100_000
        assert broker.dead_message_ttl == broker_module.DEAD_MESSAGE_TTL_MS
    finally:
        close_broker(broker)


def test_configuring_again_moves_the_actors_to_the_new_broker(settings: Settings) -> None:
    first = configure_broker(settings)
    from workers import actors

    second = configure_broker(settings)

    assert first is not second
    assert actors.publish_post.broker is second
    assert second.actors["publish_post"] is actors.publish_post
    assert {PUBLISH_QUEUE, CANARY_QUEUE} <= second.get_declared_queues()


def test_a_publish_job_is_stopped_before_the_reconciler_would_resume_its_post(
        settings: Settings) -> None:
    configure_broker(settings)
    from workers import actors

    limit_ms = actors.publish_post.options["time_limit"]

    assert limit_ms < settings.reconcile_after_seconds * 1000


async def test_ping_reaches_redis(settings: Settings, redis_url: str) -> None:
    settings.redis_url = SecretStr(redis_url)
    broker = configure_broker(settings)
    try:
        assert await ping_broker(broker) is True
    finally:
        close_broker(broker)


async def test_ping_raises_when_redis_is_unreachable(settings: Settings) -> None:
    settings.redis_url = SecretStr("redis://127.0.0.1:1/0")
    broker = configure_broker(settings)
    try:
        with pytest.raises(redis.ConnectionError):
            await ping_broker(broker)
    finally:
        close_broker(broker)


async def test_ping_of_the_in_process_broker_always_passes(settings: Settings) -> None:
    assert await ping_broker(configure_broker(settings)) is False
