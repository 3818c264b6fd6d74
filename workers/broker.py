"""The one place the Dramatiq broker is chosen and set.

Dramatiq quietly creates a default broker (RabbitMQ, then Redis on localhost) when an actor module
is imported first, so every process calls :func:`configure_broker` before importing
``workers.actors``; that module refuses to load otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dramatiq
import redis
import redis.asyncio
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import current_millis
from dramatiq.middleware import AsyncIO, Middleware, Retries

from postflow.config import Settings
from workers.job_metrics import JobMetrics
from workers.loop_worker import TimeLimitOption
from workers.worker_runtime import CloseRuntimeAtShutdown

#: The queues the actors consume (named here so tests and tools need not import the actors).
PUBLISH_QUEUE = "publish"
CANARY_QUEUE = "canary"
#: Messages into chat (workers/chat_actors.py): paced per channel, never ahead of publishing.
CHAT_QUEUE = "chat"
#: Stripe events applied (workers/billing_actors.py).
BILLING_QUEUE = "billing"
#: Outbound webhook deliveries (workers/webhook_actors.py).
WEBHOOKS_QUEUE = "webhooks"
#: Recorded emails to send (workers/email_actors.py).
EMAIL_QUEUE = "email"

# Recovery of a killed worker's unacked messages (RedisBroker of dramatiq 2.x):
# every process writes a heartbeat on each Redis command it sends (an idle worker fetches from
# each of its queues at least once per ``worker_timeout``, 200 ms: workers/embedded.py). A
# process whose heartbeat is older than HEARTBEAT_TIMEOUT_MS counts as dead, and the next
# "maintenance" run on a queue pushes its unacked messages of that queue back. Maintenance runs
# on a random MAINTENANCE_CHANCE-per-million of commands (the default, 1000, is about once per
# 1000 commands: minutes on a quiet install). With 15 s and 20 %: a dead worker's messages are
# back within ~15 s plus a few idle fetches (the chance that 30 fetches in a row skip
# maintenance is 0.1 %), well inside a minute, while a live worker would have to miss many
# heartbeats to be declared dead.
# Maintenance is two ZRANGEBYSCOREs when no worker is dead, so the higher chance costs little.
# A message redelivered to a second worker is harmless: the publisher acts only on a post still
# Queued at the message's version. (dramatiq 2.2 has no requeue_deadline/requeue_interval: these
# two are the knobs.) tests/e2e/test_redis_mode.py measures it: about 20 s.
HEARTBEAT_TIMEOUT_MS = 15_000
MAINTENANCE_CHANCE = 200_000
#: Dead-lettered messages are kept only for inspection: the store, not Redis, is the record.
DEAD_MESSAGE_TTL_MS = 3 * 24 * 3600 * 1000
REDIS_CONNECT_TIMEOUT_SECONDS = 5.0
REDIS_SOCKET_TIMEOUT_SECONDS = 10.0


class BrokerNotConfigured(RuntimeError):
    """Raised when actors are imported before :func:`configure_broker` chose a broker."""


class PostFlowRedisBroker(RedisBroker):
    """A RedisBroker that remembers its URL, so the hub can ping Redis without the worker's pool."""

    def __init__(self, *, url: str, **options: Any) -> None:
        client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS,
                                      socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS)
        super().__init__(client=client, **options)  # type: ignore[no-untyped-call]
        self.redis_url = url

    def ack_many(self, queue_name: str, redis_message_ids: Sequence[str]) -> None:
        """Acknowledge several messages of ``queue_name`` in one round trip: the same dispatch
        script call as Dramatiq's ``do_ack``, once per message, in one pipeline.

        The arguments mirror ``RedisBroker._dispatch`` of dramatiq 2.x (pinned below 3 in
        pyproject.toml); tests/workers/test_loop_worker.py checks that nothing stays unacked.
        """
        dispatch = self.scripts["dispatch"]
        pipeline = self.client.pipeline(transaction=False)
        for message_id in redis_message_ids:
            dispatch(keys=[self.namespace], client=pipeline, args=[
                "ack", current_millis(), queue_name, self.broker_id, self.heartbeat_timeout,
                self.dead_message_ttl, self._should_do_maintenance("ack"),
                self._max_unpack_size(), message_id])  # type: ignore[no-untyped-call]
        pipeline.execute()


@dataclass(frozen=True)
class ConfiguredBroker:
    broker: dramatiq.Broker
    settings: Settings


_configured: ConfiguredBroker | None = None


def configure_broker(settings: Settings) -> dramatiq.Broker:
    """Build the broker for ``settings`` (Redis when ``redis_url`` is set, else in-process) and
    make it the global one. Calling it again (tests, ``postflow up`` restarts) moves the actors
    to the new broker."""
    global _configured
    broker: dramatiq.Broker
    if settings.redis_url is not None:
        broker = PostFlowRedisBroker(
            url=settings.redis_url.get_secret_value(),
            heartbeat_timeout=HEARTBEAT_TIMEOUT_MS,
            maintenance_chance=MAINTENANCE_CHANCE,
            dead_message_ttl=DEAD_MESSAGE_TTL_MS,
            middleware=used_middleware(),
        )
    else:
        broker = StubBroker(middleware=used_middleware())
    # Actors are `async def`: AsyncIO runs them on one event loop thread per worker process.
    broker.add_middleware(AsyncIO())
    # Added after AsyncIO so its after_worker_shutdown runs first (they run in reverse order),
    # while the loop that owns the worker's database connections is still alive.
    broker.add_middleware(CloseRuntimeAtShutdown())
    dramatiq.set_broker(broker)
    _configured = ConfiguredBroker(broker=broker, settings=settings)
    actors = sys.modules.get("workers.actors")
    if actors is not None:
        actors.bind_actors(broker, settings)
    chat_actors = sys.modules.get("workers.chat_actors")
    if chat_actors is not None:
        chat_actors.bind_chat_actors(broker, settings)
    billing_actors = sys.modules.get("workers.billing_actors")
    if billing_actors is not None:
        billing_actors.bind_billing_actors(broker)
    webhook_actors = sys.modules.get("workers.webhook_actors")
    if webhook_actors is not None:
        webhook_actors.bind_webhook_actors(broker, settings)
    email_actors = sys.modules.get("workers.email_actors")
    if email_actors is not None:
        email_actors.bind_email_actors(broker, settings)
    return broker


def used_middleware() -> list[Middleware]:
    """Dramatiq's default middleware that PostFlow's actors use: time limits and retries.

    Left out: AgeLimit (no actor sets max_age), Callbacks and Pipelines (no on_success,
    on_failure or pipelines), ShutdownNotifications (no actor reacts to a Shutdown exception:
    a stopping worker finishes its jobs). Every middleware is called on every message.
    Added: JobMetrics, which counts each finished job for /metrics.
    """
    return [TimeLimitOption(), Retries(), JobMetrics()]


def configured_broker() -> ConfiguredBroker:
    """The broker set by :func:`configure_broker`, with the settings it was built from."""
    if _configured is None:
        raise BrokerNotConfigured(
            "workers.actors was imported before workers.broker.configure_broker(settings). "
            "Call configure_broker first: otherwise Dramatiq would quietly create a default "
            "broker of its own and the actors would send to it.")
    return _configured


async def ping_broker(broker: dramatiq.Broker) -> bool:
    """True when Redis answered, False for the in-process broker (nothing to reach); raise if
    Redis cannot be reached."""
    if not isinstance(broker, PostFlowRedisBroker):
        return False
    client = redis.asyncio.Redis.from_url(broker.redis_url, socket_connect_timeout=2.0,
                                          socket_timeout=2.0)
    try:
        return bool(await client.ping())
    finally:
        await client.aclose()


def close_broker(broker: dramatiq.Broker) -> None:
    """Release the broker's connections (call after the worker stopped)."""
    broker.close()
    if isinstance(broker, RedisBroker):
        broker.client.close()
