"""The in-process worker: how many messages it takes off Redis ahead of its threads."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import dramatiq
import pytest
import redis
from pydantic import SecretStr

from postflow.config import Settings
from workers.broker import close_broker, configure_broker
from workers.embedded import (
    DEDICATED_WORKER_THREADS,
    EMBEDDED_WORKER_THREADS,
    PREFETCH_PER_THREAD,
    InProcessWorker,
    worker_threads,
)

QUEUE = "prefetch_probe"
MESSAGES = 40


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def _held_by_worker(settings: Settings, client: redis.Redis) -> int:
    """Start a one-job worker whose job waits, send MESSAGES, and count the messages the
    worker took off the Redis queue (fetched but not acknowledged) once it settles."""
    broker = configure_broker(settings)
    started, release = threading.Event(), threading.Event()

    async def blocking_job(number: int) -> None:
        started.set()
        await asyncio.to_thread(release.wait, 10)

    dramatiq.actor(broker=broker, queue_name=QUEUE, max_retries=0)(blocking_job)
    for number in range(MESSAGES):
        broker.actors["blocking_job"].send(number)
    worker = InProcessWorker(broker, settings, worker_timeout_ms=50)
    worker.start()
    try:
        assert started.wait(10), "the worker never ran a job"
        deadline = time.monotonic() + 5
        left = MESSAGES
        while time.monotonic() < deadline:  # the consumer fetches in steps; let it settle
            time.sleep(0.2)
            now_left = int(client.llen(f"dramatiq:{QUEUE}"))
            if now_left == left:
                break
            left = now_left
        return MESSAGES - left
    finally:
        release.set()
        worker.stop(10)
        close_broker(broker)


def test_a_worker_holds_eight_messages_per_thread_by_default(redis_url: str,
                                                              client: redis.Redis) -> None:
    settings = Settings(redis_url=SecretStr(redis_url), worker_threads=1)

    assert _held_by_worker(settings, client) == PREFETCH_PER_THREAD * 1


def test_worker_prefetch_sets_how_many_it_holds(redis_url: str, client: redis.Redis) -> None:
    settings = Settings(redis_url=SecretStr(redis_url), worker_threads=1, worker_prefetch=3)

    assert _held_by_worker(settings, client) == 3


def test_a_dedicated_worker_runs_more_threads_than_one_sharing_postflow_up() -> None:
    unset = Settings()

    assert worker_threads(unset, embedded=False) == DEDICATED_WORKER_THREADS
    assert worker_threads(unset, embedded=True) == EMBEDDED_WORKER_THREADS
    assert EMBEDDED_WORKER_THREADS < DEDICATED_WORKER_THREADS


def test_the_configured_thread_count_wins_in_both() -> None:
    settings = Settings(worker_threads=3)

    assert worker_threads(settings, embedded=False) == 3
    assert worker_threads(settings, embedded=True) == 3
