"""Store contract: usage counters, consumed atomically within a plan's limit."""

from __future__ import annotations

import asyncio

from postflow.store.port import Store


async def test_unused_counter_reads_zero(store: Store) -> None:
    assert await store.get_usage("org_a", "posts", "2025-03") == 0


async def test_consume_returns_the_new_count(store: Store) -> None:
    assert await store.consume_usage("org_a", "posts", "2025-03", limit=5) == 1
    assert await store.consume_usage("org_a", "posts", "2025-03", limit=5) == 2
    assert await store.get_usage("org_a", "posts", "2025-03") == 2


async def test_consume_returns_none_once_the_limit_is_reached(store: Store) -> None:
    for _ in range(2):
        await store.consume_usage("org_a", "posts", "2025-03", limit=2)

    assert await store.consume_usage("org_a", "posts", "2025-03", limit=2) is None
    assert await store.get_usage("org_a", "posts", "2025-03") == 2


async def test_consume_with_a_zero_limit_refuses_the_first_use(store: Store) -> None:
    assert await store.consume_usage("org_a", "posts", "2025-03", limit=0) is None
    assert await store.get_usage("org_a", "posts", "2025-03") == 0


async def test_consume_without_a_limit_always_counts(store: Store) -> None:
    for _ in range(3):
        await store.consume_usage("org_a", "posts", "2025-03", limit=None)

    assert await store.consume_usage("org_a", "posts", "2025-03", limit=None) == 4


async def test_counters_are_separate_per_organization_metric_and_period(store: Store) -> None:
    await store.consume_usage("org_a", "posts", "2025-03", limit=None)

    assert await store.get_usage("org_b", "posts", "2025-03") == 0
    assert await store.get_usage("org_a", "ai_rewrites", "2025-03") == 0
    assert await store.get_usage("org_a", "posts", "2025-04") == 0


async def test_concurrent_consumes_stop_exactly_at_the_limit(store: Store) -> None:
    results = await asyncio.gather(
        *(store.consume_usage("org_a", "posts", "2025-03", limit=3) for _ in range(10)))

    assert sorted(r for r in results if r is not None) == [1, 2, 3]
    assert results.count(None) == 7
    assert await store.get_usage("org_a", "posts", "2025-03") == 3


async def test_release_takes_one_back(store: Store) -> None:
    for _ in range(2):
        await store.consume_usage("org_a", "posts", "2025-03", limit=2)

    await store.release_usage("org_a", "posts", "2025-03")

    assert await store.get_usage("org_a", "posts", "2025-03") == 1
    assert await store.consume_usage("org_a", "posts", "2025-03", limit=2) == 2


async def test_release_never_goes_below_zero(store: Store) -> None:
    await store.consume_usage("org_a", "posts", "2025-03", limit=None)
    for _ in range(3):
        await store.release_usage("org_a", "posts", "2025-03")
    await store.release_usage("org_a", "never_used", "2025-03")

    assert await store.get_usage("org_a", "posts", "2025-03") == 0
    assert await store.get_usage("org_a", "never_used", "2025-03") == 0
    assert await store.consume_usage("org_a", "posts", "2025-03", limit=None) == 1
