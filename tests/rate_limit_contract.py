"""The rate-limit contract kit: what every :class:`~postflow.rate_limits.RateLimiter` adapter
must do, written against the port and a manual clock. An adapter's test module runs them all::

    @pytest.mark.parametrize("scenario", CONTRACT, ids=lambda s: s.__name__)
    async def test_contract(scenario: Scenario, limiter: RateLimiter,
                            clock: ManualClock) -> None:
        await scenario(limiter, clock)

The in-process adapter (tests/postflow/test_rate_limits.py) and the Redis one
(tests/integrations/rate_limits/test_redis_buckets.py, on the real Redis) pass it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from postflow.rate_limits import RateLimiter
from tests.fakes.clock import ManualClock

Scenario = Callable[[RateLimiter, ManualClock], Awaitable[None]]


async def a_fresh_bucket_allows_its_burst_then_refuses(limiter: RateLimiter,
                                                       clock: ManualClock) -> None:
    answers = [await limiter.take("hook:a", 60) for _ in range(61)]
    assert all(a.allowed for a in answers[:60])
    assert [a.remaining for a in answers[:3]] == [59, 58, 57]
    assert not answers[60].allowed
    assert answers[60].remaining == 0


async def a_refusal_says_when_one_token_is_back(limiter: RateLimiter,
                                                clock: ManualClock) -> None:
    for _ in range(6):
        await limiter.take("hook:a", 6)  # one token every 10 s
    refused = await limiter.take("hook:a", 6)
    assert not refused.allowed
    assert refused.retry_after == 10
    assert refused.reset == 60
    assert refused.limit == 6


async def tokens_come_back_at_the_per_minute_rate(limiter: RateLimiter,
                                                  clock: ManualClock) -> None:
    for _ in range(60):
        await limiter.take("hook:a", 60)
    clock.advance(1)
    assert (await limiter.take("hook:a", 60)).allowed
    assert not (await limiter.take("hook:a", 60)).allowed
    clock.advance(30)
    answers = [await limiter.take("hook:a", 60) for _ in range(31)]
    assert sum(a.allowed for a in answers) == 30


async def a_long_idle_bucket_holds_no_more_than_its_burst(limiter: RateLimiter,
                                                          clock: ManualClock) -> None:
    await limiter.take("hook:a", 10)
    clock.advance(3600)
    answers = [await limiter.take("hook:a", 10) for _ in range(11)]
    assert sum(a.allowed for a in answers) == 10


async def each_key_has_its_own_bucket(limiter: RateLimiter, clock: ManualClock) -> None:
    for _ in range(3):
        await limiter.take("hook:a", 3)
    assert not (await limiter.take("hook:a", 3)).allowed
    assert (await limiter.take("hook:b", 3)).allowed
    assert (await limiter.take("organization:a", 3)).allowed


async def a_lower_limit_caps_a_fuller_bucket(limiter: RateLimiter, clock: ManualClock) -> None:
    await limiter.take("hook:a", 100)  # 99 left
    answers = [await limiter.take("hook:a", 5) for _ in range(6)]
    assert sum(a.allowed for a in answers) == 5


async def a_refused_request_takes_nothing(limiter: RateLimiter, clock: ManualClock) -> None:
    for _ in range(2):
        await limiter.take("hook:a", 2)
    for _ in range(5):  # a client hammering while refused does not push its wait back
        assert not (await limiter.take("hook:a", 2)).allowed
    clock.advance(30)
    assert (await limiter.take("hook:a", 2)).allowed


async def reset_counts_the_seconds_until_the_bucket_is_full(limiter: RateLimiter,
                                                            clock: ManualClock) -> None:
    first = await limiter.take("hook:a", 60)
    assert first.reset == 1
    for _ in range(29):
        await limiter.take("hook:a", 60)
    assert (await limiter.take("hook:a", 60)).reset == 31


CONTRACT: tuple[Scenario, ...] = (
    a_fresh_bucket_allows_its_burst_then_refuses,
    a_refusal_says_when_one_token_is_back,
    tokens_come_back_at_the_per_minute_rate,
    a_long_idle_bucket_holds_no_more_than_its_burst,
    each_key_has_its_own_bucket,
    a_lower_limit_caps_a_fuller_bucket,
    a_refused_request_takes_nothing,
    reset_counts_the_seconds_until_the_bucket_is_full,
)
