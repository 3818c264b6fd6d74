"""The sandbox network's own store port (integrations/sandbox/records.py), which both stores
implement beside the core's Store: its published records."""

from __future__ import annotations

from integrations.sandbox.records import SandboxPostRecords
from postflow.store.port import Store
from tests.postflow.store.factories import T0, at, make_sandbox_post


def test_the_core_store_port_carries_no_sandbox_records() -> None:
    sandbox_methods = {name for name in vars(SandboxPostRecords) if not name.startswith("_")}
    assert sandbox_methods
    assert [name for name in sandbox_methods if hasattr(Store, name)] == []


async def test_sandbox_post_round_trip_keeps_every_field(store: SandboxPostRecords) -> None:
    post = make_sandbox_post("conn_a", media_urls=["https://cdn.example/a.png"],
                             outcome="rejected", created_at=T0)
    await store.insert_sandbox_post(post)

    assert await store.get_sandbox_post(post.id) == post


async def test_get_unknown_sandbox_post_returns_none(store: SandboxPostRecords) -> None:
    assert await store.get_sandbox_post("sbx_missing") is None


async def test_find_sandbox_posts_returns_the_connections_posts_oldest_first(
        store: SandboxPostRecords) -> None:
    second = make_sandbox_post("conn_a", created_at=at(2))
    first = make_sandbox_post("conn_a", created_at=at(1))
    for post in (second, first, make_sandbox_post("conn_b")):
        await store.insert_sandbox_post(post)

    assert await store.find_sandbox_posts("conn_a") == [first, second]


async def test_find_sandbox_posts_by_key_shows_a_double_publish_as_two_records(
        store: SandboxPostRecords) -> None:
    twice = [make_sandbox_post("conn_a", idempotency_key="att_1", created_at=at(i))
             for i in (1, 2)]
    for post in [*twice, make_sandbox_post("conn_a", idempotency_key="att_2")]:
        await store.insert_sandbox_post(post)

    assert await store.find_sandbox_posts("conn_a", idempotency_key="att_1") == twice
