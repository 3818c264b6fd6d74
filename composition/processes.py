"""The long-running processes the CLI starts: worker, scheduler, hub, and all three in one
(with Discord's gateway bot when a bot token is set).

Each configures the broker first (before any actor is imported and before anything that picks
the chat queue), opens its backends once and builds its runtime from them, settles its
start-up heap out of the garbage collector's way (:mod:`workers.heap`), runs until stopped, and
closes everything in the reverse order. The hub's runtime reads hooks, organizations and
connections through a short-lived cache; the scheduler's does not (it must read fresh records
before it writes them), so ``postflow up`` builds one of each on its one set of backends.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from functools import partial
from types import FrameType

import dramatiq
from dramatiq.brokers.stub import StubBroker

from composition.billing import billing_event_queue
from composition.discord_gateway import discord_gateway
from composition.hub import build_hub, close_slack_socket, connect_slack_socket
from composition.queue_depths import queue_depths
from composition.runtime import Backends, open_backends
from composition.webhooks import webhook_queue
from composition.worker import install_worker_runtime
from hub.server import serve
from postflow.config import Settings
from postflow.runtime import Runtime
from postflow.usecases.dispatch import requeue_stale_posts
from workers.broker import close_broker, configure_broker, ping_broker
from workers.dramatiq_queue import DramatiqPublishQueue
from workers.embedded import InProcessWorker
from workers.heap import settle_heap
from workers.leader import LeaderLock, LocalLeader, RedisLeaderLock
from workers.scheduler import Scheduler

log = logging.getLogger(__name__)

#: How long a stopping worker waits for jobs in flight.
WORKER_STOP_TIMEOUT_SECONDS = 30.0
#: Embedded mode polls its (usually in-memory) queues more often: it is one process, and a
#: shorter poll makes ``postflow up`` stop within a fraction of a second.
EMBEDDED_WORKER_TIMEOUT_MS = 200


def _start_worker(settings: Settings) -> tuple[dramatiq.Broker, InProcessWorker]:
    broker = configure_broker(settings)
    import workers.actors  # noqa: F401 - declares the queues the worker consumes

    install_worker_runtime(settings)
    worker = InProcessWorker(broker, settings)
    worker.start()
    return broker, worker


def run_worker(settings: Settings) -> None:
    """Consume publish and canary jobs until SIGINT or SIGTERM, then finish in-flight jobs.

    Blocking; call from the main thread (it installs signal handlers).
    """
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("received %s; stopping the worker", signal.Signals(signum).name)
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        broker, worker = _start_worker(settings)
        settle_heap()
        try:
            stopping.wait()
        finally:
            worker.stop(WORKER_STOP_TIMEOUT_SECONDS)
            close_broker(broker)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _leader_for(settings: Settings) -> LeaderLock:
    if settings.redis_url is not None:
        return RedisLeaderLock(settings.redis_url.get_secret_value())
    return LocalLeader()


async def _close_leader(leader: LeaderLock) -> None:
    if isinstance(leader, RedisLeaderLock):
        await leader.close()


async def run_scheduler(settings: Settings, stop: asyncio.Event) -> None:
    """Dispatch due posts, send canaries and reconcile, while leading, until ``stop`` is set."""
    broker = configure_broker(settings)
    backends = await open_backends(settings)
    leader = _leader_for(settings)
    settle_heap()
    try:
        await Scheduler(backends.runtime(), DramatiqPublishQueue(), leader,
                        billing_queue=billing_event_queue(settings),
                        webhooks=webhook_queue(settings)).run(stop)
    finally:
        await _close_leader(leader)
        await backends.close()
        close_broker(broker)


async def run_hub(settings: Settings, stop: asyncio.Event,
                  on_ready: Callable[[str], None] | None = None) -> None:
    """Serve the hub on ``http_host:http_port`` until ``stop`` is set."""
    broker = configure_broker(settings)
    backends = await open_backends(settings)
    try:
        async with _hub_served(settings, backends, DramatiqPublishQueue(), broker, on_ready):
            await stop.wait()
    finally:
        await backends.close()
        close_broker(broker)


@asynccontextmanager
async def _hub_served(settings: Settings, backends: Backends, queue: DramatiqPublishQueue,
                      broker: dramatiq.Broker,
                      on_ready: Callable[[str], None] | None) -> AsyncIterator[None]:
    """The hub serving (with Slack's socket when configured) for the body of the block; the
    heap settled and ``on_ready`` told the URL once it accepts requests."""
    app = build_hub(backends.runtime(read_cache=True), queue, partial(ping_broker, broker),
                    partial(queue_depths, broker))
    served = await serve(app, settings.http_host, settings.http_port)
    socket = None
    try:
        socket = await connect_slack_socket(app)
        settle_heap()
        if on_ready is not None:
            on_ready(f"http://{settings.http_host}:{served.port}")
        yield
    finally:
        await close_slack_socket(socket)
        await served.stop()


async def resume_unfinished_posts(rt: Runtime, queue: DramatiqPublishQueue,
                                  broker: dramatiq.Broker) -> int:
    """At start-up, hand out again what a previous run left Queued or Publishing.

    With the in-process broker every message died with the previous process and no other
    process can be publishing, so all of it is resumed at once. With Redis the messages survived
    and other workers may share it: the usual reconcile delay applies.
    """
    older_than = timedelta(0) if isinstance(broker, StubBroker) else None
    return await requeue_stale_posts(rt, queue, older_than=older_than)


async def run_embedded(settings: Settings, stop: asyncio.Event,
                       on_ready: Callable[[str], None] | None = None) -> None:
    """Everything in one process (``postflow up``): worker, scheduler and hub, until ``stop``.

    ``on_ready`` gets the hub's URL once it accepts requests (with the real port when 0 was set).
    """
    broker = configure_broker(settings)
    queue = DramatiqPublishQueue()
    backends = await open_backends(settings)
    rt = backends.runtime()
    worker: InProcessWorker | None = None
    scheduler_stop = asyncio.Event()
    scheduler_task: asyncio.Task[None] | None = None
    try:
        resumed = await resume_unfinished_posts(rt, queue, broker)
        if resumed:
            log.info("resumed %d unfinished posts", resumed)
        install_worker_runtime(settings)
        worker = InProcessWorker(broker, settings, embedded=True,
                                 worker_timeout_ms=EMBEDDED_WORKER_TIMEOUT_MS)
        worker.start()
        scheduler_task = asyncio.create_task(
            Scheduler(rt, queue, LocalLeader(), billing_queue=billing_event_queue(settings),
                      webhooks=webhook_queue(settings))
            .run(scheduler_stop), name="postflow-scheduler")
        async with (discord_gateway(backends.runtime(read_cache=True), queue),
                    _hub_served(settings, backends, queue, broker, on_ready)):
            await _wait_for_stop(stop, scheduler_task)
    finally:
        scheduler_stop.set()
        if scheduler_task is not None:
            with suppress(asyncio.CancelledError):
                await scheduler_task
        if worker is not None:
            await asyncio.to_thread(worker.stop, WORKER_STOP_TIMEOUT_SECONDS)
        await backends.close()
        close_broker(broker)


async def _wait_for_stop(stop: asyncio.Event, scheduler_task: asyncio.Task[None]) -> None:
    """Wait for ``stop``; a scheduler that died (a bug) stops the whole process loudly."""
    stop_wait = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({stop_wait, scheduler_task}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop_wait.cancel()
    if scheduler_task.done() and not stop.is_set():
        scheduler_task.result()
        raise RuntimeError("The scheduler stopped on its own.")

