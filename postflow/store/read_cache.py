"""A short-lived, in-process read cache over a :class:`~postflow.store.port.Store`, for the hub.

Every signed webhook reads its hook, its organization and its target connections; under load
those three reads cost more than creating the post. This wrapper serves them from memory for at
most ``ttl_seconds`` (2 s by default) and delegates everything else to the wrapped store.

What may be stale, and for how long: a hook, organization or connection changed by *another*
process (the CLI rotating a secret or disabling a hook, a worker marking a connection
``needs_reconnect``, a plan change) is seen here up to ``ttl_seconds`` late. Writes made
through this wrapper empty the cache at once, so this process always reads its own writes.
Usage counters, posts and everything else are never cached.

Records are handed out as cached, not copied: callers must not change them in place (the core
never does; records are replaced through ``model_copy``).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from postflow.connections import Connection
from postflow.hooks import IncomingHook
from postflow.org_media import OrgMedia
from postflow.organizations import Organization
from postflow.posts import PostStatus
from postflow.recurrence import SeriesStatus
from postflow.store.port import Store

DEFAULT_TTL_SECONDS = 2.0
DEFAULT_MAX_ENTRIES = 1024

_Key = tuple[str, ...]


class ReadCachedStore:
    """A :class:`Store` that caches hook, organization and connection reads for a moment."""

    def __init__(self, store: Store, *, ttl_seconds: float = DEFAULT_TTL_SECONDS,
                 max_entries: int = DEFAULT_MAX_ENTRIES,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._monotonic = monotonic
        #: key -> (expires at, on ``monotonic``'s scale; value)
        self._entries: OrderedDict[_Key, tuple[float, object]] = OrderedDict()
        #: Bumped around every cached-kind write, so a read that raced a write is not kept.
        self._generation = 0

    @property
    def wrapped(self) -> Store:
        return self._store

    def __getattr__(self, name: str) -> Any:
        # Everything not cached goes straight to the wrapped store.
        return getattr(self._store, name)

    # -- cached reads ------------------------------------------------------------------------
    async def find_hook(self, hook_id: str) -> IncomingHook | None:
        key = ("hook", hook_id)
        hit = self._get(key)
        if isinstance(hit, IncomingHook):
            return hit
        generation = self._generation
        hook = await self._store.find_hook(hook_id)
        if hook is not None:  # a miss is not kept: a hook made elsewhere works at once
            self._put(key, hook, generation)
        return hook

    async def get_organization(self, org_id: str) -> Organization:
        key = ("organization", org_id)
        hit = self._get(key)
        if isinstance(hit, Organization):
            return hit
        generation = self._generation
        org = await self._store.get_organization(org_id)
        self._put(key, org, generation)
        return org

    async def get_connection(self, org_id: str, connection_id: str) -> Connection:
        key = ("connection", org_id, connection_id)
        hit = self._get(key)
        if isinstance(hit, Connection):
            return hit
        generation = self._generation
        connection = await self._store.get_connection(org_id, connection_id)
        self._put(key, connection, generation)
        return connection

    async def list_connections(self, org_id: str,
                               network: str | None = None) -> list[Connection]:
        key = ("connections", org_id, "" if network is None else f"={network}")
        hit = self._get(key)
        if not isinstance(hit, tuple):
            generation = self._generation
            hit = tuple(await self._store.list_connections(org_id, network))
            self._put(key, hit, generation)
        return list(hit)  # a fresh list: the caller may change the list, not the records

    # -- writes of cached kinds: empty the cache before and after --------------------------
    async def insert_organization(self, org: Organization) -> None:
        self._invalidate()
        try:
            await self._store.insert_organization(org)
        finally:
            self._invalidate()

    async def update_organization(self, org: Organization) -> None:
        self._invalidate()
        try:
            await self._store.update_organization(org)
        finally:
            self._invalidate()

    async def insert_connection(self, connection: Connection) -> None:
        self._invalidate()
        try:
            await self._store.insert_connection(connection)
        finally:
            self._invalidate()

    async def update_connection(self, connection: Connection) -> None:
        self._invalidate()
        try:
            await self._store.update_connection(connection)
        finally:
            self._invalidate()

    async def insert_hook(self, hook: IncomingHook) -> None:
        self._invalidate()
        try:
            await self._store.insert_hook(hook)
        finally:
            self._invalidate()

    async def update_hook(self, hook: IncomingHook) -> None:
        self._invalidate()
        try:
            await self._store.update_hook(hook)
        finally:
            self._invalidate()

    # -- media held by organizations: never cached (a tenancy check must see the last write) ---
    async def hold_media(self, media: OrgMedia, limit_bytes: int | None) -> bool:
        return await self._store.hold_media(media, limit_bytes)

    async def use_held_media(self, org_id: str, media_id: str,
                             at: datetime) -> OrgMedia | None:
        return await self._store.use_held_media(org_id, media_id, at)

    async def find_idle_media(self, unused_since: datetime, limit: int) -> list[OrgMedia]:
        return await self._store.find_idle_media(unused_since, limit)

    async def media_in_use(self, org_id: str, media_ids: Sequence[str],
                           post_statuses: Sequence[PostStatus],
                           series_statuses: Sequence[SeriesStatus]) -> set[str]:
        return await self._store.media_in_use(org_id, media_ids, post_statuses,
                                              series_statuses)

    async def media_last_named(self, org_id: str, media_ids: Sequence[str]) -> dict[str, datetime]:
        return await self._store.media_last_named(org_id, media_ids)

    async def release_held_media(self, media: OrgMedia) -> bool:
        return await self._store.release_held_media(media)

    async def count_media_holders(self, media_id: str) -> int:
        return await self._store.count_media_holders(media_id)

    async def delete_hook(self, org_id: str, hook_id: str) -> None:
        self._invalidate()
        try:
            await self._store.delete_hook(org_id, hook_id)
        finally:
            self._invalidate()

    # -- the cache itself ----------------------------------------------------------------------
    def _get(self, key: _Key) -> object:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self._monotonic():
            del self._entries[key]
            return None
        return entry[1]

    def _put(self, key: _Key, value: object, generation: int) -> None:
        if generation != self._generation:  # a write happened while this was being read
            return
        self._entries[key] = (self._monotonic() + self._ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def _invalidate(self) -> None:
        # Writes of these records are rare next to reads: emptying everything keeps it simple.
        self._generation += 1
        self._entries.clear()
