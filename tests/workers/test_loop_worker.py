"""The worker that runs jobs as tasks on the actors' loop, against the real Redis broker."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import dramatiq
import pytest
import redis
from dramatiq.middleware.time_limit import TimeLimitExceeded
from pydantic import SecretStr

from postflow.config import Settings
from workers.broker import close_broker, configure_broker
from workers.loop_worker import LoopWorker

QUEUE = "loop_probe"


@pytest.fixture
def broker(redis_url: str) -> Iterator[dramatiq.Broker]:
    broker = configure_broker(Settings(redis_url=SecretStr(redis_url)))
    yield broker
    close_broker(broker)


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def _start(broker: dramatiq.Broker, *, concurrency: int, prefetch: int = 16) -> LoopWorker:
    worker = LoopWorker(broker, concurrency=concurrency, prefetch=prefetch, worker_timeout=50)
    worker.start()
    return worker


def _wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _unacked(client: redis.Redis) -> int:
    return sum(int(client.scard(key)) for key in client.scan_iter("dramatiq:__acks__.*"))


def test_jobs_run_as_tasks_of_one_loop_at_most_concurrency_at_once(
        broker: dramatiq.Broker, client: redis.Redis) -> None:
    running, most, threads, done = 0, 0, set(), []

    async def probe(number: int) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        threads.add(threading.get_ident())
        await asyncio.sleep(0.05)
        running -= 1
        done.append(number)

    actor = dramatiq.actor(broker=broker, queue_name=QUEUE, max_retries=0)(probe)
    for number in range(9):
        actor.send(number)
    worker = _start(broker, concurrency=3)
    try:
        _wait_until(lambda: len(done) == 9)
        _wait_until(lambda: _unacked(client) == 0)  # each job acknowledged once it is done
    finally:
        worker.stop(10_000)

    assert sorted(done) == list(range(9))
    assert most == 3
    assert len(threads) == 1 and threading.get_ident() not in threads
    assert client.llen(f"dramatiq:{QUEUE}") == 0


def test_a_job_over_its_time_limit_is_cancelled_and_retried_like_dramatiqs_time_limit(
        broker: dramatiq.Broker) -> None:
    attempts: list[str] = []

    async def slow_once() -> None:
        if attempts:
            attempts.append("quick")
            return
        attempts.append("slow")
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            attempts.append("cancelled")
            raise

    actor = dramatiq.actor(broker=broker, queue_name=QUEUE, max_retries=1, min_backoff=10,
                           max_backoff=10, time_limit=200)(slow_once)
    failures: list[BaseException] = []

    class RecordFailures(dramatiq.Middleware):
        def after_process_message(self, broker: dramatiq.Broker, message: Any, *,
                                  result: Any = None, exception: BaseException | None = None,
                                  ) -> None:
            if exception is not None:
                failures.append(exception)

    broker.add_middleware(RecordFailures())
    started = time.monotonic()
    actor.send()
    worker = _start(broker, concurrency=2)
    try:
        _wait_until(lambda: "quick" in attempts)
    finally:
        worker.stop(10_000)

    assert attempts == ["slow", "cancelled", "quick"]
    assert [type(failure) for failure in failures] == [TimeLimitExceeded]
    assert time.monotonic() - started < 10


def test_a_failed_job_reaches_retries_with_its_traceback_then_the_dead_letters(
        broker: dramatiq.Broker, client: redis.Redis) -> None:
    async def broken() -> None:
        raise ValueError("the probe is broken")

    actor = dramatiq.actor(broker=broker, queue_name=QUEUE, max_retries=1, min_backoff=10,
                           max_backoff=10)(broken)
    deliveries: list[dict[str, Any]] = []

    class RecordDeliveries(dramatiq.Middleware):
        def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
            deliveries.append(dict(message.options))

    broker.add_middleware(RecordDeliveries())
    actor.send()
    worker = _start(broker, concurrency=2)
    try:
        _wait_until(lambda: client.zcard(f"dramatiq:{QUEUE}.XQ") == 1)
    finally:
        worker.stop(10_000)

    first, retried = deliveries
    assert "traceback" not in first
    assert "ValueError: the probe is broken" in retried["traceback"]
    assert _unacked(client) == 0


def test_stopping_finishes_jobs_in_flight_and_puts_back_the_messages_not_started(
        broker: dramatiq.Broker, client: redis.Redis) -> None:
    started, release = threading.Event(), threading.Event()
    ran: list[int] = []

    async def held(number: int) -> None:
        ran.append(number)
        started.set()
        await asyncio.to_thread(release.wait, 10)

    actor = dramatiq.actor(broker=broker, queue_name=QUEUE, max_retries=0)(held)
    for number in range(5):
        actor.send(number)
    worker = _start(broker, concurrency=1, prefetch=5)
    assert started.wait(10)
    _wait_until(lambda: client.llen(f"dramatiq:{QUEUE}") == 0)  # all 5 fetched
    stopping = threading.Thread(target=worker.stop, args=(10_000,))
    stopping.start()
    time.sleep(0.2)
    assert stopping.is_alive(), "stop did not wait for the job in flight"
    release.set()
    stopping.join(10)

    assert not stopping.is_alive()
    assert ran == [0]
    assert client.llen(f"dramatiq:{QUEUE}") == 4  # the four not started are back in Redis
    assert _unacked(client) == 0


def test_a_plain_function_actor_is_refused_before_any_job_runs(
        broker: dramatiq.Broker) -> None:
    def plain() -> None:
        return None

    dramatiq.actor(broker=broker, queue_name=QUEUE)(plain)

    with pytest.raises(TypeError, match="'plain' is not an async function"):
        _start(broker, concurrency=1)
