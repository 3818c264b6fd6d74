"""The hub's read cache: what it serves from memory, for how long, and what empties it.

``backing`` plays the shared database: a write through it is what another process would do.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import pytest

from postflow.api_keys import ApiKey, ApiScope
from postflow.connections import ConnectionStatus
from postflow.errors import NotFound
from postflow.hooks import IncomingHook
from postflow.store.port import Store
from postflow.store.read_cache import (
    CACHED_READS,
    INVALIDATING_WRITES,
    UNCACHED_READS,
    UNCACHED_WRITES,
    ReadCachedStore,
)
from postflow.store.records.connections import ConnectionRecords
from postflow.store.records.hooks import HookRecords
from postflow.store.records.organizations import OrganizationRecords
from postflow.store.sqlite import SqliteStore
from tests.postflow.store.factories import T0, make_connection, make_hook, make_org, make_post

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


# -- every method of the port, written out ------------------------------------------------------

STORE_METHODS = frozenset(name for name, _ in inspect.getmembers(Store, inspect.isfunction)
                          if not name.startswith("_"))
READS = CACHED_READS | UNCACHED_READS
WRITES = INVALIDATING_WRITES | UNCACHED_WRITES
#: How the port names its reads; checked against the cache's sets, so a write filed as a read
#: (and so never emptying the cache) stands out.
READ_VERBS = ("get_", "find_", "list_", "count_", "next_", "media_", "ping")


def test_every_store_method_is_sorted_into_exactly_one_set() -> None:
    sets = (CACHED_READS, UNCACHED_READS, INVALIDATING_WRITES, UNCACHED_WRITES)
    assert sum(len(names) for names in sets) == len(READS | WRITES)  # no name in two sets
    assert READS | WRITES == STORE_METHODS


def test_reads_and_writes_are_named_as_such() -> None:
    assert sorted(name for name in READS if not name.startswith(READ_VERBS)) == []
    assert sorted(name for name in WRITES if name.startswith(READ_VERBS)) == []


def test_the_cache_defines_every_store_method_itself() -> None:
    assert sorted(name for name in STORE_METHODS if name not in vars(ReadCachedStore)) == []
    assert not hasattr(ReadCachedStore, "__getattr__")


def test_a_method_the_port_lacks_is_an_attribute_error(cached: ReadCachedStore) -> None:
    # The backing SQLite store keeps the sandbox network's records; the cache does not forward.
    assert hasattr(cached.wrapped, "insert_sandbox_post")
    with pytest.raises(AttributeError):
        cached.insert_sandbox_post  # type: ignore[attr-defined]  # noqa: B018


@pytest.mark.parametrize("protocol", [OrganizationRecords, ConnectionRecords, HookRecords],
                         ids=lambda protocol: protocol.__name__)
def test_every_write_of_a_cached_record_type_empties_the_cache(protocol: type) -> None:
    """A new write of hooks, organizations (members, workspaces) or connections cannot be
    filed as a write that leaves the cache alone."""
    methods = {name for name in vars(protocol) if name in STORE_METHODS}
    assert methods & CACHED_READS
    assert sorted(methods & UNCACHED_WRITES) == []


class RecordingStore:
    """Answers every Store method (a cached read with a record of its kind, anything else with
    None) and records each call with its arguments, as the port's signature binds them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, object]]] = []
        connection = make_connection("org_a")
        self._answers: dict[str, object] = {
            "find_hook": make_hook("org_a"), "get_organization": make_org(),
            "get_connection": connection, "list_connections": [connection]}

    def __getattr__(self, name: str) -> Callable[..., Awaitable[object]]:
        if name not in STORE_METHODS:
            raise AttributeError(name)

        async def method(*args: object, **kwargs: object) -> object:
            self.calls.append((name, bind(name, args, kwargs)))
            return self._answers.get(name)
        return method

    def reached(self, names: Collection[str]) -> int:
        return sum(1 for name, _ in self.calls if name in names)


def bind(name: str, args: tuple[object, ...], kwargs: dict[str, object]) -> dict[str, object]:
    bound = inspect.signature(getattr(Store, name)).bind(None, *args, **kwargs)
    bound.apply_defaults()
    return {key: value for key, value in bound.arguments.items() if key != "self"}


def placeholder_call(name: str) -> tuple[tuple[object, ...], dict[str, object]]:
    """A call of the Store method ``name`` with a distinct placeholder for every parameter."""
    args: list[object] = []
    kwargs: dict[str, object] = {}
    for parameter in list(inspect.signature(getattr(Store, name)).parameters.values())[1:]:
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[parameter.name] = f"<{parameter.name}>"
        else:
            args.append(f"<{parameter.name}>")
    return tuple(args), kwargs


async def read_every_cached_kind(cached: ReadCachedStore) -> None:
    await cached.find_hook("hook_1")
    await cached.get_organization("org_a")
    await cached.get_connection("org_a", "conn_1")
    await cached.list_connections("org_a")


@pytest.mark.parametrize("name", sorted(STORE_METHODS))
async def test_every_method_reaches_the_store_with_its_arguments(name: str) -> None:
    inner = RecordingStore()
    cached = ReadCachedStore(inner, ttl_seconds=TTL)  # type: ignore[arg-type]
    args, kwargs = placeholder_call(name)

    await getattr(cached, name)(*args, **kwargs)

    assert inner.calls == [(name, bind(name, args, kwargs))]


@pytest.mark.parametrize("name", sorted(INVALIDATING_WRITES))
async def test_a_write_that_empties_the_cache_drops_every_cached_read(
        name: str, monotonic: FakeMonotonic) -> None:
    inner = RecordingStore()
    cached = ReadCachedStore(inner, ttl_seconds=TTL, monotonic=monotonic)  # type: ignore[arg-type]
    await read_every_cached_kind(cached)
    await read_every_cached_kind(cached)
    assert inner.reached(CACHED_READS) == 4  # the second round came from memory
    args, kwargs = placeholder_call(name)

    await getattr(cached, name)(*args, **kwargs)
    await read_every_cached_kind(cached)

    assert inner.reached(CACHED_READS) == 8


@pytest.mark.parametrize("name", sorted(UNCACHED_WRITES | UNCACHED_READS))
async def test_other_methods_keep_the_cached_reads(name: str, monotonic: FakeMonotonic) -> None:
    inner = RecordingStore()
    cached = ReadCachedStore(inner, ttl_seconds=TTL, monotonic=monotonic)  # type: ignore[arg-type]
    await read_every_cached_kind(cached)
    args, kwargs = placeholder_call(name)

    await getattr(cached, name)(*args, **kwargs)
    await read_every_cached_kind(cached)

    assert inner.reached(CACHED_READS) == 4


async def test_a_failed_write_still_empties_the_cache(cached: ReadCachedStore,
                                                      backing: SqliteStore) -> None:
    org = make_org(plan="free")
    await backing.insert_organization(org)
    assert await cached.get_organization(org.id) == org
    await backing.update_organization(org.model_copy(update={"plan": "elsewhere"}))

    with pytest.raises(NotFound):
        await cached.update_connection(make_connection(org.id))

    assert (await cached.get_organization(org.id)).plan == "elsewhere"


async def test_a_revoked_api_key_is_seen_at_once_through_the_cache(tmp_path: Path) -> None:
    inner = await SqliteStore.open(tmp_path / "keys.db")
    cached = ReadCachedStore(inner, ttl_seconds=60)
    try:
        key = ApiKey(id="key_1", org_id="org_1", name="cms", scopes=[ApiScope.POSTS_READ],
                     secret_hash="ab", created_by="cli", created_at=T0)
        await cached.insert_api_key(key)
        assert await cached.find_api_key("key_1") == key

        await cached.touch_api_key("key_1", T0)
        touched = await cached.find_api_key("key_1")
        await cached.update_api_key(key.model_copy(update={"revoked_at": T0}))

        assert touched is not None and touched.last_used_at == T0
        found = await cached.find_api_key("key_1")
        assert found is not None and found.revoked
    finally:
        await inner.close()
