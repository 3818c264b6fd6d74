"""Store contract: a post inserted with a usage charge is counted in the same write, and a post
refused at the limit (or one that cannot be written) leaves no trace and is not counted.

Several inserts issued at once are what a busy hub sends; the SQLite store then writes them
together (one statement per kind for the batch), which must decide exactly as one at a time.
"""

from __future__ import annotations

import asyncio

import pytest

from postflow.errors import Conflict
from postflow.store.port import Store, UsageCharge, UsageExhausted
from tests.postflow.store.factories import make_audit_event, make_post

MONTH = "2026-11"


def charge(limit: int | None) -> UsageCharge:
    return UsageCharge("scheduled_posts", MONTH, limit)


async def test_a_charged_insert_counts_the_post(store: Store) -> None:
    post = make_post("org_a")

    await store.insert_post(post, [make_audit_event("org_a", subject_id=post.id)],
                            charge=charge(5))

    assert await store.get_usage("org_a", "scheduled_posts", MONTH) == 1
    assert [e.subject_id for e in await store.list_audit("org_a")] == [post.id]


async def test_an_insert_at_the_limit_writes_and_counts_nothing(store: Store) -> None:
    await store.insert_post(make_post("org_a"), charge=charge(1))
    refused = make_post("org_a")

    with pytest.raises(UsageExhausted):
        await store.insert_post(refused, [make_audit_event("org_a", subject_id=refused.id)],
                                charge=charge(1))

    assert refused.id not in {p.id for p in await store.list_posts("org_a")}
    assert await store.list_audit("org_a", subject_id=refused.id) == []
    assert await store.get_usage("org_a", "scheduled_posts", MONTH) == 1


async def test_concurrent_charged_inserts_stop_exactly_at_the_limit(store: Store) -> None:
    await store.insert_post(make_post("org_a"), charge=charge(4))
    posts = [make_post("org_a") for _ in range(10)]

    results = await asyncio.gather(
        *(store.insert_post(p, [make_audit_event("org_a", subject_id=p.id)], charge=charge(4))
          for p in posts), return_exceptions=True)

    admitted = {p.id for p, r in zip(posts, results, strict=True) if r is None}
    assert len(admitted) == 3
    assert all(isinstance(r, UsageExhausted) for r in results if r is not None)
    stored = {p.id for p in await store.list_posts("org_a")}
    assert stored & {p.id for p in posts} == admitted
    assert {e.subject_id for e in await store.list_audit("org_a")} == admitted
    assert await store.get_usage("org_a", "scheduled_posts", MONTH) == 4


async def test_unlimited_charges_count_every_post(store: Store) -> None:
    await asyncio.gather(*(store.insert_post(make_post("org_a"), charge=charge(None))
                           for _ in range(6)))

    assert await store.get_usage("org_a", "scheduled_posts", MONTH) == 6


async def test_each_organization_is_counted_against_its_own_limit(store: Store) -> None:
    results = await asyncio.gather(
        *(store.insert_post(make_post(org), charge=charge(2))
          for _ in range(3) for org in ("org_a", "org_b")), return_exceptions=True)

    assert sum(r is None for r in results) == 4
    assert await store.get_usage("org_a", "scheduled_posts", MONTH) == 2
    assert await store.get_usage("org_b", "scheduled_posts", MONTH) == 2
    assert len(await store.list_posts("org_a")) == len(await store.list_posts("org_b")) == 2


async def test_a_duplicate_among_concurrent_inserts_fails_alone_and_is_not_counted(
        store: Store) -> None:
    existing = make_post("org_a")
    await store.insert_post(existing, charge=charge(None))
    duplicate = existing.model_copy(update={"text": "the same id again"})
    others = [make_post("org_a") for _ in range(4)]

    results = await asyncio.gather(
        store.insert_post(others[0], charge=charge(None)),
        store.insert_post(others[1], charge=charge(None)),
        store.insert_post(duplicate, [make_audit_event("org_a", subject_id=existing.id)],
                          charge=charge(None)),
        store.insert_post(others[2], charge=charge(None)),
        store.insert_post(others[3], charge=charge(None)), return_exceptions=True)

    assert isinstance(results[2], Conflict)
    assert [r for i, r in enumerate(results) if i != 2] == [None] * 4
    assert {p.id for p in await store.list_posts("org_a")} == {existing.id,
                                                               *(p.id for p in others)}
    assert (await store.get_post("org_a", existing.id)).text == existing.text
    assert await store.list_audit("org_a", subject_id=existing.id) == []
    assert await store.get_usage("org_a", "scheduled_posts", MONTH) == 5
