"""The worker process's one Runtime, opened on the event loop that runs the actors.

Dramatiq's AsyncIO middleware runs every async actor on its own event loop thread, and an
aiosqlite (or PyMongo async) connection belongs to the loop that opened it. So the runtime is not
opened at start-up on the main thread: the first actor opens it on the actors' loop, every later
actor reuses it, and it is closed on that same loop when the worker shuts down.

With Redis configured, the runtime's account gates and refresh locks are the Redis ones, so rate
limit cool-downs, per-network caps and single-flight token refresh hold across every worker.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass, field

import dramatiq
import redis.asyncio
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware

from composition.runtime import open_runtime
from integrations.http_session import close_http_sessions
from postflow.clock import Clock
from postflow.config import Settings
from postflow.runtime import Runtime
from workers.redis_gates import RedisAccountGate, RedisRefreshLock, open_gates_client

log = logging.getLogger(__name__)


class RuntimeNotInstalled(RuntimeError):
    """Raised when an actor runs in a process that never called :func:`install`."""


@dataclass
class _Holder:
    settings: Settings
    clock: Clock | None = None
    runtime: Runtime | None = None
    loop: asyncio.AbstractEventLoop | None = None
    redis_client: redis.asyncio.Redis | None = None
    opening: asyncio.Lock = field(default_factory=asyncio.Lock)


_holder: _Holder | None = None


def install(settings: Settings, *, clock: Clock | None = None) -> None:
    """Say how this process's runtime is built; call once at worker start-up."""
    global _holder
    if _holder is not None and _holder.runtime is not None:
        raise RuntimeError("A worker runtime is open; close it before installing another.")
    _holder = _Holder(settings=settings, clock=clock)


def uninstall() -> None:
    """Forget the installation (after :func:`close_runtime`); mainly for tests."""
    global _holder
    if _holder is not None and _holder.runtime is not None:
        raise RuntimeError("The worker runtime is still open; close it first.")
    _holder = None


async def get_runtime() -> Runtime:
    """The process's runtime, opened on first use on the calling (the actors') event loop."""
    holder = _holder
    if holder is None:
        raise RuntimeNotInstalled("workers.worker_runtime.install(settings) was not called "
                                  "in this process before an actor ran.")
    loop = asyncio.get_running_loop()
    if holder.runtime is not None and holder.loop is loop:
        return holder.runtime
    async with holder.opening:
        if holder.runtime is None:
            runtime = await open_runtime(holder.settings, clock=holder.clock)
            holder.runtime, holder.redis_client = _with_redis_gates(runtime)
            holder.loop = loop
    if holder.loop is not loop:
        raise RuntimeError("The worker runtime belongs to another event loop; its database "
                           "connections cannot be used from this one.")
    return holder.runtime


async def close_runtime() -> None:
    """Close the runtime if one is open; the next :func:`get_runtime` opens a fresh one."""
    holder = _holder
    if holder is None or holder.runtime is None:
        return
    runtime, holder.runtime, holder.loop = holder.runtime, None, None
    client, holder.redis_client = holder.redis_client, None
    holder.opening = asyncio.Lock()
    try:
        await runtime.store.close()
    finally:
        try:
            if client is not None:
                await client.aclose()
        finally:
            # The actor loop is stopped without asyncio's shutdown steps: close its pooled
            # provider connections here (integrations/http_session.py).
            await close_http_sessions()


def _with_redis_gates(runtime: Runtime) -> tuple[Runtime, redis.asyncio.Redis | None]:
    """``runtime`` with gates and refresh locks in Redis when Redis is configured, and the
    client they share (to close with the runtime)."""
    url = runtime.settings.redis_url
    if url is None:
        return runtime, None
    client = open_gates_client(url.get_secret_value())
    settings = runtime.settings
    gates = RedisAccountGate(client, runtime.clock, settings.network_concurrency,
                             default_cap=settings.network_concurrency_default,
                             wait_seconds=settings.network_slot_wait_seconds)
    return dataclasses.replace(runtime, gates=gates,
                               refresh_locks=RedisRefreshLock(client)), client


class CloseRuntimeAtShutdown(Middleware):
    """Closes the runtime on the actors' loop once the worker threads have stopped."""

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        thread = get_event_loop_thread()
        if thread is None or not thread.loop.is_running():
            return
        try:
            thread.run_coroutine(close_runtime())
        except Exception:
            log.exception("could not close the worker runtime cleanly")
