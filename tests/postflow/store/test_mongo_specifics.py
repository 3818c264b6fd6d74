"""What only the Mongo store has: its indexes, its race handling over single-document atomics,
and its datetime normalization. Runs over the driver-level fake (tests/fakes/mongo_driver.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from postflow.errors import Conflict
from postflow.hooks import IdempotencyRecord
from postflow.posts import PostStatus
from postflow.store.mongo import INDEXES, MongoStore
from tests.fakes.mongo_driver import FakeAsyncMongoClient
from tests.postflow.store.factories import (
    at,
    full_post,
    make_idempotency_record,
    make_org,
    make_post,
)

DB = "postflow_specifics"


@pytest.fixture
def client() -> FakeAsyncMongoClient:
    return FakeAsyncMongoClient()


@pytest.fixture
async def mongo_store(client: FakeAsyncMongoClient) -> AsyncIterator[MongoStore]:
    store = await MongoStore.create(client, DB)
    yield store
    await store.close()


def index_name(keys: list[tuple[str, int]]) -> str:
    return "_".join(f"{field}_{direction}" for field, direction in keys)


async def test_create_makes_every_index_with_its_uniqueness(
        client: FakeAsyncMongoClient, mongo_store: MongoStore) -> None:
    for collection, keys, unique in INDEXES:
        info = await client[DB][collection].index_information()
        name = index_name(keys)
        assert name in info, f"{collection}.{name} missing"
        assert bool(info[name].get("unique")) is unique


async def test_the_brief_indexes_are_all_declared() -> None:
    declared = {(collection, index_name(keys), unique) for collection, keys, unique in INDEXES}
    assert {
        ("organizations", "name_1", True),
        ("members", "org_id_1_identity.platform_1_identity.workspace_id_1_identity.user_id_1",
         True),
        ("workspaces", "platform_1_external_id_1", True),
        ("connections", "org_id_1_network_1_account_id_1", True),
        ("connections", "org_id_1", False),
        ("idempotency", "hook_id_1_key_1", True),
        ("posts", "org_id_1_created_at_1", False),
        ("posts", "status_1_due_at_1", False),
        ("posts", "status_1_updated_at_1", False),
        ("posts", "org_id_1_targets.connection_id_1", False),
        ("attempts", "org_id_1_post_id_1", False),
        ("audit", "org_id_1_subject_id_1_at_1", False),
        ("usage", "org_id_1_metric_1_period_1", True),
    } <= declared


async def test_create_twice_keeps_indexes_and_data(client: FakeAsyncMongoClient) -> None:
    first = await MongoStore.create(client, DB)
    org = make_org()
    await first.insert_organization(org)
    before = {c: await client[DB][c].index_information() for c, _, _ in INDEXES}

    second = await MongoStore.create(client, DB)

    after = {c: await client[DB][c].index_information() for c, _, _ in INDEXES}
    assert after == before
    assert await second.get_organization(org.id) == org


async def test_ping_answers(mongo_store: MongoStore) -> None:
    assert await mongo_store.ping() is None


async def test_close_closes_the_client(client: FakeAsyncMongoClient) -> None:
    store = await MongoStore.create(client, DB)
    await store.close()
    assert client.closed


async def test_concurrent_reservations_of_one_key_let_exactly_one_through(
        mongo_store: MongoStore) -> None:
    records = [make_idempotency_record("hook_1", "key-1", request_hash=f"sha256:{n}")
               for n in range(10)]

    results = await asyncio.gather(*(mongo_store.reserve_idempotency_key(r) for r in records))

    winners = [record for record, result in zip(records, results, strict=True) if result is None]
    assert len(winners) == 1
    assert all(result == winners[0] for result in results if result is not None)


async def test_concurrent_takeovers_of_an_expired_key_let_exactly_one_through(
        mongo_store: MongoStore) -> None:
    await mongo_store.reserve_idempotency_key(
        make_idempotency_record("hook_1", "key-1", created_at=at(0), expires_at=at(10)))
    late = [make_idempotency_record("hook_1", "key-1", request_hash=f"sha256:{n}",
                                    created_at=at(20), expires_at=at(30)) for n in range(10)]

    results = await asyncio.gather(*(mongo_store.reserve_idempotency_key(r) for r in late))

    assert results.count(None) == 1
    holder = next(r for r, res in zip(late, results, strict=True) if res is None)
    assert all(res == holder for res in results if res is not None)


async def test_concurrent_replaces_of_one_version_let_exactly_one_win(
        mongo_store: MongoStore) -> None:
    post = make_post("org_1", status=PostStatus.SCHEDULED, due_at=at(0))
    await mongo_store.insert_post(post)
    claims = [post.model_copy(update={"status": PostStatus.QUEUED, "version": 2,
                                      "status_reason": f"worker {n}"}) for n in range(20)]

    results = await asyncio.gather(*(mongo_store.replace_post(claim, 1) for claim in claims),
                                   return_exceptions=True)

    assert results.count(None) == 1
    losers = [r for r in results if r is not None]
    assert len(losers) == 19
    assert all(isinstance(r, Conflict) for r in losers)
    winner = claims[results.index(None)]
    assert await mongo_store.get_post("org_1", post.id) == winner


async def test_concurrent_consumption_never_passes_the_limit(mongo_store: MongoStore) -> None:
    results = await asyncio.gather(
        *(mongo_store.consume_usage("org_1", "posts", "2025-03", 5) for _ in range(12)))

    assert sorted(r for r in results if r is not None) == [1, 2, 3, 4, 5]
    assert results.count(None) == 7
    assert await mongo_store.get_usage("org_1", "posts", "2025-03") == 5


async def test_datetimes_come_back_aware_utc_also_nested(mongo_store: MongoStore) -> None:
    post = full_post("org_1")
    await mongo_store.insert_post(post)

    loaded = await mongo_store.get_post("org_1", post.id)

    moments = [loaded.created_at, loaded.updated_at, loaded.scheduled_at, loaded.due_at,
               loaded.targets[1].published_at]
    assert all(m is not None and m.tzinfo is UTC for m in moments)
    assert loaded == post


async def test_naive_datetimes_from_a_non_tz_aware_client_are_read_as_utc() -> None:
    store = await MongoStore.create(FakeAsyncMongoClient(tz_aware=False), DB)
    record = make_idempotency_record("hook_1", "key-1")
    await store.reserve_idempotency_key(record)

    held = await store.reserve_idempotency_key(make_idempotency_record("hook_1", "key-1"))

    assert held == record
    assert held is not None and held.expires_at.tzinfo is UTC
    await store.set_heartbeat("scheduler", at(1))
    assert await store.get_heartbeat("scheduler") == at(1)


async def test_enums_are_stored_as_plain_strings(client: FakeAsyncMongoClient,
                                                 mongo_store: MongoStore) -> None:
    post = full_post("org_1")
    await mongo_store.insert_post(post)

    doc = await client[DB]["posts"].find_one({"_id": post.id})

    assert doc is not None
    assert type(doc["status"]) is str and doc["status"] == "scheduled"
    assert type(doc["targets"][1]["status"]) is str
    assert "id" not in doc


async def test_duplicate_key_conflict_hides_driver_text(mongo_store: MongoStore) -> None:
    org = make_org()
    await mongo_store.insert_organization(org)

    with pytest.raises(Conflict) as caught:
        await mongo_store.insert_organization(make_org(name=org.name))

    assert "E11000" not in caught.value.message
    assert "already exists" in caught.value.message


async def test_a_reservation_released_mid_race_is_retaken(mongo_store: MongoStore) -> None:
    first = make_idempotency_record("hook_1", "key-1")
    assert await mongo_store.reserve_idempotency_key(first) is None
    await mongo_store.release_idempotency_key("hook_1", "key-1")

    again = make_idempotency_record("hook_1", "key-1", request_hash="sha256:2")

    assert await mongo_store.reserve_idempotency_key(again) is None
    held = await mongo_store.reserve_idempotency_key(make_idempotency_record("hook_1", "key-1"))
    assert isinstance(held, IdempotencyRecord) and held.request_hash == "sha256:2"


async def test_fake_cursor_honours_to_list_length(client: FakeAsyncMongoClient) -> None:
    coll = client[DB]["scratch"]
    await coll.insert_many([{"n": n, "at": datetime(2025, 1, 1, tzinfo=UTC)} for n in range(8)])

    docs = await coll.find().sort("n", 1).skip(2).to_list(3)

    assert [d["n"] for d in docs] == [2, 3, 4]
