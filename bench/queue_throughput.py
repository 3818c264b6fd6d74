"""Queue throughput: no-op jobs/s through Dramatiq + Redis in the production worker layout,
compared with a raw redis-py LPUSH/BRPOP relay measured in the same run.

Both sides are measured the same way: this process first fills Redis with N messages, then a
fresh consumer process drains them. Each message costs one INCR of a counter key, and the
consumer notes the time of the first and of the last INCR. The rate is N / (last - first), so
process start-up, worker boot and enqueueing are not counted. A backlog drained at full speed is
the case that matters (a scheduler tick hands out every due post at once), and a producer running
alongside would take CPU from the consumer on this 2-core machine and measure that contention.

- queue: the consumer process is built the way ``postflow worker`` builds its worker
  (``composition.processes._start_worker``): ``configure_broker`` (our RedisBroker settings and the
  AsyncIO middleware), ``workers.actors`` imported (so its queues are consumed too),
  ``worker_runtime.install``, one ``InProcessWorker`` with a ``postflow worker``'s threads.
  The job is a no-op ``async def`` actor declared on that broker, sent with ``actor.send``.
- relay: one process, one event loop, as many concurrent BRPOP + INCR loops as the worker has
  threads, over one redis-py (``redis.asyncio``) pool. A thread per loop with the blocking client
  was slower than a single thread here (GIL contention across the two cores), so it would
  flatter the ratio.

Rounds alternate relay and queue; the RESULT line gives the median of each side, and the ratio of
those medians. Everything uses the Redis database of ``--redis-url`` (by default one of dbs 1-15
it claims through db 0, as test sessions do), which is FLUSHED before and after each measurement.

    .venv/bin/python bench/queue_throughput.py [--messages 20000 | --quick] [--rounds 3]

The last line is ``RESULT queue_msgs_per_s=... relay_msgs_per_s=... ratio=... messages=...``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import multiprocessing
import os
import signal
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import dramatiq
import redis
import redis.asyncio
from _redis_db import claimed_redis_db
from pydantic import SecretStr

from composition.processes import WORKER_STOP_TIMEOUT_SECONDS
from composition.worker import install_worker_runtime
from postflow.config import Settings
from workers.broker import close_broker, configure_broker
from workers.embedded import InProcessWorker, worker_threads

DEFAULT_MESSAGES = 20_000
QUICK_MESSAGES = 5_000
DEFAULT_ROUNDS = 3
BENCH_QUEUE = "bench_noop"
RELAY_LIST = "bench:relay"
#: INCRed once per processed message, on both sides.
DONE_KEY = "bench:done"
#: The consumer's time.monotonic() at the first and the last INCR, and its CPU seconds.
STAMPS_KEY = "bench:stamps"
#: About a publish job's arguments.
RELAY_PAYLOAD = {"org_id": "org_0123456789abcdef", "post_id": "post_0123456789abcdef",
                 "version": 1, "trigger": "bench"}
BOOT_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = WORKER_STOP_TIMEOUT_SECONDS + 10.0
#: A run slower than this is broken, not slow: fail instead of waiting for ever.
FLOOR_MSGS_PER_S = 100.0


def bench_settings(redis_url: str, data_dir: str) -> Settings:
    """The settings both processes of the queue side build the broker from."""
    return Settings(redis_url=SecretStr(redis_url), data_dir=Path(data_dir),
                    secret_key=SecretStr("bench-secret-key-0123456789"))


# -- the work per message (the same on both sides) -----------------------------------------------
def _stamps_for(done: int, messages: int) -> dict[str, float]:
    now = time.monotonic()
    stamps: dict[str, float] = {}
    if done == 1:
        stamps["first"] = now
    if done == messages:
        stamps["last"] = now
    return stamps


async def _count(client: redis.asyncio.Redis, messages: int) -> None:
    done = await client.incr(DONE_KEY)
    for stamp, at in _stamps_for(done, messages).items():
        await client.hset(STAMPS_KEY, stamp, at)


@dataclass
class CounterState:
    """The queue consumer's counter connection (opened on the actors' loop) and its goal."""

    redis_url: str = ""
    messages: int = 0
    client: redis.asyncio.Redis | None = None


_counter = CounterState()


async def bench_noop(index: int) -> None:
    """The queue side's job: count, and stamp the first and the last message."""
    if _counter.client is None:
        _counter.client = redis.asyncio.Redis.from_url(_counter.redis_url)
    await _count(_counter.client, _counter.messages)


def declare_noop_actor(broker: dramatiq.Broker) -> dramatiq.Actor[[int], None]:
    """Declare the no-op actor on ``broker``, async like ours. It is declared only once a broker
    is configured, so Dramatiq never creates a default broker for it."""
    return dramatiq.actor(broker=broker, queue_name=BENCH_QUEUE, max_retries=0)(bench_noop)


# -- consumers (each in its own process) --------------------------------------------------------
def _lifetime_seconds(messages: int) -> float:
    """The longest a measurement may take; the parent and the consumers both enforce it."""
    return BOOT_TIMEOUT_SECONDS + messages / FLOOR_MSGS_PER_S


def _serve(redis_url: str, messages: int, ready: Any, stop: Any) -> None:
    """Announce readiness, wait for ``stop``, then record this process's CPU time meanwhile.

    Also returns if the bench process died or the run overstayed, so no consumer outlives it.
    """
    started = os.times()
    deadline = time.monotonic() + _lifetime_seconds(messages) + STOP_TIMEOUT_SECONDS
    parent = multiprocessing.parent_process()
    ready.set()
    while not stop.wait(1.0):
        if (parent is not None and not parent.is_alive()) or time.monotonic() > deadline:
            break
    ended = os.times()
    cpu = (ended.user - started.user) + (ended.system - started.system)
    client = redis.Redis.from_url(redis_url)
    try:
        client.hset(STAMPS_KEY, "cpu", cpu)
    finally:
        client.close()


def _queue_consumer(redis_url: str, data_dir: str, messages: int, ready: Any, stop: Any) -> None:
    """What ``postflow worker`` runs (run_worker and _start_worker), plus the bench actor."""
    logging.basicConfig(level=logging.WARNING)
    _counter.redis_url, _counter.messages = redis_url, messages
    settings = bench_settings(redis_url, data_dir)
    broker = configure_broker(settings)
    import workers.actors  # noqa: F401 - the production worker consumes these queues too

    declare_noop_actor(broker)
    install_worker_runtime(settings)
    worker = InProcessWorker(broker, settings)
    worker.start()
    try:
        _serve(redis_url, messages, ready, stop)
    finally:
        worker.stop(WORKER_STOP_TIMEOUT_SECONDS)
        close_broker(broker)


async def _relay_loop(client: redis.asyncio.Redis, messages: int,
                      stopping: asyncio.Event) -> None:
    while not stopping.is_set():
        popped = await client.brpop([RELAY_LIST], timeout=1)
        if popped is None:
            continue
        json.loads(popped[1])
        await _count(client, messages)


async def _relay(redis_url: str, concurrency: int, messages: int, ready: Any, stop: Any) -> None:
    client = redis.asyncio.Redis.from_url(redis_url)
    stopping = asyncio.Event()
    loops = [asyncio.create_task(_relay_loop(client, messages, stopping))
             for _ in range(concurrency)]
    try:
        await asyncio.to_thread(_serve, redis_url, messages, ready, stop)
    finally:
        stopping.set()
        await asyncio.gather(*loops)
        await client.aclose()


def _relay_consumer(redis_url: str, concurrency: int, messages: int, ready: Any,
                    stop: Any) -> None:
    """``concurrency`` BRPOP + INCR loops on one event loop and one connection pool."""
    asyncio.run(_relay(redis_url, concurrency, messages, ready, stop))


# -- producers (this process) -------------------------------------------------------------------
def _fill_queue(redis_url: str, data_dir: str, messages: int) -> None:
    """Send the jobs the way the hub and the scheduler do: ``actor.send`` on our broker."""
    broker = configure_broker(bench_settings(redis_url, data_dir))
    try:
        actor = declare_noop_actor(broker)
        for index in range(messages):
            actor.send(index)
    finally:
        close_broker(broker)


def _fill_relay(redis_url: str, messages: int) -> None:
    """One LPUSH per message, like one ``send`` per job."""
    client = redis.Redis.from_url(redis_url)
    try:
        payload = json.dumps(RELAY_PAYLOAD)
        for _ in range(messages):
            client.lpush(RELAY_LIST, payload)
    finally:
        client.close()


# -- one measurement ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Side:
    """How to fill the queue and start the consumer of one side."""

    name: str
    fill: Callable[[], None]
    consumer: Callable[..., None]
    consumer_args: tuple[Any, ...]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _wait_until_done(client: redis.Redis, label: str, messages: int, started: float) -> None:
    deadline = started + _lifetime_seconds(messages)
    next_report = time.monotonic() + 1.0
    while (done := int(client.get(DONE_KEY) or 0)) < messages:
        now = time.monotonic()
        if now > deadline:
            raise TimeoutError(f"{label}: only {done}/{messages} processed after "
                               f"{now - started:.0f}s")
        if now >= next_report:
            print(f"{label}: {done}/{messages} processed after {now - started:.1f}s", flush=True)
            next_report = now + 1.0
        time.sleep(0.1)


def _stop_child(process: multiprocessing.process.BaseProcess, stop: Any) -> None:
    stop.set()
    process.join(STOP_TIMEOUT_SECONDS)
    if process.is_alive():
        print(f"{process.name}: did not stop within {STOP_TIMEOUT_SECONDS:g}s; terminating",
              flush=True)
        process.terminate()
        process.join(5)
    if process.is_alive():
        process.kill()
        process.join()


def measure(side: Side, label: str, client: redis.Redis, messages: int) -> float:
    """Fill, then drain with a fresh consumer process; msgs/s from first to last processed."""
    client.flushdb()
    started = time.monotonic()
    side.fill()
    filled = time.monotonic() - started
    print(f"{label}: enqueued {messages} in {filled:.2f}s ({messages / filled:.0f}/s)",
          flush=True)

    spawn = multiprocessing.get_context("spawn")
    ready, stop = spawn.Event(), spawn.Event()
    process = spawn.Process(target=side.consumer, args=(*side.consumer_args, ready, stop),
                            name=f"bench-{side.name}-consumer")
    started = time.monotonic()
    process.start()
    try:
        if not ready.wait(BOOT_TIMEOUT_SECONDS):
            raise TimeoutError(f"{label}: the consumer did not start within "
                               f"{BOOT_TIMEOUT_SECONDS:g}s")
        print(f"{label}: consumer ready after {time.monotonic() - started:.2f}s", flush=True)
        _wait_until_done(client, label, messages, started)
    finally:
        _stop_child(process, stop)
    stamps = {_text(key): float(value) for key, value in client.hgetall(STAMPS_KEY).items()}
    done = int(client.get(DONE_KEY) or 0)
    left = client.llen(RELAY_LIST) + client.hlen(f"dramatiq:{BENCH_QUEUE}.msgs")
    client.flushdb()
    if done != messages or left:
        raise RuntimeError(f"{label}: {done} processed and {left} left; expected {messages} "
                           "processed once and none left")
    elapsed = stamps["last"] - stamps["first"]
    rate = messages / elapsed if elapsed > 0 else float("inf")
    cpu = f"{stamps['cpu'] / messages * 1e6:.0f} us" if "cpu" in stamps else "?"
    print(f"{label}: first to last processed {elapsed:.2f}s = {rate:.0f} msgs/s "
          f"(consumer CPU {cpu}/msg)", flush=True)
    return rate


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop the consumers


def main() -> None:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=DEFAULT_MESSAGES,
                        help="messages per side and round")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_MESSAGES} messages (for make bench)")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS,
                        help="measurements per side; the RESULT line gives the medians")
    parser.add_argument("--redis-url", default=None,
                        help="a Redis database the bench may FLUSH (default: one of dbs 1-15 "
                        "on 127.0.0.1:6379 it claims the way test sessions do)")
    args = parser.parse_args()
    messages: int = QUICK_MESSAGES if args.quick else args.messages
    if messages < 1 or args.rounds < 1:
        parser.error("--messages and --rounds must be at least 1")
    with (contextlib.nullcontext(args.redis_url) if args.redis_url
          else claimed_redis_db()) as redis_url:
        run(redis_url, messages, args.rounds)


def run(redis_url: str, messages: int, rounds: int) -> None:
    """Measure both sides ``rounds`` times on ``redis_url`` and print the RESULT line."""
    client = redis.Redis.from_url(redis_url)
    threads = worker_threads(Settings(), embedded=False)
    rates: dict[str, list[float]] = {"relay": [], "queue": []}
    with tempfile.TemporaryDirectory(prefix="postflow-bench-") as data_dir:
        sides = (
            Side("relay", lambda: _fill_relay(redis_url, messages), _relay_consumer,
                 (redis_url, threads, messages)),
            Side("queue", lambda: _fill_queue(redis_url, data_dir, messages),
                 _queue_consumer, (redis_url, data_dir, messages)),
        )
        print(f"{messages} no-op messages per side and round, {rounds} rounds; "
              f"{threads} worker threads / relay loops; {redis_url}", flush=True)
        try:
            for round_ in range(1, rounds + 1):
                for side in sides:
                    label = f"[{round_}/{rounds}] {side.name}"
                    rates[side.name].append(measure(side, label, client, messages))
        finally:
            client.flushdb()
            client.close()
    relay, queue = statistics.median(rates["relay"]), statistics.median(rates["queue"])
    for name, measured in rates.items():
        print(f"{name}: " + ", ".join(f"{rate:.0f}" for rate in measured) + " msgs/s", flush=True)
    print(f"RESULT queue_msgs_per_s={queue:.1f} relay_msgs_per_s={relay:.1f} "
          f"ratio={queue / relay:.3f} messages={messages}", flush=True)


if __name__ == "__main__":
    main()
