"""Store contract: worker heartbeats (HeartbeatRecords)."""

from __future__ import annotations

from datetime import timedelta, timezone

from postflow.store.port import Store
from tests.postflow.store.factories import at


async def test_unknown_heartbeat_reads_none(store: Store) -> None:
    assert await store.get_heartbeat("scheduler") is None


async def test_heartbeat_reads_back_the_last_instant_set_in_utc(store: Store) -> None:
    await store.set_heartbeat("scheduler", at(1))
    await store.set_heartbeat("scheduler", at(2).astimezone(timezone(timedelta(hours=-5))))

    beat = await store.get_heartbeat("scheduler")

    assert beat == at(2)
    assert beat is not None and beat.utcoffset() == timedelta(0)


async def test_heartbeats_are_kept_per_name(store: Store) -> None:
    await store.set_heartbeat("scheduler", at(1))
    await store.set_heartbeat("worker", at(2))

    assert await store.get_heartbeat("scheduler") == at(1)
    assert await store.get_heartbeat("worker") == at(2)
