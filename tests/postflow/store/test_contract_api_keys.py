"""Store contract: API keys (hashed secrets, revocation, last use)."""

from __future__ import annotations

from typing import Any

import pytest

from postflow.api_keys import ApiKey, ApiScope
from postflow.errors import Conflict, NotFound
from postflow.ids import new_id
from postflow.store.port import Store
from tests.postflow.store.factories import T0, at


def make_api_key(org_id: str, **fields: Any) -> ApiKey:
    values: dict[str, Any] = {"id": new_id("key"), "org_id": org_id, "name": "ci",
                              "scopes": [ApiScope.POSTS_READ], "secret_hash": "ab" * 32,
                              "created_by": "cli", "created_at": T0}
    return ApiKey(**(values | fields))


async def test_api_key_round_trip_keeps_every_field(store: Store) -> None:
    key = make_api_key("org_a", scopes=[ApiScope.POSTS_READ, ApiScope.AUDIT_READ],
                       last_used_at=at(1), rotated_at=at(2), revoked_at=at(3))
    await store.insert_api_key(key)

    assert await store.find_api_key(key.id) == key


async def test_find_api_key_returns_none_for_unknown_id(store: Store) -> None:
    assert await store.find_api_key("key_missing") is None


async def test_insert_api_key_twice_conflicts(store: Store) -> None:
    key = make_api_key("org_a")
    await store.insert_api_key(key)

    with pytest.raises(Conflict):
        await store.insert_api_key(key)


async def test_list_api_keys_is_scoped_to_the_organization_oldest_first(store: Store) -> None:
    later = make_api_key("org_a", created_at=at(5))
    first = make_api_key("org_a")
    for key in (later, first, make_api_key("org_b")):
        await store.insert_api_key(key)

    assert await store.list_api_keys("org_a") == [first, later]


async def test_update_api_key_of_another_organization_is_not_found(store: Store) -> None:
    key = make_api_key("org_a")
    await store.insert_api_key(key)

    with pytest.raises(NotFound):
        await store.update_api_key(key.model_copy(update={"org_id": "org_b"}))
    await store.update_api_key(key.model_copy(update={"revoked_at": at(1)}))
    assert (await store.find_api_key(key.id)).revoked_at == at(1)  # type: ignore[union-attr]


async def test_touch_api_key_sets_last_use_and_keeps_a_revocation(store: Store) -> None:
    key = make_api_key("org_a")
    await store.insert_api_key(key)
    await store.update_api_key(key.model_copy(update={"revoked_at": at(1)}))

    await store.touch_api_key(key.id, at(2))

    found = await store.find_api_key(key.id)
    assert found is not None
    assert (found.last_used_at, found.revoked_at) == (at(2), at(1))
