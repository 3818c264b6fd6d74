"""The in-process account gate and refresh lock: cool-downs keep the later end, caps hold."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import pytest

from postflow.account_gates import (
    CoolingDown,
    InProcessAccountGate,
    InProcessRefreshLock,
    NetworkBusy,
    RefreshLockBusy,
)
from tests.fakes.clock import ManualClock

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


async def test_a_connection_never_rate_limited_is_not_cooling() -> None:
    assert await InProcessAccountGate().cooling_until("conn_a") is None


async def test_a_cool_down_keeps_the_later_end() -> None:
    gate = InProcessAccountGate()

    await gate.cool_down("conn_a", T0 + timedelta(seconds=120))
    await gate.cool_down("conn_a", T0 + timedelta(seconds=30))

    assert await gate.cooling_until("conn_a") == T0 + timedelta(seconds=120)


async def test_a_later_cool_down_extends_the_earlier_one() -> None:
    gate = InProcessAccountGate()

    await gate.cool_down("conn_a", T0 + timedelta(seconds=30))
    await gate.cool_down("conn_a", T0 + timedelta(seconds=120))

    assert await gate.cooling_until("conn_a") == T0 + timedelta(seconds=120)


async def test_a_cool_down_is_per_connection() -> None:
    gate = InProcessAccountGate()

    await gate.cool_down("conn_a", T0 + timedelta(seconds=30))

    assert await gate.cooling_until("conn_b") is None


async def test_concurrent_holders_never_exceed_the_networks_cap() -> None:
    gate = InProcessAccountGate({"x": 3}, wait_seconds=10)
    holding = 0
    most = 0

    async def call() -> None:
        nonlocal holding, most
        async with gate.acquire("x"):
            holding += 1
            most = max(most, holding)
            for _ in range(5):  # let the others run while this slot is held
                await asyncio.sleep(0)
            holding -= 1

    await asyncio.gather(*(call() for _ in range(20)))

    assert most == 3


async def test_a_full_network_raises_busy_after_the_wait() -> None:
    gate = InProcessAccountGate({"x": 2}, wait_seconds=0.05)
    async with AsyncExitStack() as held:
        for _ in range(2):
            await held.enter_async_context(gate.acquire("x"))

        with pytest.raises(NetworkBusy):
            async with gate.acquire("x"):
                pass


async def test_a_released_slot_can_be_taken_again() -> None:
    gate = InProcessAccountGate({"x": 1}, wait_seconds=0.05)
    async with gate.acquire("x"):
        pass

    async with gate.acquire("x"):
        # Taken again, and counted again: the cap of one still holds.
        with pytest.raises(NetworkBusy):
            async with gate.acquire("x"):
                pass


async def test_one_networks_full_cap_does_not_hold_another() -> None:
    gate = InProcessAccountGate({"x": 1, "y": 1}, wait_seconds=0.05)
    async with gate.acquire("x"), gate.acquire("y"):
        with pytest.raises(NetworkBusy):  # x is full, and y was taken all the same
            async with gate.acquire("x"):
                pass


async def test_an_uncapped_network_never_waits() -> None:
    gate = InProcessAccountGate({"sandbox": None, "x": 1}, wait_seconds=0.05)
    async with AsyncExitStack() as held:
        for _ in range(100):
            await held.enter_async_context(gate.acquire("sandbox"))
        await held.enter_async_context(gate.acquire("x"))
        # The 100 uncapped holders took nothing from the capped network's count either.
        with pytest.raises(NetworkBusy):
            await held.enter_async_context(gate.acquire("x"))


async def test_an_unnamed_network_gets_the_default_cap() -> None:
    gate = InProcessAccountGate({}, default_cap=1, wait_seconds=0.05)
    async with gate.acquire("x"):
        with pytest.raises(NetworkBusy):
            async with gate.acquire("x"):
                pass


async def test_the_refresh_lock_admits_one_holder_at_a_time() -> None:
    locks = InProcessRefreshLock(wait_seconds=10)
    order: list[str] = []

    async def refresh(name: str) -> None:
        async with locks.hold("conn_a"):
            order.append(f"{name} in")
            await asyncio.sleep(0)
            order.append(f"{name} out")

    await asyncio.gather(refresh("a"), refresh("b"), refresh("c"))

    assert order == ["a in", "a out", "b in", "b out", "c in", "c out"]


async def test_a_refresh_lock_held_past_the_wait_raises_busy() -> None:
    locks = InProcessRefreshLock(wait_seconds=0.05)
    async with locks.hold("conn_a"):
        with pytest.raises(RefreshLockBusy):
            async with locks.hold("conn_a"):
                pass


async def test_refresh_locks_of_different_connections_are_independent() -> None:
    locks = InProcessRefreshLock(wait_seconds=0.05)
    async with locks.hold("conn_a"), locks.hold("conn_b"):
        with pytest.raises(RefreshLockBusy):  # conn_a is really held while conn_b is too
            async with locks.hold("conn_a"):
                pass


async def test_the_refresh_lock_is_free_again_after_a_failed_holder() -> None:
    locks = InProcessRefreshLock(wait_seconds=0.05)
    with pytest.raises(RuntimeError):
        async with locks.hold("conn_a"):
            raise RuntimeError("refresh crashed")

    async with locks.hold("conn_a"):
        pass


async def test_acquire_for_a_cooling_connection_raises_cooling_down_and_takes_no_slot() -> None:
    clock = ManualClock(T0)
    gate = InProcessAccountGate({"x": 1}, wait_seconds=0.05, clock=clock)
    await gate.cool_down("conn_a", T0 + timedelta(seconds=30))

    with pytest.raises(CoolingDown) as cooling:
        async with gate.acquire("x", connection_id="conn_a"):
            pytest.fail("a cooling connection got a slot")
    assert cooling.value.until == T0 + timedelta(seconds=30)

    async with gate.acquire("x", connection_id="conn_b"):  # the one slot is still free
        pass
    clock.advance(30)
    async with gate.acquire("x", connection_id="conn_a"):  # the cool-down is over
        pass
