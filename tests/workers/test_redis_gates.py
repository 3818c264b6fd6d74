"""The Redis account gate and refresh lock against the real Redis, and two publishers in two
"processes" (two runtimes on one SQLite file) refreshing a token once through the Redis lock."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

import pytest
import redis.asyncio
from pydantic import SecretStr

from composition.runtime import open_runtime
from composition.worker import install_worker_runtime
from postflow.account_gates import CoolingDown, NetworkBusy, RefreshLockBusy
from postflow.config import Settings
from postflow.organizations import Organization
from postflow.posts import PostStatus
from postflow.runtime import Runtime
from postflow.usecases.organizations import create_organization
from postflow.usecases.publish_post import PostPublisher
from tests.fakes.clock import ManualClock
from tests.fakes.scripted_provider import ScriptedProvider, runtime_with
from tests.postflow.usecases.test_publish_gates import claim, connect, expire_tokens, submit
from tests.workers.scenario import eventually
from workers import redis_gates, worker_runtime
from workers.redis_gates import (
    KEY_PREFIX,
    RedisAccountGate,
    RedisRefreshLock,
    open_gates_client,
)

pytestmark = pytest.mark.redis

Clients = Callable[[], redis.asyncio.Redis]


@pytest.fixture
async def clients(redis_url: str) -> AsyncIterator[Clients]:
    """Makes Redis clients, one per simulated process; all closed after the test."""
    made: list[redis.asyncio.Redis] = []

    def make() -> redis.asyncio.Redis:
        client = open_gates_client(redis_url)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


async def in_line(gate: RedisAccountGate, count: int, network: str = "x") -> None:
    """Wait until ``count`` jobs of ``gate``'s process found ``network`` full and wait."""
    await eventually(lambda: gate.waiting(network) == count, timeout=5, interval=0.002,
                     what=f"{count} jobs waiting for a {network} slot")


@pytest.fixture
def gate(clients: Clients, clock: ManualClock) -> RedisAccountGate:
    return RedisAccountGate(clients(), clock, {"x": 3}, wait_seconds=0.1)


# -- cool-downs -----------------------------------------------------------------------------------

async def test_a_connection_never_rate_limited_is_not_cooling(gate: RedisAccountGate) -> None:
    assert await gate.cooling_until("conn_a") is None


async def test_a_cool_down_is_read_back_to_the_millisecond(gate: RedisAccountGate,
                                                           clock: ManualClock) -> None:
    until = clock.now() + timedelta(seconds=120)

    await gate.cool_down("conn_a", until)

    assert await gate.cooling_until("conn_a") == until


async def test_a_cool_down_keeps_the_later_end(gate: RedisAccountGate,
                                               clock: ManualClock) -> None:
    await gate.cool_down("conn_a", clock.now() + timedelta(seconds=120))
    await gate.cool_down("conn_a", clock.now() + timedelta(seconds=30))

    assert await gate.cooling_until("conn_a") == clock.now() + timedelta(seconds=120)


async def test_a_later_cool_down_extends_the_earlier_one(gate: RedisAccountGate,
                                                         clock: ManualClock,
                                                         clients: Clients) -> None:
    await gate.cool_down("conn_a", clock.now() + timedelta(seconds=30))
    await gate.cool_down("conn_a", clock.now() + timedelta(seconds=120))

    assert await gate.cooling_until("conn_a") == clock.now() + timedelta(seconds=120)
    assert await clients().pttl(f"{KEY_PREFIX}cooldown:conn_a") > 60_000


async def test_a_cool_down_is_shared_between_processes(clients: Clients,
                                                       clock: ManualClock) -> None:
    one, other = RedisAccountGate(clients(), clock), RedisAccountGate(clients(), clock)

    await one.cool_down("conn_a", clock.now() + timedelta(seconds=30))

    assert await other.cooling_until("conn_a") == clock.now() + timedelta(seconds=30)


async def test_a_cool_down_expires_from_redis(gate: RedisAccountGate,
                                              clock: ManualClock) -> None:
    await gate.cool_down("conn_a", clock.now() + timedelta(seconds=0.2))

    await eventually(lambda: _is_none(gate.cooling_until("conn_a")), timeout=5,
                     what="the cool-down expiring")

    assert await gate.cooling_until("conn_a") is None


# -- network slots --------------------------------------------------------------------------------

async def test_concurrent_holders_in_several_processes_never_exceed_the_cap(
        clients: Clients, clock: ManualClock) -> None:
    gates = [RedisAccountGate(clients(), clock, {"x": 3}, wait_seconds=10) for _ in range(4)]
    holding = 0
    most = 0

    async def call(gate: RedisAccountGate) -> None:
        nonlocal holding, most
        async with gate.acquire("x"):
            holding += 1
            most = max(most, holding)
            await asyncio.sleep(0.01)  # a platform call in flight
            holding -= 1

    await asyncio.gather(*(call(gates[n % 4]) for n in range(24)))

    assert most == 3


async def test_a_full_network_raises_busy_after_the_wait(gate: RedisAccountGate) -> None:
    async with AsyncExitStack() as held:
        for _ in range(3):
            await held.enter_async_context(gate.acquire("x"))

        with pytest.raises(redis_gates.NetworkBusy):
            async with gate.acquire("x"):
                pass


async def test_a_released_slot_is_free_at_once(gate: RedisAccountGate,
                                               clients: Clients) -> None:
    slots = clients()
    for _ in range(10):
        async with gate.acquire("x"):
            pass

    async with AsyncExitStack() as held:
        for _ in range(3):
            await held.enter_async_context(gate.acquire("x"))
        assert await slots.zcard(f"{KEY_PREFIX}slots:x") == 3
    assert await slots.zcard(f"{KEY_PREFIX}slots:x") == 0


async def test_a_slot_freed_in_this_process_goes_to_its_waiter_without_polling(
        clients: Clients, clock: ManualClock) -> None:
    # Polls are 30 s apart here: only a handoff from the releasing job comes within 5 s.
    gate = RedisAccountGate(clients(), clock, {"x": 1}, wait_seconds=60, poll_seconds=30)
    async with AsyncExitStack() as held:
        await held.enter_async_context(gate.acquire("x"))

        async def wait_for_slot() -> bool:
            async with gate.acquire("x"):
                return True

        waiter = asyncio.create_task(wait_for_slot())
        await in_line(gate, 1)
        assert not waiter.done()
    assert await asyncio.wait_for(waiter, 5)


class CountingRedis(redis.asyncio.Redis):
    """A client that counts the scripts it runs (the gate's slot questions are scripts) and
    the slots it frees."""

    scripts_run = 0
    slots_freed = 0

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if args and args[0] == "EVALSHA":
            self.scripts_run += 1
        if args and args[0] == "ZREM":
            self.slots_freed += 1
        return await super().execute_command(*args, **options)


async def test_a_full_network_is_asked_about_by_one_waiting_job_per_process_in_turn(
        redis_url: str, clock: ManualClock) -> None:
    client = CountingRedis.from_url(redis_url)
    gate = RedisAccountGate(client, clock, {"x": 1}, wait_seconds=10, poll_seconds=0.05)
    served: list[int] = []

    async def wait_for_slot(n: int) -> None:
        async with gate.acquire("x"):
            served.append(n)

    try:
        async with gate.acquire("x"):
            waiters = []
            for n in range(10):
                waiters.append(asyncio.create_task(wait_for_slot(n)))
                await in_line(gate, n + 1)  # each finds the network full, in this order
            before = client.scripts_run
            await asyncio.sleep(0.5)  # the window the questions are counted in
            asked = client.scripts_run - before
        await asyncio.wait_for(asyncio.gather(*waiters), 5)
    finally:
        await client.aclose()

    # One asker every 50 ms: ~10 questions in 0.5 s (ten askers would have put ~100); a busy
    # machine only makes fewer.
    assert asked <= 14
    assert served == list(range(10))  # the slot went round in the order the jobs came


async def test_a_slot_goes_to_the_next_job_of_the_process_with_no_redis_call(
        redis_url: str, clock: ManualClock) -> None:
    client = CountingRedis.from_url(redis_url)
    gate = RedisAccountGate(client, clock, {"x": 1}, wait_seconds=10, poll_seconds=30)
    calls_at_handoff: list[tuple[int, int]] = []

    async def wait_for_slot() -> None:
        async with gate.acquire("x"):
            calls_at_handoff.append((client.scripts_run, client.slots_freed))

    try:
        async with gate.acquire("x"):
            waiter = asyncio.create_task(wait_for_slot())
            await in_line(gate, 1)  # it asked once, found the network full, and waits
            before = (client.scripts_run, client.slots_freed)
        await asyncio.wait_for(waiter, 5)
    finally:
        await client.aclose()

    assert calls_at_handoff == [before]  # neither freed in Redis nor asked for again


async def test_a_process_hands_a_slot_on_only_so_often_before_another_process_gets_a_turn(
        clients: Clients, clock: ManualClock) -> None:
    # The busy process polls every second, the other every 5 ms: once the slot is freed in
    # Redis (not handed on again), the other process's waiting job is the one that gets it.
    busy = RedisAccountGate(clients(), clock, {"x": 1}, wait_seconds=30, poll_seconds=1.0)
    other = RedisAccountGate(clients(), clock, {"x": 1}, wait_seconds=30, poll_seconds=0.005)
    served: list[str] = []

    async def call(gate: RedisAccountGate, name: str) -> None:
        async with gate.acquire("x"):
            served.append(name)
            await asyncio.sleep(0.01)

    holding = busy.acquire("x")
    await holding.__aenter__()
    waiting = [asyncio.create_task(call(busy, f"busy-{n}"))
               for n in range(redis_gates.MAX_HANDOFFS + 3)]
    await in_line(busy, redis_gates.MAX_HANDOFFS + 3)
    waiting.append(asyncio.create_task(call(other, "other")))
    await in_line(other, 1)
    await holding.__aexit__(None, None, None)
    await asyncio.wait_for(asyncio.gather(*waiting), 10)

    # MAX_HANDOFFS jobs of the busy process in a row, then the other process's turn.
    assert served.index("other") == redis_gates.MAX_HANDOFFS


async def test_a_slot_handed_on_and_on_keeps_its_lease(clients: Clients,
                                                       clock: ManualClock) -> None:
    # Each holder keeps the slot for less than a third of the lease, so none would renew it
    # by its own reckoning; the chain lasts longer than the lease.
    holder = RedisAccountGate(clients(), clock, {"x": 1}, lease_seconds=0.3, wait_seconds=10,
                              poll_seconds=30)
    other = RedisAccountGate(clients(), clock, {"x": 1}, wait_seconds=0.01)
    taken_by_other: list[bool] = []

    async def call(last: bool) -> None:
        async with holder.acquire("x"):
            await asyncio.sleep(0.08)
            if last:  # 0.4 s after the slot was first taken, past its first lease
                try:
                    async with other.acquire("x"):
                        taken_by_other.append(True)
                except redis_gates.NetworkBusy:
                    taken_by_other.append(False)

    first = holder.acquire("x")
    await first.__aenter__()
    chain = [asyncio.create_task(call(last=n == 4)) for n in range(5)]
    await in_line(holder, 5)
    await first.__aexit__(None, None, None)
    await asyncio.wait_for(asyncio.gather(*chain), 5)

    assert taken_by_other == [False]


async def test_a_job_handed_a_slot_after_a_long_wait_reads_the_cool_down_first(
        clients: Clients, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_gates, "COOL_DOWN_FRESH_SECONDS", 0.0)
    slots = clients()
    gate = RedisAccountGate(clients(), clock, {"x": 1}, wait_seconds=10, poll_seconds=30)
    served: list[str] = []

    async def call(connection_id: str) -> None:
        async with gate.acquire("x", connection_id=connection_id):
            served.append(connection_id)

    async with gate.acquire("x", connection_id="conn_a"):
        limited = asyncio.create_task(call("conn_b"))
        after_it = asyncio.create_task(call("conn_c"))
        await in_line(gate, 2)  # both asked, found the network full, and wait
        # A 429 from another process while they wait.
        await RedisAccountGate(clients(), clock).cool_down(
            "conn_b", clock.now() + timedelta(seconds=30))
    with pytest.raises(CoolingDown):
        await asyncio.wait_for(limited, 5)
    await asyncio.wait_for(after_it, 5)

    assert served == ["conn_c"]  # the slot went on to the next job
    assert await slots.zcard(f"{KEY_PREFIX}slots:x") == 0


async def test_a_slot_never_goes_to_a_job_of_a_connection_this_process_just_cooled_down(
        clients: Clients, clock: ManualClock) -> None:
    gate = RedisAccountGate(clients(), clock, {"x": 1}, wait_seconds=10, poll_seconds=30)
    served: list[str] = []

    async def call(connection_id: str) -> None:
        async with gate.acquire("x", connection_id=connection_id):
            served.append(connection_id)

    with pytest.raises(CoolingDown):
        async with gate.acquire("x", connection_id="conn_a"):
            same_account = asyncio.create_task(call("conn_a"))
            other_account = asyncio.create_task(call("conn_b"))
            await in_line(gate, 2)  # both read the cool-down a moment ago: none then
            # The platform answers this call 429: the account cools down, the slot is freed.
            await gate.cool_down("conn_a", clock.now() + timedelta(seconds=30))
        await asyncio.wait_for(same_account, 5)
    await asyncio.wait_for(other_account, 5)

    assert served == ["conn_b"]


async def test_a_job_cancelled_as_a_slot_reaches_it_passes_the_slot_on(
        clients: Clients, clock: ManualClock) -> None:
    slots = clients()
    gate = RedisAccountGate(clients(), clock, {"x": 1}, wait_seconds=10, poll_seconds=30)
    served: list[int] = []

    async def call(n: int) -> None:
        async with gate.acquire("x"):
            served.append(n)

    holding = gate.acquire("x")
    await holding.__aenter__()
    first, second = asyncio.create_task(call(1)), asyncio.create_task(call(2))
    await in_line(gate, 2)
    await holding.__aexit__(None, None, None)  # hands the slot to the first waiting job ...
    first.cancel()  # ... which is cancelled (its time limit) before it runs again
    await asyncio.wait_for(second, 5)

    assert first.cancelled()
    assert served == [2]
    assert await slots.zcard(f"{KEY_PREFIX}slots:x") == 0


async def test_a_job_that_waits_too_long_leaves_the_line(clients: Clients,
                                                         clock: ManualClock) -> None:
    gate = RedisAccountGate(clients(), clock, {"x": 1}, wait_seconds=0.1, poll_seconds=30)
    served: list[int] = []

    async def call(n: int) -> None:
        async with gate.acquire("x"):
            served.append(n)

    async with gate.acquire("x"):
        with pytest.raises(redis_gates.NetworkBusy):
            await call(1)
        late = asyncio.create_task(call(2))
        await in_line(gate, 1)

    await asyncio.wait_for(late, 5)
    assert served == [2]  # the slot went to the job still waiting, not to the one gone


async def test_a_slot_freed_in_another_process_is_found_by_polling(
        clients: Clients, clock: ManualClock) -> None:
    first = RedisAccountGate(clients(), clock, {"x": 1}, wait_seconds=5, poll_seconds=0.05)
    second = RedisAccountGate(clients(), clock, {"x": 1}, wait_seconds=5, poll_seconds=0.05)
    holding = first.acquire("x")
    await holding.__aenter__()

    async def wait_for_slot() -> bool:
        async with second.acquire("x"):
            return True

    waiter = asyncio.create_task(wait_for_slot())
    await in_line(second, 1)
    assert not waiter.done()
    await holding.__aexit__(None, None, None)  # wakes nobody in ``second``: it must poll
    assert await asyncio.wait_for(waiter, 2)


async def test_redis_going_away_during_the_call_does_not_fail_it(
        clients: Clients, clock: ManualClock) -> None:
    client = clients()
    gate = RedisAccountGate(client, clock, {"x": 1})
    finished = False

    async with gate.acquire("x"):
        # Redis is lost while the platform call runs (tests/faults restarts a real server):
        # freeing the slot fails, and the call's outcome must survive that.
        await client.connection_pool.disconnect()
        client.connection_pool = redis.asyncio.ConnectionPool(port=1)
        finished = True

    assert finished


async def test_a_connection_dropped_by_redis_is_replaced_on_the_next_command(
        clients: Clients, clock: ManualClock) -> None:
    client = clients()
    gate = RedisAccountGate(client, clock, {"x": 1})
    until = clock.now() + timedelta(seconds=60)
    await gate.cool_down("conn_a", until)

    # What a Redis restart does to every open connection, done to this client's only one.
    assert await clients().client_kill_filter(_id=await client.client_id()) == 1

    assert await gate.cooling_until("conn_a") == until


async def test_an_uncapped_network_makes_no_redis_call(clock: ManualClock) -> None:
    client = redis.asyncio.Redis(port=1)  # nothing listens: any call would fail
    calls: list[tuple[object, ...]] = []

    async def record(*args: object, **options: object) -> None:
        calls.append(args)
        raise redis.ConnectionError("nothing listens on port 1")

    client.execute_command = record  # type: ignore[method-assign]
    gate = RedisAccountGate(client, clock, {"sandbox": None})

    async with gate.acquire("sandbox"):
        pass

    assert calls == []


async def test_a_killed_holders_slot_frees_once_its_lease_expires(
        clients: Clients, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    killed = RedisAccountGate(clients(), clock, {"x": 1}, lease_seconds=0.3)

    async def no_renewal(self: RedisAccountGate, key: str, lease: object) -> None:
        return None  # a killed process renews nothing

    monkeypatch.setattr(RedisAccountGate, "_renew", no_renewal)
    slot = killed.acquire("x")
    await slot.__aenter__()  # ... and never leaves its block
    survivor_client = clients()
    survivor = RedisAccountGate(survivor_client, clock, {"x": 1}, wait_seconds=5)

    async with survivor.acquire("x"):
        # The dead holder's entry is gone: the one slot is the survivor's alone.
        assert await survivor_client.zcard(f"{KEY_PREFIX}slots:x") == 1


async def test_a_live_holder_keeps_its_slot_past_the_lease(clients: Clients,
                                                           clock: ManualClock) -> None:
    holder = RedisAccountGate(clients(), clock, {"x": 1}, lease_seconds=0.3)
    other = RedisAccountGate(clients(), clock, {"x": 1}, wait_seconds=0.05)
    client = clients()
    key = f"{KEY_PREFIX}slots:x"

    async with holder.acquire("x"):
        [(_, first_end)] = await client.zrange(key, 0, -1, withscores=True)
        await eventually(lambda: _lease_renewed_past(client, key, first_end), timeout=5,
                         what="the lease being renewed")
        with pytest.raises(redis_gates.NetworkBusy):
            async with other.acquire("x"):
                pass


# -- refresh locks --------------------------------------------------------------------------------

async def test_the_refresh_lock_admits_one_holder_across_processes(clients: Clients) -> None:
    locks = [RedisRefreshLock(clients(), wait_seconds=10) for _ in range(3)]
    inside = 0
    most = 0

    async def refresh(lock: RedisRefreshLock) -> None:
        nonlocal inside, most
        async with lock.hold("conn_a"):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(refresh(locks[n % 3]) for n in range(9)))

    assert most == 1


async def test_a_refresh_lock_held_past_the_wait_raises_busy(clients: Clients) -> None:
    first = RedisRefreshLock(clients())
    second = RedisRefreshLock(clients(), wait_seconds=0.1)

    async with first.hold("conn_a"):
        with pytest.raises(redis_gates.RefreshLockBusy):
            async with second.hold("conn_a"):
                pass


async def test_refresh_locks_of_different_connections_are_independent(clients: Clients) -> None:
    locks = RedisRefreshLock(clients(), wait_seconds=0.1)

    async with locks.hold("conn_a"), locks.hold("conn_b"):
        with pytest.raises(RefreshLockBusy):  # conn_a is really held while conn_b is too
            async with locks.hold("conn_a"):
                pass


async def test_a_holder_whose_lease_ran_out_does_not_release_its_successor(
        clients: Clients) -> None:
    slow = RedisRefreshLock(clients(), ttl_seconds=0.2)
    successor = RedisRefreshLock(clients(), wait_seconds=5)
    third = RedisRefreshLock(clients(), wait_seconds=0.1)

    async with slow.hold("conn_a"):
        taken = successor.hold("conn_a")
        await taken.__aenter__()  # waits until the slow holder's lease ran out
    # The slow holder has left its block: its release must not have freed the successor's lock.
    with pytest.raises(redis_gates.RefreshLockBusy):
        async with third.hold("conn_a"):
            pass
    await taken.__aexit__(None, None, None)

    async with third.hold("conn_a"):
        pass


# -- two processes, one refresh -------------------------------------------------------------------

async def test_publishers_in_two_processes_refresh_an_expired_token_once(
        rt: Runtime, settings: Settings, clock: ManualClock, clients: Clients) -> None:
    # One platform, two worker processes: each its own store connection, Redis client and lock.
    platform = ScriptedProvider(expired_tokens={"access-1"}, refresh_pause=0.05)
    first = dataclasses.replace(runtime_with(rt, platform),
                                refresh_locks=RedisRefreshLock(clients()))
    other_store = (await open_runtime(settings, clock=clock)).store
    second = dataclasses.replace(first, store=other_store,
                                 refresh_locks=RedisRefreshLock(clients()))
    try:
        org: Organization = await create_organization(first, "Acme", actor="cli")
        account = await connect(first, org, "A")
        await expire_tokens(first, account)
        posts = [await claim(first, await submit(first, org, [account], f"post {n}"))
                 for n in range(20)]

        await asyncio.gather(*(
            PostPublisher(first if n % 2 else second).run(
                p.org_id, p.id, expected_version=p.version, trigger="scheduler")
            for n, p in enumerate(posts)))

        done = [await first.store.get_post(p.org_id, p.id) for p in posts]
    finally:
        await other_store.close()
    assert len(platform.refresh_calls) == 1
    assert [p.status for p in done] == [PostStatus.PUBLISHED] * 20
    assert len(platform.publish_calls) == len(platform.created) == 20


async def test_without_the_shared_lock_two_processes_would_refresh_twice(
        rt: Runtime, settings: Settings, clock: ManualClock) -> None:
    # The control for the test above: in-process locks are per process.
    platform = ScriptedProvider(expired_tokens={"access-1"}, refresh_pause=0.05)
    first = runtime_with(rt, platform)
    other = await open_runtime(settings, clock=clock)
    second = dataclasses.replace(first, store=other.store, refresh_locks=other.refresh_locks)
    try:
        org = await create_organization(first, "Acme", actor="cli")
        account = await connect(first, org, "A")
        await expire_tokens(first, account)
        posts = [await claim(first, await submit(first, org, [account], f"post {n}"))
                 for n in range(2)]

        await asyncio.gather(*(
            PostPublisher(runtime).run(p.org_id, p.id, expected_version=p.version,
                                       trigger="scheduler")
            for runtime, p in zip((first, second), posts, strict=True)))
    finally:
        await other.store.close()
    assert len(platform.refresh_calls) == 2


# -- wiring ---------------------------------------------------------------------------------------

async def test_the_worker_runtime_uses_the_redis_gates_when_redis_is_configured(
        settings: Settings, redis_url: str) -> None:
    install_worker_runtime(settings.model_copy(update={"redis_url": SecretStr(redis_url)}))
    try:
        runtime = await worker_runtime.get_runtime()
        assert isinstance(runtime.gates, RedisAccountGate)
        assert isinstance(runtime.refresh_locks, RedisRefreshLock)
    finally:
        await worker_runtime.close_runtime()
        worker_runtime.uninstall()


async def test_the_worker_runtimes_redis_gate_enforces_the_configured_cap(
        settings: Settings, redis_url: str) -> None:
    install_worker_runtime(settings.model_copy(update={
        "redis_url": SecretStr(redis_url), "network_concurrency": {"x": 1},
        "network_slot_wait_seconds": 0.1}))
    try:
        runtime = await worker_runtime.get_runtime()
        async with runtime.gates.acquire("x"):
            with pytest.raises(NetworkBusy, match="All 1 slots for x"):
                async with runtime.gates.acquire("x"):
                    pass
    finally:
        await worker_runtime.close_runtime()
        worker_runtime.uninstall()


async def test_the_worker_runtime_keeps_in_process_gates_without_redis(
        settings: Settings) -> None:
    install_worker_runtime(settings)
    try:
        runtime = await worker_runtime.get_runtime()
        assert not isinstance(runtime.gates, RedisAccountGate)
    finally:
        await worker_runtime.close_runtime()
        worker_runtime.uninstall()


async def _is_none(value: Awaitable[object]) -> bool:
    return await value is None


async def _lease_renewed_past(client: redis.asyncio.Redis, key: str, end: float) -> bool:
    [(_, current)] = await client.zrange(key, 0, -1, withscores=True)
    return bool(current > end)


async def test_acquire_checks_the_cool_down_and_takes_the_slot_in_one_step(
        gate: RedisAccountGate, clock: ManualClock, clients: Clients) -> None:
    slots = clients()
    await gate.cool_down("conn_a", clock.now() + timedelta(seconds=30))

    with pytest.raises(CoolingDown) as cooling:
        async with gate.acquire("x", connection_id="conn_a"):
            pytest.fail("a cooling connection got a slot")
    assert cooling.value.until == clock.now() + timedelta(seconds=30)
    assert await slots.zcard(f"{KEY_PREFIX}slots:x") == 0

    async with gate.acquire("x", connection_id="conn_b"):
        assert await slots.zcard(f"{KEY_PREFIX}slots:x") == 1
    clock.advance(30)  # over in the runtime's time, though Redis still holds the key
    async with gate.acquire("x", connection_id="conn_a"):
        assert await slots.zcard(f"{KEY_PREFIX}slots:x") == 1
    assert await slots.zcard(f"{KEY_PREFIX}slots:x") == 0


async def test_an_uncapped_network_still_checks_the_cool_down(clients: Clients,
                                                               clock: ManualClock) -> None:
    gate = RedisAccountGate(clients(), clock, {"sandbox": None})
    await gate.cool_down("conn_a", clock.now() + timedelta(seconds=30))

    with pytest.raises(CoolingDown):
        async with gate.acquire("sandbox", connection_id="conn_a"):
            pytest.fail("a cooling connection was let through")
    async with gate.acquire("sandbox", connection_id="conn_b"):
        pass
