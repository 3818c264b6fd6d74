"""The in-process token buckets pass the rate-limit contract kit."""

from __future__ import annotations

import pytest

from postflow.rate_limits import InProcessRateLimiter, decision
from tests.fakes.clock import ManualClock
from tests.rate_limit_contract import CONTRACT, Scenario


@pytest.mark.parametrize("scenario", CONTRACT, ids=lambda s: s.__name__)
async def test_contract(scenario: Scenario, clock: ManualClock) -> None:
    await scenario(InProcessRateLimiter(clock), clock)


async def test_a_clock_that_goes_back_refills_nothing(clock: ManualClock) -> None:
    limiter = InProcessRateLimiter(clock)
    await limiter.take("hook:a", 1)
    clock.advance(-120)
    assert not (await limiter.take("hook:a", 1)).allowed


def test_an_allowed_answer_has_no_wait() -> None:
    assert decision(True, 5.5, 60).retry_after == 0
