"""Item 15: idempotency records and seen-signature records are deleted once their window has
passed: by the scheduler's purge job on any backend (here SQLite on a manual clock), and by a
TTL index on MongoDB."""

from __future__ import annotations

from datetime import timedelta

from postflow.hooks import IdempotencyRecord
from postflow.runtime import Runtime
from postflow.store.mongo import MongoStore
from tests.fakes.clock import ManualClock
from tests.fakes.mongo_driver import FakeAsyncMongoClient
from tests.workers.scenario import RecordingQueue
from workers.leader import LocalLeader
from workers.scheduler import PURGE_EVERY, Scheduler


async def _remember(rt: Runtime, clock: ManualClock, *, key_for: timedelta,
                    signature_for: timedelta, name: str = "a") -> None:
    now = clock.now()
    await rt.store.reserve_idempotency_key(IdempotencyRecord(
        hook_id="hook_1", key=f"key-{name}", request_hash="sha256:1", created_at=now,
        expires_at=now + key_for))
    assert await rt.store.claim_signature("hook:hook_1", f"sig-{name}", now + signature_for, now)


async def test_the_scheduler_purges_records_once_their_window_has_passed(
        rt: Runtime, clock: ManualClock) -> None:
    await _remember(rt, clock, key_for=timedelta(hours=24), signature_for=timedelta(minutes=5))
    scheduler = Scheduler(rt, RecordingQueue(), LocalLeader())

    assert (await scheduler.tick()).records_purged == 0
    clock.advance(timedelta(minutes=6).total_seconds())
    assert (await scheduler.tick()).records_purged == 1  # the signature
    clock.advance(timedelta(hours=24).total_seconds())
    assert (await scheduler.tick()).records_purged == 1  # the idempotency key

    assert await rt.store.purge_idempotency_keys(clock.now()) == 0
    assert await rt.store.purge_seen_signatures(clock.now()) == 0


async def test_the_purge_runs_once_per_interval(rt: Runtime, clock: ManualClock) -> None:
    scheduler = Scheduler(rt, RecordingQueue(), LocalLeader())
    await scheduler.tick()
    await _remember(rt, clock, key_for=timedelta(seconds=1), signature_for=timedelta(seconds=1))
    clock.advance(2)

    assert (await scheduler.tick()).records_purged == 0
    clock.advance(PURGE_EVERY.total_seconds())
    assert (await scheduler.tick()).records_purged == 2


async def test_a_scheduler_that_does_not_lead_purges_nothing(
        rt: Runtime, clock: ManualClock) -> None:
    class Follower:
        async def acquire_or_renew(self) -> bool:
            return False

        async def release(self) -> None:
            return None

    await _remember(rt, clock, key_for=timedelta(seconds=1), signature_for=timedelta(seconds=1))
    clock.advance(2)

    assert (await Scheduler(rt, RecordingQueue(), Follower()).tick()).records_purged == 0
    assert await rt.store.purge_seen_signatures(clock.now()) == 1


async def test_mongodb_expires_both_kinds_of_record_by_a_ttl_index() -> None:
    client = FakeAsyncMongoClient()
    store = await MongoStore.create(client, "postflow_ttl")
    try:
        for collection in ("idempotency", "seen_signatures"):
            info = await client["postflow_ttl"][collection].index_information()
            ttl = {name: index for name, index in info.items() if "expireAfterSeconds" in index}
            assert [index["key"] for index in ttl.values()] == [[("expires_at", 1)]], collection
            assert next(iter(ttl.values()))["expireAfterSeconds"] == 0
    finally:
        await store.close()
