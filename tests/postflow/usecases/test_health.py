"""Worker health: a canary consumed recently means the workers take work."""

from __future__ import annotations

from postflow.runtime import Runtime
from postflow.usecases.health import record_canary, worker_health
from tests.fakes.clock import ManualClock


async def test_no_canary_ever_consumed_is_unhealthy(rt: Runtime) -> None:
    health = await worker_health(rt)

    assert (health.last_consumed_at, health.healthy) == (None, False)


async def test_a_canary_consumed_within_the_window_is_healthy(rt: Runtime,
                                                              clock: ManualClock) -> None:
    await record_canary(rt)
    clock.advance(rt.settings.canary_window_seconds)

    assert (await worker_health(rt)).healthy


async def test_a_canary_older_than_the_window_is_unhealthy(rt: Runtime,
                                                           clock: ManualClock) -> None:
    consumed_at = clock.now()
    await record_canary(rt)
    clock.advance(rt.settings.canary_window_seconds + 1)

    health = await worker_health(rt)

    assert (health.last_consumed_at, health.healthy) == (consumed_at, False)
