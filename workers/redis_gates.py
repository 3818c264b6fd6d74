"""The account gates and refresh locks in Redis, shared by every worker process.

- Cool-downs: ``SET postflow:cooldown:<connection> <until ms> PX <ttl>``, keeping the later of the
  stored and the new end (a Lua script), so Redis forgets a cool-down once it is over.
- Network slots: a counting semaphore per network, a sorted set of holders scored by the end of
  their lease. Acquiring first drops expired leases, so a killed worker's slot frees itself;
  a live holder renews its lease while it holds the slot. Lease times come from the Redis
  server's clock, so workers' clocks need not agree. A job that finds the network full joins
  its process's line for that network: one poller per line asks Redis for the first in line
  every ``POLL_SECONDS``, and a job of the process that finishes its call hands its slot
  straight to the first in line, with no Redis call, up to ``MAX_HANDOFFS`` times in a row;
  then it frees the slot in Redis, where the next poll of any process may take it. A full
  network costs one poll per process, not one per waiting job, a busy process's slots go from
  job to job without a round trip, and the other processes still get their turns.
- Refresh locks: ``SET NX PX`` with a random token, polled until a deadline; released by a Lua
  compare-and-delete, so a holder whose lease ran out never deletes its successor's lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from postflow.account_gates import (
    DEFAULT_NETWORK_CONCURRENCY,
    NETWORK_CONCURRENCY,
    NETWORK_SLOT_WAIT_SECONDS,
    REFRESH_LOCK_WAIT_SECONDS,
    CoolingDown,
    NetworkBusy,
    RefreshLockBusy,
    network_cap,
)
from postflow.clock import Clock
from postflow.ids import new_id

log = logging.getLogger(__name__)

KEY_PREFIX = "postflow:"
#: A slot's lease: a holder renews it every third of this; a killed one's slot frees after it.
SLOT_LEASE_SECONDS = 30.0
#: A refresh lock's lease: longer than any token request should take (HTTP timeouts included).
REFRESH_LOCK_TTL_SECONDS = 30.0
#: How often the first job of a process's line for a full network asks Redis again.
POLL_SECONDS = 0.02
#: How many times in a row a slot goes from a job straight to the next job waiting in the same
#: process before it is freed in Redis, where the waiting jobs of every process can take it.
MAX_HANDOFFS = 8
#: A waiting job whose connection's cool-down was read this recently takes a slot handed to it
#: as it is (unless this process set a cool-down of that connection since); after a longer
#: wait it reads the cool-down again first. Calls already on their way when another process's
#: ``429`` sets a cool-down are not held back either: this is of the same order.
COOL_DOWN_FRESH_SECONDS = 1.0
#: Cool-downs set in this process are remembered for handoffs; past this many, the ended ones
#: are dropped.
COOLING_REMEMBERED = 1024
REDIS_CONNECT_TIMEOUT_SECONDS = 5.0
REDIS_SOCKET_TIMEOUT_SECONDS = 10.0
#: A command that meets a dead connection is sent again this many times, on fresh connections.
RECONNECT_RETRIES = 2
RETRY_BASE_SECONDS = 0.05
RETRY_CAP_SECONDS = 0.5

_COOL_DOWN = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current >= tonumber(ARGV[1]) then
    return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

_SERVER_NOW_MS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# The cool-down check and taking a slot in one call. KEYS[1] the holders, KEYS[2] the
# connection's cool-down ('' : none to check); ARGV: token, cap ('' : no cap), lease ms, the
# runtime clock's now in ms (cool-downs are set in its time). Returns {ACQUIRED}, {BUSY} or
# {COOLING, until ms}.
_SLOT_ACQUIRE = """
if KEYS[2] ~= '' then
    local ends = tonumber(redis.call('GET', KEYS[2]) or '0')
    if ends > tonumber(ARGV[4]) then
        return {0, ends}
    end
end
if ARGV[2] == '' then
    return {1}
end
""" + _SERVER_NOW_MS + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
    return {2}
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1}
"""
_COOLING, _ACQUIRED, _BUSY = 0, 1, 2

_SLOT_RENEW = _SERVER_NOW_MS + """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
    return 0
end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

_LOCK_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


def open_gates_client(url: str) -> redis.asyncio.Redis:
    """A client for the gates, on the calling event loop; close it with ``aclose``.

    A client built from a URL retries nothing by default, so after a Redis restart the first
    command on each pooled connection would fail, and with it a publish job (its post then
    waited for the reconciler). Connection errors are retried on a fresh connection; every
    command here is safe to send twice (a cool-down keeps the later end, a slot or lock is
    keyed by its holder's token). Timeouts are not retried: a slow Redis is not waited on
    three times.
    """
    return redis.asyncio.Redis.from_url(
        url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS,
        socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
        retry=Retry(ExponentialBackoff(cap=RETRY_CAP_SECONDS, base=RETRY_BASE_SECONDS),
                    RECONNECT_RETRIES, supported_errors=(redis.ConnectionError,)))


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


def _cooldown_key(connection_id: str | None) -> str:
    """The Redis key of a connection's cool-down; '' for no connection (nothing to check)."""
    return "" if connection_id is None else f"{KEY_PREFIX}cooldown:{connection_id}"


@dataclass(eq=False)
class _Lease:
    """A slot held in Redis under ``token``; ``renewed_at`` (loop time) is when its lease was
    last set, so whoever holds it next knows when to renew it."""

    token: str
    renewed_at: float
    handoffs: int = 0


@dataclass(eq=False)
class _Waiter:
    """A job in its process's line for a network's slot; ``slot`` gets the lease (or the error
    that ends the wait)."""

    token: str
    connection_id: str | None
    checked_at: float  # loop time of the last read of the connection's cool-down
    slot: asyncio.Future[_Lease]

    @property
    def cooldown_key(self) -> str:
        return _cooldown_key(self.connection_id)


@dataclass(eq=False)
class _Line:
    """The jobs of this process waiting for a network's slot, in the order they came."""

    waiters: deque[_Waiter] = field(default_factory=deque)
    poller: asyncio.Task[None] | None = None

    def leave(self, waiter: _Waiter) -> None:
        with contextlib.suppress(ValueError):
            self.waiters.remove(waiter)

    def first_waiting(self) -> _Waiter | None:
        while self.waiters and self.waiters[0].slot.done():
            self.waiters.popleft()  # gave up or was served; no longer waiting
        return self.waiters[0] if self.waiters else None


class RedisAccountGate:
    """:class:`postflow.account_gates.AccountGate` shared through Redis.

    ``clock`` turns a cool-down's end into a time to live; it is the runtime's clock.
    """

    def __init__(self, client: redis.asyncio.Redis, clock: Clock,
                 caps: Mapping[str, int | None] = NETWORK_CONCURRENCY, *,
                 default_cap: int | None = DEFAULT_NETWORK_CONCURRENCY,
                 wait_seconds: float = NETWORK_SLOT_WAIT_SECONDS,
                 lease_seconds: float = SLOT_LEASE_SECONDS,
                 poll_seconds: float = POLL_SECONDS) -> None:
        self._client = client
        self._poll_seconds = poll_seconds
        self._clock = clock
        self._caps = dict(caps)
        self._default_cap = default_cap
        self._wait_seconds = wait_seconds
        self._lease_ms = int(lease_seconds * 1000)
        # EVALSHA, falling back to EVAL once per server: the script text is not sent per call.
        self._cool_down = client.register_script(_COOL_DOWN)
        self._slot_acquire = client.register_script(_SLOT_ACQUIRE)
        self._slot_renew = client.register_script(_SLOT_RENEW)
        # Per slot key: this process's jobs waiting for a slot, in order.
        self._lines: dict[str, _Line] = {}
        # Slots given back in the background (by a job cancelled as a slot reached it).
        self._releasing: set[asyncio.Task[None]] = set()
        # The ends of the cool-downs this process set (see _remember_cool_down).
        self._cooling: dict[str, datetime] = {}

    def waiting(self, network: str) -> int:
        """How many jobs of this process wait in line for a slot of ``network``."""
        line = self._lines.get(f"{KEY_PREFIX}slots:{network}")
        return 0 if line is None else sum(not w.slot.done() for w in line.waiters)

    async def cooling_until(self, connection_id: str) -> datetime | None:
        stored = await self._client.get(_cooldown_key(connection_id))
        if stored is None:
            return None
        return datetime.fromtimestamp(int(stored) / 1000, tz=UTC)

    async def cool_down(self, connection_id: str, until: datetime) -> None:
        until_ms = int(until.timestamp() * 1000)
        ttl_ms = until_ms - int(self._clock.now().timestamp() * 1000)
        if ttl_ms <= 0:
            return
        await self._cool_down(keys=[_cooldown_key(connection_id)],
                              args=[str(until_ms), str(ttl_ms)])
        self._remember_cool_down(connection_id, until)

    def _remember_cool_down(self, connection_id: str, until: datetime) -> None:
        """Keep the cool-downs set by this process's jobs, so a slot handed from job to job
        never reaches a job of a connection this process saw rate limited, however fresh that
        job's own reading was."""
        now = self._clock.now()
        if len(self._cooling) >= COOLING_REMEMBERED:
            self._cooling = {cid: end for cid, end in self._cooling.items() if end > now}
        if until > self._cooling.get(connection_id, now):
            self._cooling[connection_id] = until

    @asynccontextmanager
    async def acquire(self, network: str, *,
                      connection_id: str | None = None) -> AsyncIterator[None]:
        cap = network_cap(network, self._caps, self._default_cap)
        if cap is None and connection_id is None:
            yield
            return
        key = f"{KEY_PREFIX}slots:{network}"
        cooldown_key = _cooldown_key(connection_id)
        token = new_id("slot")  # pooled randomness: no system call per acquire
        if cap is None:
            await self._ask(key, cooldown_key, token, cap)  # only the cool-down to check
            yield
            return
        if await self._ask(key, cooldown_key, token, cap):
            lease = _Lease(token, _loop_time())
        else:  # the network is full: wait in this process's line, in the order jobs came
            lease = await self._wait_in_line(network, cap, key, _Waiter(
                token, connection_id, _loop_time(), asyncio.get_running_loop().create_future()))
        # Most calls end long before a lease needs renewing: start renewing only if one lasts.
        loop = asyncio.get_running_loop()
        renewing: list[asyncio.Task[None]] = []
        first_renewal = loop.call_at(
            lease.renewed_at + self._lease_ms / 3000,
            lambda: renewing.append(loop.create_task(self._renew(key, lease))))
        try:
            yield
        finally:
            first_renewal.cancel()
            for task in renewing:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self._release_slot(key, lease)

    async def _ask(self, key: str, cooldown_key: str, token: str, cap: int | None) -> bool:
        """One question to Redis: is the connection cooling down (raise :class:`CoolingDown`),
        and if not, take a slot if one is free. True if the caller may go ahead."""
        now_ms = int(self._clock.now().timestamp() * 1000)
        answer = await self._slot_acquire(
            keys=[key, cooldown_key],
            args=[token, "" if cap is None else str(cap), str(self._lease_ms), str(now_ms)])
        if answer[0] == _COOLING:
            raise CoolingDown(datetime.fromtimestamp(int(answer[1]) / 1000, tz=UTC))
        return bool(answer[0] == _ACQUIRED)

    async def _wait_in_line(self, network: str, cap: int, key: str, waiter: _Waiter) -> _Lease:
        """Wait for a slot handed over by a job of this process or found free by the line's
        poller; :class:`NetworkBusy` after the wait. A slot handed over after a long wait is
        only taken once the connection's cool-down has been read again."""
        line = self._lines.setdefault(key, _Line())
        line.waiters.append(waiter)
        if line.poller is None or line.poller.done():
            line.poller = asyncio.get_running_loop().create_task(self._poll(cap, key, line))
        try:
            await asyncio.wait((waiter.slot,), timeout=self._wait_seconds)
        except BaseException:  # cancelled (a job's time limit): a slot that came goes on
            self._give_up(key, line, waiter)
            raise
        if not waiter.slot.done():
            self._give_up(key, line, waiter)
            raise self._busy(network, cap)
        lease = waiter.slot.result()  # or the poller's error: CoolingDown, a Redis error
        if lease.handoffs and waiter.connection_id is not None:
            await self._check_cool_down_on_handoff(key, lease, waiter.connection_id,
                                                   waiter.checked_at)
        return lease

    async def _check_cool_down_on_handoff(self, key: str, lease: _Lease, connection_id: str,
                                          checked_at: float) -> None:
        """Raise :class:`CoolingDown`, passing the slot on, if the connection of a job handed
        a slot cools down: as this process set it, or as Redis says after a long wait."""
        until = self._cooling.get(connection_id)
        if (until is None or until <= self._clock.now()) \
                and _loop_time() - checked_at > COOL_DOWN_FRESH_SECONDS:
            try:
                until = await self.cooling_until(connection_id)
            except BaseException:
                await self._release_slot(key, lease)
                raise
        if until is not None and until > self._clock.now():
            await self._release_slot(key, lease)
            raise CoolingDown(until)

    def _give_up(self, key: str, line: _Line, waiter: _Waiter) -> None:
        line.leave(waiter)
        if not waiter.slot.done():
            waiter.slot.cancel()
        elif not waiter.slot.cancelled() and waiter.slot.exception() is None:
            task = asyncio.get_running_loop().create_task(
                self._release_slot(key, waiter.slot.result()))
            self._releasing.add(task)
            task.add_done_callback(self._releasing.discard)

    async def _poll(self, cap: int, key: str, line: _Line) -> None:
        """Ask Redis for the first in line every ``poll_seconds`` while the line lasts. The
        first in line found the network full a moment ago, so the first question waits too."""
        while line.waiters:
            await asyncio.sleep(self._poll_seconds)
            first = line.first_waiting()
            if first is None:
                return
            try:
                acquired = await self._ask(key, first.cooldown_key, first.token, cap)
            except Exception as err:  # it ends that job's wait, as its own ask would have
                if not first.slot.done():
                    line.leave(first)
                    first.slot.set_exception(err)
                continue
            if not acquired:
                first.checked_at = _loop_time()
                continue
            lease = _Lease(first.token, _loop_time())
            if not first.slot.done():
                line.leave(first)
                first.slot.set_result(lease)
            else:  # it gave up meanwhile: to the next in line, or back to Redis
                await self._release_slot(key, lease)

    def _hand_over(self, line: _Line, lease: _Lease) -> bool:
        """Give the slot to the first job in line, if any is still waiting."""
        first = line.first_waiting()
        if first is None:
            return False
        line.waiters.popleft()
        first.slot.set_result(_Lease(lease.token, lease.renewed_at, lease.handoffs + 1))
        return True

    def _busy(self, network: str, cap: int | None) -> NetworkBusy:
        return NetworkBusy(f"All {cap} slots for {network} stayed taken for "
                           f"{self._wait_seconds:g} s.")

    async def _release_slot(self, key: str, lease: _Lease) -> None:
        """Hand the slot to this process's first waiting job, or free it in Redis: when none
        waits, or after ``MAX_HANDOFFS`` handoffs in a row (the other processes' turn)."""
        line = self._lines.get(key)
        if line is not None and lease.handoffs < MAX_HANDOFFS and self._hand_over(line, lease):
            return
        # The guarded call is over: a Redis fault now must not turn its outcome (a published
        # post, say) into an error. The slot frees itself when its lease runs out.
        try:
            await self._client.zrem(key, lease.token)
        except redis.RedisError:
            log.warning("could not free a %s slot; its lease will free it", key, exc_info=True)

    async def _renew(self, key: str, lease: _Lease) -> None:
        while True:
            try:
                renewed_at = _loop_time()
                if not await self._slot_renew(keys=[key], args=[lease.token,
                                                                str(self._lease_ms)]):
                    log.warning("the lease on a %s slot ran out while held", key)
                    return
                lease.renewed_at = renewed_at
            except redis.RedisError:
                log.warning("could not renew the lease on a %s slot", key, exc_info=True)
            await asyncio.sleep(self._lease_ms / 3000)


class RedisRefreshLock:
    """:class:`postflow.account_gates.RefreshLock` shared through Redis."""

    def __init__(self, client: redis.asyncio.Redis, *,
                 wait_seconds: float = REFRESH_LOCK_WAIT_SECONDS,
                 ttl_seconds: float = REFRESH_LOCK_TTL_SECONDS) -> None:
        self._client = client
        self._wait_seconds = wait_seconds
        self._ttl_ms = int(ttl_seconds * 1000)
        self._release = client.register_script(_LOCK_RELEASE)

    @asynccontextmanager
    async def hold(self, connection_id: str) -> AsyncIterator[None]:
        key = f"{KEY_PREFIX}refresh:{connection_id}"
        token = secrets.token_hex(16)
        deadline = _loop_time() + self._wait_seconds
        while not await self._client.set(key, token, nx=True, px=self._ttl_ms):
            if _loop_time() >= deadline:
                raise RefreshLockBusy(f"The token refresh of {connection_id} took longer than "
                                      f"{self._wait_seconds:g} s.")
            await asyncio.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            await self._release(keys=[key], args=[token])
