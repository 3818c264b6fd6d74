"""The worker process's one Runtime, opened on the event loop that runs the actors.

Dramatiq's AsyncIO middleware runs every async actor on its own event loop thread, and an
aiosqlite (or PyMongo async) connection belongs to the loop that opened it. So the runtime is not
opened at start-up on the main thread: the first actor opens it on the actors' loop, every later
actor reuses it, and it is closed on that same loop when the worker shuts down.

What is opened, and how, is the composition root's (``composition/worker.py``): it installs an
opener here at start-up (with Redis configured, the runtime's account gates and refresh locks
are the Redis ones, so cool-downs, per-network caps and single-flight refresh hold across
every worker).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware

from postflow.chat.delivery import ChatDeliveries
from postflow.runtime import Runtime

log = logging.getLogger(__name__)


class RuntimeNotInstalled(RuntimeError):
    """Raised when an actor runs in a process that never called :func:`install`."""


@dataclass(frozen=True)
class WorkerServices:
    """What the actors use, opened together on the actors' loop and closed together."""

    runtime: Runtime
    #: Send the ``chat`` queue's messages, by platform; empty when no chat adapter is
    #: configured.
    chat_deliveries: ChatDeliveries
    #: Closes the store and whatever else was opened with it.
    close: Callable[[], Awaitable[None]] = field(repr=False)


#: Opens the services on the calling (the actors') event loop.
Opener = Callable[[], Awaitable[WorkerServices]]


@dataclass
class _Holder:
    open: Opener
    services: WorkerServices | None = None
    loop: asyncio.AbstractEventLoop | None = None
    opening: asyncio.Lock = field(default_factory=asyncio.Lock)


_holder: _Holder | None = None


def install(open_services: Opener) -> None:
    """Say how this process's services are opened; called once at worker start-up by the
    composition root."""
    global _holder
    if _holder is not None and _holder.services is not None:
        raise RuntimeError("A worker runtime is open; close it before installing another.")
    _holder = _Holder(open=open_services)


def uninstall() -> None:
    """Forget the installation (after :func:`close_runtime`); mainly for tests."""
    global _holder
    if _holder is not None and _holder.services is not None:
        raise RuntimeError("The worker runtime is still open; close it first.")
    _holder = None


async def get_runtime() -> Runtime:
    """The process's runtime, opened on first use on the calling (the actors') event loop."""
    return (await get_services()).runtime


async def get_services() -> WorkerServices:
    """The process's services, opened on first use on the calling (the actors') event loop."""
    holder = _holder
    if holder is None:
        raise RuntimeNotInstalled("The worker runtime was not installed in this process "
                                  "(composition.worker.install_worker_runtime) before an "
                                  "actor ran.")
    loop = asyncio.get_running_loop()
    if holder.services is not None and holder.loop is loop:
        return holder.services
    async with holder.opening:
        if holder.services is None:
            holder.services = await holder.open()
            holder.loop = loop
    if holder.loop is not loop:
        raise RuntimeError("The worker runtime belongs to another event loop; its database "
                           "connections cannot be used from this one.")
    return holder.services


async def close_runtime() -> None:
    """Close the services if open; the next :func:`get_runtime` opens fresh ones."""
    holder = _holder
    if holder is None or holder.services is None:
        return
    services, holder.services, holder.loop = holder.services, None, None
    holder.opening = asyncio.Lock()
    await services.close()


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
