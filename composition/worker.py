"""The worker's runtime: how it is opened, on the actors' loop (``workers/worker_runtime.py``).

With Redis configured, its account gates and refresh locks are the Redis ones, built before
the runtime and passed to it, so rate-limit cool-downs, per-network caps and single-flight
token refresh hold across every worker.
"""

from __future__ import annotations

from functools import partial

import redis.asyncio

from composition.runtime import Gates, open_backends
from integrations.http_session import close_http_sessions
from postflow.clock import Clock, SystemClock
from postflow.config import Settings
from workers import worker_runtime
from workers.redis_gates import RedisAccountGate, RedisRefreshLock, open_gates_client
from workers.worker_runtime import WorkerServices


def install_worker_runtime(settings: Settings, *, clock: Clock | None = None) -> None:
    """Make the actors of this process open their runtime for ``settings`` on first use."""
    worker_runtime.install(partial(open_worker_services, settings, clock))


async def open_worker_services(settings: Settings, clock: Clock | None = None) -> WorkerServices:
    """The worker's runtime and chat delivery, opened on the calling loop."""
    clock = clock or SystemClock()
    client, gates = _redis_gates(settings, clock)
    try:
        backends = await open_backends(settings, clock=clock, gates=gates)
    except BaseException:
        if client is not None:
            await client.aclose()
        raise

    async def close() -> None:
        try:
            await backends.close()
        finally:
            try:
                if client is not None:
                    await client.aclose()
            finally:
                # The actor loop is stopped without asyncio's shutdown steps: close its pooled
                # provider connections here (integrations/http_session.py).
                await close_http_sessions()

    return WorkerServices(runtime=backends.runtime(),
                          chat_deliveries=backends.chat.deliveries, close=close)


def _redis_gates(settings: Settings,
                 clock: Clock) -> tuple[redis.asyncio.Redis | None, Gates | None]:
    """Gates and refresh locks in Redis when Redis is configured, and the client they share
    (closed with the runtime); (None, None) otherwise."""
    if settings.redis_url is None:
        return None, None
    client = open_gates_client(settings.redis_url.get_secret_value())
    gates = RedisAccountGate(client, clock, settings.network_concurrency,
                             default_cap=settings.network_concurrency_default,
                             wait_seconds=settings.network_slot_wait_seconds)
    return client, Gates(gates, RedisRefreshLock(client))
