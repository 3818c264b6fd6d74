"""The composition root keeps request-rate buckets in Redis when it is configured, in process
otherwise."""

from __future__ import annotations

from pydantic import SecretStr

from composition.runtime import open_rate_limiter
from integrations.rate_limits.redis_buckets import RedisRateLimiter
from postflow.config import Settings
from postflow.rate_limits import InProcessRateLimiter
from tests.fakes.clock import ManualClock


async def test_with_redis_the_buckets_are_shared_in_redis(settings: Settings, redis_url: str,
                                                          clock: ManualClock) -> None:
    limiter = open_rate_limiter(settings.model_copy(update={"redis_url": SecretStr(redis_url)}),
                                clock)
    try:
        assert isinstance(limiter, RedisRateLimiter)
        assert (await limiter.take("hook:a", 1)).allowed
        assert not (await limiter.take("hook:a", 1)).allowed
    finally:
        await limiter.close()


def test_without_redis_the_buckets_are_in_process(settings: Settings,
                                                  clock: ManualClock) -> None:
    assert isinstance(open_rate_limiter(settings, clock), InProcessRateLimiter)
