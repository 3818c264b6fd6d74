"""The Redis token buckets pass the rate-limit contract kit on the real Redis, expire when
idle, and let requests through while Redis is down."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from integrations.rate_limits.redis_buckets import KEY_PREFIX, RedisRateLimiter
from tests.fakes.clock import ManualClock
from tests.rate_limit_contract import CONTRACT, Scenario


@pytest.fixture
async def limiter(redis_url: str, clock: ManualClock) -> AsyncIterator[RedisRateLimiter]:
    buckets = RedisRateLimiter.from_url(redis_url, clock)
    try:
        yield buckets
    finally:
        await buckets.close()


@pytest.mark.parametrize("scenario", CONTRACT, ids=lambda s: s.__name__)
async def test_contract(scenario: Scenario, limiter: RedisRateLimiter,
                        clock: ManualClock) -> None:
    await scenario(limiter, clock)


async def test_two_hubs_share_one_bucket(redis_url: str, clock: ManualClock) -> None:
    first, second = (RedisRateLimiter.from_url(redis_url, clock) for _ in range(2))
    try:
        assert (await first.take("hook:a", 2)).allowed
        assert (await second.take("hook:a", 2)).allowed
        assert not (await first.take("hook:a", 2)).allowed
    finally:
        await first.close()
        await second.close()


async def test_a_bucket_expires_once_it_would_be_full(limiter: RedisRateLimiter,
                                                      redis_url: str) -> None:
    await limiter.take("hook:a", 60)  # one token short: full again in 1 s
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        ttl_ms = await client.pttl(KEY_PREFIX + "hook:a")
    finally:
        await client.aclose()
    assert 0 < ttl_ms <= 2000


async def test_requests_pass_while_redis_is_down(clock: ManualClock,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    limiter = RedisRateLimiter.from_url("redis://127.0.0.1:1/0", clock)
    try:
        answer = await limiter.take("hook:a", 60)
    finally:
        await limiter.close()
    assert answer.allowed
    assert "requests are let through" in caplog.text
