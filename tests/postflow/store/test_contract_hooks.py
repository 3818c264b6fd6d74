"""Store contract: incoming hooks and their idempotency-key records."""

from __future__ import annotations

import asyncio

import pytest

from postflow.errors import NotFound
from postflow.hooks import IdempotencyState
from postflow.store.port import Store
from tests.postflow.store.factories import at, make_hook, make_idempotency_record


async def test_hook_round_trip_keeps_every_field(store: Store) -> None:
    hook = make_hook("org_a", sealed_previous_secret="sealed:old",
                     previous_secret_expires_at=at(60), review_required=True, disabled=True)
    await store.insert_hook(hook)

    assert await store.find_hook(hook.id) == hook


async def test_find_hook_returns_none_for_unknown_id(store: Store) -> None:
    assert await store.find_hook("hook_missing") is None


async def test_list_hooks_is_scoped_to_the_organization(store: Store) -> None:
    mine = make_hook("org_a")
    await store.insert_hook(mine)
    await store.insert_hook(make_hook("org_b"))

    assert await store.list_hooks("org_a") == [mine]


async def test_update_hook_replaces_it(store: Store) -> None:
    hook = make_hook("org_a")
    await store.insert_hook(hook)
    rotated = hook.model_copy(update={"sealed_secret": "sealed:new",
                                      "sealed_previous_secret": hook.sealed_secret,
                                      "previous_secret_expires_at": at(30)})

    await store.update_hook(rotated)

    assert await store.find_hook(hook.id) == rotated


async def test_update_hook_of_another_organization_raises_not_found(store: Store) -> None:
    hook = make_hook("org_a")
    await store.insert_hook(hook)

    with pytest.raises(NotFound):
        await store.update_hook(hook.model_copy(update={"org_id": "org_b", "disabled": True}))
    assert await store.find_hook(hook.id) == hook


async def test_reserving_a_free_key_returns_none(store: Store) -> None:
    assert await store.reserve_idempotency_key(make_idempotency_record("hook_1", "k1")) is None


async def test_reserving_a_held_key_returns_the_holder(store: Store) -> None:
    first = make_idempotency_record("hook_1", "k1", request_hash="sha256:first")
    await store.reserve_idempotency_key(first)

    holder = await store.reserve_idempotency_key(
        make_idempotency_record("hook_1", "k1", request_hash="sha256:second", created_at=at(1)))

    assert holder == first


async def test_same_key_on_another_hook_is_free(store: Store) -> None:
    await store.reserve_idempotency_key(make_idempotency_record("hook_1", "k1"))

    assert await store.reserve_idempotency_key(make_idempotency_record("hook_2", "k1")) is None


async def test_concurrent_reservations_of_one_key_let_exactly_one_through(
        store: Store) -> None:
    records = [make_idempotency_record("hook_1", "k1", request_hash=f"sha256:{i}")
               for i in range(20)]

    results = await asyncio.gather(*(store.reserve_idempotency_key(r) for r in records))

    winners = [record for record, result in zip(records, results, strict=True) if result is None]
    assert len(winners) == 1
    assert all(result == winners[0] for result in results if result is not None)


async def test_an_expired_reservation_is_replaced(store: Store) -> None:
    await store.reserve_idempotency_key(
        make_idempotency_record("hook_1", "k1", created_at=at(0), expires_at=at(10)))
    fresh = make_idempotency_record("hook_1", "k1", request_hash="sha256:fresh",
                                    created_at=at(10), expires_at=at(20))

    assert await store.reserve_idempotency_key(fresh) is None
    later = make_idempotency_record("hook_1", "k1", created_at=at(11), expires_at=at(21))
    assert await store.reserve_idempotency_key(later) == fresh


async def test_completing_a_key_stores_the_answer_for_replays(store: Store) -> None:
    record = make_idempotency_record("hook_1", "k1")
    await store.reserve_idempotency_key(record)

    await store.complete_idempotency_key("hook_1", "k1", 201, '{"id": "post_1"}')

    replay = await store.reserve_idempotency_key(make_idempotency_record("hook_1", "k1"))
    assert replay == record.model_copy(update={"state": IdempotencyState.COMPLETE,
                                               "status_code": 201,
                                               "response_body": '{"id": "post_1"}'})


async def test_released_key_can_be_reserved_again(store: Store) -> None:
    await store.reserve_idempotency_key(make_idempotency_record("hook_1", "k1"))

    await store.release_idempotency_key("hook_1", "k1")

    assert await store.reserve_idempotency_key(make_idempotency_record("hook_1", "k1")) is None


async def test_purge_deletes_only_expired_records_and_counts_them(store: Store) -> None:
    for key, expires in (("old1", at(5)), ("old2", at(10)), ("live", at(11))):
        await store.reserve_idempotency_key(
            make_idempotency_record("hook_1", key, expires_at=expires))

    assert await store.purge_idempotency_keys(at(10)) == 2

    assert await store.reserve_idempotency_key(make_idempotency_record("hook_1", "old1")) is None
    assert await store.reserve_idempotency_key(
        make_idempotency_record("hook_1", "live")) is not None


async def test_delete_hook_removes_it(store: Store) -> None:
    hook = make_hook("org_a")
    await store.insert_hook(hook)

    await store.delete_hook("org_a", hook.id)

    assert await store.find_hook(hook.id) is None
    assert await store.list_hooks("org_a") == []


async def test_delete_hook_of_another_organization_raises_not_found(store: Store) -> None:
    hook = make_hook("org_a")
    await store.insert_hook(hook)

    with pytest.raises(NotFound):
        await store.delete_hook("org_b", hook.id)
    with pytest.raises(NotFound):
        await store.delete_hook("org_a", "hook_missing")
    assert await store.find_hook(hook.id) == hook
