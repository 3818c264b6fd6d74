"""Store contract: worker heartbeats and the sandbox network's published records."""

from __future__ import annotations

from datetime import timedelta, timezone

from postflow.store.port import Store
from tests.postflow.store.factories import T0, at, make_sandbox_post


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


async def test_sandbox_post_round_trip_keeps_every_field(store: Store) -> None:
    post = make_sandbox_post("conn_a", media_urls=["https://cdn.example/a.png"],
                             outcome="rejected", created_at=T0)
    await store.insert_sandbox_post(post)

    assert await store.get_sandbox_post(post.id) == post


async def test_get_unknown_sandbox_post_returns_none(store: Store) -> None:
    assert await store.get_sandbox_post("sbx_missing") is None


async def test_find_sandbox_posts_returns_the_connections_posts_oldest_first(
        store: Store) -> None:
    second = make_sandbox_post("conn_a", created_at=at(2))
    first = make_sandbox_post("conn_a", created_at=at(1))
    for post in (second, first, make_sandbox_post("conn_b")):
        await store.insert_sandbox_post(post)

    assert await store.find_sandbox_posts("conn_a") == [first, second]


async def test_find_sandbox_posts_by_key_shows_a_double_publish_as_two_records(
        store: Store) -> None:
    twice = [make_sandbox_post("conn_a", idempotency_key="att_1", created_at=at(i))
             for i in (1, 2)]
    for post in [*twice, make_sandbox_post("conn_a", idempotency_key="att_2")]:
        await store.insert_sandbox_post(post)

    assert await store.find_sandbox_posts("conn_a", idempotency_key="att_1") == twice
