"""RedisLeaderLock against the real Redis: one leader at a time, a lease that expires."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio

from tests.workers.scenario import eventually
from workers.leader import RedisLeaderLock

KEY = "postflow:test:leader"
TTL = 0.3

LockFactory = Callable[[], RedisLeaderLock]


@pytest.fixture
async def make_lock(redis_url: str) -> AsyncIterator[LockFactory]:
    made: list[RedisLeaderLock] = []

    def make() -> RedisLeaderLock:
        lock = RedisLeaderLock(redis_url, key=KEY, ttl_seconds=TTL)
        made.append(lock)
        return lock

    yield make
    for lock in made:
        await lock.close()


async def test_only_one_of_two_holders_leads(make_lock: LockFactory) -> None:
    first, second = make_lock(), make_lock()

    assert await first.acquire_or_renew()
    assert not await second.acquire_or_renew()


async def test_renewing_keeps_the_lead_past_the_ttl(make_lock: LockFactory,
                                                     redis_url: str) -> None:
    first, second = make_lock(), make_lock()
    assert await first.acquire_or_renew()
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        # Renewal resets the time to live: check the key's TTL went back up, no wall-clock race.
        await eventually(lambda: _pttl_below(client, TTL * 1000 / 2), timeout=5,
                         what="the lease running down")
        assert await first.acquire_or_renew()
        assert await client.pttl(KEY) > TTL * 1000 / 2
    finally:
        await client.aclose()
    assert not await second.acquire_or_renew()


async def test_an_expired_lease_hands_the_lead_over(make_lock: LockFactory) -> None:
    first, second = make_lock(), make_lock()
    assert await first.acquire_or_renew()

    await eventually(second.acquire_or_renew, timeout=5, what="the second holder taking over")

    assert not await first.acquire_or_renew()


async def test_only_the_owner_can_release(make_lock: LockFactory) -> None:
    first, second = make_lock(), make_lock()
    assert await first.acquire_or_renew()

    await second.release()
    assert not await second.acquire_or_renew()
    await first.release()

    assert await second.acquire_or_renew()


async def _pttl_below(client: redis.asyncio.Redis, millis: float) -> bool:
    return 0 < await client.pttl(KEY) < millis
