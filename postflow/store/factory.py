"""Choosing a store backend from the settings: MongoDB when a URL is set, else SQLite."""

from __future__ import annotations

from typing import TYPE_CHECKING

from postflow.config import Settings

if TYPE_CHECKING:  # the backends are imported only when chosen
    from postflow.store.mongo import MongoStore
    from postflow.store.sqlite import SqliteStore


async def open_store(settings: Settings) -> MongoStore | SqliteStore:
    """The chosen backend, typed as itself: besides the core's :class:`Store` it keeps records
    the core does not read (the sandbox network's), which the composition root hands out."""
    if settings.mongodb_url is not None:
        from postflow.store.mongo import MongoStore

        return await MongoStore.connect(settings.mongodb_url.get_secret_value(),
                                        settings.mongodb_database)
    from postflow.store.sqlite import SqliteStore

    return await SqliteStore.open(settings.sqlite_path)
