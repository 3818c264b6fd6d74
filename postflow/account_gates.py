"""Per-account rate budgets and single-flight token refresh: the ports and in-process versions.

Two ports the publisher asks before it calls a network:

- :class:`AccountGate`: is this connection cooling down after a rate limit (``429`` with a
  ``Retry-After``)? And a per-network cap on concurrent platform calls, so one slow network
  cannot hold every worker. ``acquire`` answers both in one step (one Redis call).
- :class:`RefreshLock`: one token refresh per connection at a time, so jobs that all find the
  same expired token refresh it once instead of racing (a rotating refresh token would be
  spent by the first and refused to the others).

The in-process versions here serve one event loop (embedded mode, tests, the worker's one
runtime without Redis); ``workers/redis_gates.py`` shares the same state across processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Protocol

from postflow.clock import Clock, SystemClock

#: Concurrent platform calls allowed per network across the workers sharing a gate; ``None``
#: means no cap. The sandbox is local, so it is never capped. These are the built-in defaults:
#: ``POSTFLOW_NETWORK_CONCURRENCY`` is laid over them (:mod:`postflow.config`, wiring.py).
NETWORK_CONCURRENCY: dict[str, int | None] = {"sandbox": None}
#: The cap for a network not named in :data:`NETWORK_CONCURRENCY`
#: (``POSTFLOW_NETWORK_CONCURRENCY_DEFAULT``).
DEFAULT_NETWORK_CONCURRENCY = 16
#: How long a job waits for a network slot before it gives up and reschedules the target.
NETWORK_SLOT_WAIT_SECONDS = 5.0
#: How long a job waits for another job's token refresh of the same connection.
REFRESH_LOCK_WAIT_SECONDS = 15.0


class GateBusy(Exception):
    """A gate could not be passed within its wait; the caller should try again later."""


class NetworkBusy(GateBusy):
    """Raised by :meth:`AccountGate.acquire` when every slot of the network stayed taken."""


class RefreshLockBusy(GateBusy):
    """Raised by :meth:`RefreshLock.hold` when another holder kept the lock past the wait."""


class CoolingDown(Exception):
    """Raised by :meth:`AccountGate.acquire` for a connection cooling down: no call before
    ``until``."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"cooling down until {until.isoformat()}")
        self.until = until


class AccountGate(Protocol):
    async def cooling_until(self, connection_id: str) -> datetime | None:
        """The end of the connection's cool-down, or None; a past value means it is over."""
        ...

    async def cool_down(self, connection_id: str, until: datetime) -> None:
        """Let no call go to the connection's network before ``until``; a later cool-down
        already set is kept."""
        ...

    def acquire(self, network: str, *,
                connection_id: str | None = None) -> AbstractAsyncContextManager[None]:
        """Hold one of the network's concurrency slots for the ``async with`` block; raises
        :class:`NetworkBusy` when none frees up within the wait. With ``connection_id``, raises
        :class:`CoolingDown` instead, taking no slot, while that connection cools down."""
        ...


class RefreshLock(Protocol):
    def hold(self, connection_id: str) -> AbstractAsyncContextManager[None]:
        """Hold the connection's refresh lock for the ``async with`` block; raises
        :class:`RefreshLockBusy` when it stays taken past the wait."""
        ...


def network_cap(network: str, caps: Mapping[str, int | None] = NETWORK_CONCURRENCY,
                default: int | None = DEFAULT_NETWORK_CONCURRENCY) -> int | None:
    """The concurrency cap for ``network`` (None: no cap)."""
    return caps.get(network, default)


class InProcessAccountGate:
    """Cool-downs in a dict and one asyncio semaphore per network, for one event loop.

    The dict keeps one entry per connection ever rate limited (a past entry simply means "not
    cooling"), which stays small: it is bounded by the number of connections.
    """

    def __init__(self, caps: Mapping[str, int | None] = NETWORK_CONCURRENCY, *,
                 default_cap: int | None = DEFAULT_NETWORK_CONCURRENCY,
                 wait_seconds: float = NETWORK_SLOT_WAIT_SECONDS,
                 clock: Clock | None = None) -> None:
        self._caps = dict(caps)
        self._default_cap = default_cap
        self._wait_seconds = wait_seconds
        self._clock = clock or SystemClock()
        self._cooling: dict[str, datetime] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}

    async def cooling_until(self, connection_id: str) -> datetime | None:
        return self._cooling.get(connection_id)

    async def cool_down(self, connection_id: str, until: datetime) -> None:
        current = self._cooling.get(connection_id)
        if current is None or until > current:
            self._cooling[connection_id] = until

    @asynccontextmanager
    async def acquire(self, network: str, *,
                      connection_id: str | None = None) -> AsyncIterator[None]:
        until = None if connection_id is None else self._cooling.get(connection_id)
        if until is not None and until > self._clock.now():
            raise CoolingDown(until)
        cap = network_cap(network, self._caps, self._default_cap)
        if cap is None:
            yield
            return
        slots = self._slots.setdefault(network, asyncio.Semaphore(cap))
        try:
            await asyncio.wait_for(slots.acquire(), self._wait_seconds)
        except TimeoutError:
            raise NetworkBusy(f"All {cap} slots for {network} stayed taken for "
                              f"{self._wait_seconds:g} s.") from None
        try:
            yield
        finally:
            slots.release()


class InProcessRefreshLock:
    """One asyncio lock per connection, dropped once nobody holds or waits for it."""

    def __init__(self, wait_seconds: float = REFRESH_LOCK_WAIT_SECONDS) -> None:
        self._wait_seconds = wait_seconds
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, connection_id: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(connection_id, asyncio.Lock())
        self._users[connection_id] = self._users.get(connection_id, 0) + 1
        try:
            try:
                await asyncio.wait_for(lock.acquire(), self._wait_seconds)
            except TimeoutError:
                raise RefreshLockBusy(f"The token refresh of {connection_id} took longer than "
                                      f"{self._wait_seconds:g} s.") from None
            try:
                yield
            finally:
                lock.release()
        finally:
            self._users[connection_id] -= 1
            if not self._users[connection_id]:
                del self._users[connection_id]
                del self._locks[connection_id]
