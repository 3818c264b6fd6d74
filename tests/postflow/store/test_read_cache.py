"""The hub's read cache: what it serves from memory, for how long, and what empties it.

``backing`` plays the shared database: a write through it is what another process would do.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from postflow.connections import ConnectionStatus
from postflow.errors import NotFound
from postflow.hooks import IncomingHook
from postflow.store.port import Store
from postflow.store.read_cache import ReadCachedStore
from postflow.store.sqlite import SqliteStore
from tests.postflow.store.factories import make_connection, make_hook, make_org, make_post

TTL = 2.0


@dataclass
class FakeMonotonic:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def monotonic() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
async def backing(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    sqlite_store = await SqliteStore.open(tmp_path / "postflow.db")
    try:
        yield sqlite_store
    finally:
        await sqlite_store.close()


@pytest.fixture
def cached(backing: SqliteStore, monotonic: FakeMonotonic) -> ReadCachedStore:
    return ReadCachedStore(backing, ttl_seconds=TTL, monotonic=monotonic)


async def test_a_hook_changed_elsewhere_is_seen_once_the_ttl_has_passed(
        cached: ReadCachedStore, backing: SqliteStore, monotonic: FakeMonotonic) -> None:
    hook = make_hook("org_a")
    await backing.insert_hook(hook)
    assert await cached.find_hook(hook.id) == hook

    await backing.update_hook(hook.model_copy(update={"disabled": True}))
    assert (await cached.find_hook(hook.id)) == hook  # still the cached one
    monotonic.now += TTL
    assert (await cached.find_hook(hook.id)) == hook.model_copy(update={"disabled": True})


async def test_own_hook_write_is_read_back_at_once(cached: ReadCachedStore) -> None:
    hook = make_hook("org_a")
    await cached.insert_hook(hook)
    assert await cached.find_hook(hook.id) == hook

    disabled = hook.model_copy(update={"disabled": True})
    await cached.update_hook(disabled)
    assert await cached.find_hook(hook.id) == disabled


async def test_a_missing_hook_is_not_remembered(cached: ReadCachedStore,
                                                backing: SqliteStore) -> None:
    hook = make_hook("org_a")
    assert await cached.find_hook(hook.id) is None
    await backing.insert_hook(hook)
    assert await cached.find_hook(hook.id) == hook


async def test_organization_is_cached_until_own_update(
        cached: ReadCachedStore, backing: SqliteStore) -> None:
    org = make_org(plan="free")
    await backing.insert_organization(org)
    assert await cached.get_organization(org.id) == org

    await backing.update_organization(org.model_copy(update={"plan": "elsewhere"}))
    assert (await cached.get_organization(org.id)).plan == "free"
    await cached.update_organization(org.model_copy(update={"plan": "pro"}))
    assert (await cached.get_organization(org.id)).plan == "pro"


async def test_an_unknown_organization_is_still_not_found(cached: ReadCachedStore) -> None:
    with pytest.raises(NotFound):
        await cached.get_organization("org_missing")


async def test_connection_reads_see_own_connection_writes(cached: ReadCachedStore) -> None:
    first = make_connection("org_a", network="sandbox")
    await cached.insert_connection(first)
    assert await cached.list_connections("org_a", "sandbox") == [first]
    assert await cached.get_connection("org_a", first.id) == first

    second = make_connection("org_a", network="sandbox")
    await cached.insert_connection(second)
    assert [c.id for c in await cached.list_connections("org_a", "sandbox")] == \
        [c.id for c in await cached.wrapped.list_connections("org_a", "sandbox")]
    broken = first.model_copy(update={"status": ConnectionStatus.NEEDS_RECONNECT})
    await cached.update_connection(broken)
    assert await cached.get_connection("org_a", first.id) == broken


async def test_connection_list_is_cached_per_network(cached: ReadCachedStore,
                                                     backing: SqliteStore,
                                                     monotonic: FakeMonotonic) -> None:
    await backing.insert_connection(make_connection("org_a", network="sandbox"))
    assert len(await cached.list_connections("org_a", "sandbox")) == 1
    assert len(await cached.list_connections("org_a")) == 1

    await backing.insert_connection(make_connection("org_a", network="mastodon"))
    assert len(await cached.list_connections("org_a")) == 1
    assert await cached.list_connections("org_a", "mastodon") != []  # not cached yet
    monotonic.now += TTL
    assert len(await cached.list_connections("org_a")) == 2


async def test_a_returned_connection_list_can_be_changed_without_touching_the_cache(
        cached: ReadCachedStore, backing: SqliteStore) -> None:
    await backing.insert_connection(make_connection("org_a"))
    listed = await cached.list_connections("org_a")
    listed.clear()
    assert len(await cached.list_connections("org_a")) == 1


async def test_posts_are_never_cached(cached: ReadCachedStore) -> None:
    post = make_post("org_a")
    await cached.insert_post(post)
    moved = post.model_copy(update={"version": post.version + 1, "text": "changed"})
    await cached.wrapped.replace_post(moved, post.version)
    assert (await cached.get_post("org_a", post.id)).text == "changed"


async def test_the_cache_keeps_at_most_max_entries(backing: SqliteStore,
                                                   monotonic: FakeMonotonic) -> None:
    cached = ReadCachedStore(backing, ttl_seconds=TTL, max_entries=2, monotonic=monotonic)
    hooks = [make_hook("org_a") for _ in range(3)]
    for hook in hooks:
        await backing.insert_hook(hook)
        await cached.find_hook(hook.id)
    for hook in hooks:
        await backing.update_hook(hook.model_copy(update={"disabled": True}))

    newest_first = [(await cached.find_hook(hook.id)) for hook in reversed(hooks)]
    assert [h.disabled for h in newest_first if h is not None] == [False, False, True]


@dataclass
class SlowHookStore:
    """Holds a ``find_hook`` answer until released, to race it against a write."""

    hook: IncomingHook
    release: asyncio.Event

    async def find_hook(self, hook_id: str) -> IncomingHook | None:
        answer = self.hook
        await self.release.wait()
        return answer

    async def update_hook(self, hook: IncomingHook) -> None:
        self.hook = hook


async def test_a_read_that_raced_an_own_write_is_not_kept(monotonic: FakeMonotonic) -> None:
    hook = make_hook("org_a")
    slow = SlowHookStore(hook, asyncio.Event())
    cached = ReadCachedStore(slow, ttl_seconds=TTL, monotonic=monotonic)  # type: ignore[arg-type]
    racing_read = asyncio.create_task(cached.find_hook(hook.id))
    await asyncio.sleep(0)
    disabled = hook.model_copy(update={"disabled": True})
    await cached.update_hook(disabled)
    slow.release.set()

    assert await racing_read == hook  # read before the write landed
    assert await cached.find_hook(hook.id) == disabled


def test_every_write_of_a_cached_kind_empties_the_cache() -> None:
    """A new Store method that changes hooks, organizations or connections must be overridden."""
    read_verbs = ("get_", "find_", "list_", "count_")
    cached_kinds = ("hook", "organization", "connection")
    members = [name for name, _ in inspect.getmembers(Store, inspect.isfunction)
               if not name.startswith("_")]
    writes = [name for name in members
              if any(kind in name for kind in cached_kinds) and not name.startswith(read_verbs)]
    assert writes
    assert [name for name in writes if name not in vars(ReadCachedStore)] == []
