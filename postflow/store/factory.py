"""Choosing a store backend from the settings: MongoDB when a URL is set, else SQLite."""

from __future__ import annotations

from postflow.config import Settings
from postflow.store.port import Store


async def open_store(settings: Settings) -> Store:
    if settings.mongodb_url is not None:
        from postflow.store.mongo import MongoStore

        return await MongoStore.connect(settings.mongodb_url.get_secret_value(),
                                        settings.mongodb_database)
    from postflow.store.sqlite import SqliteStore

    return await SqliteStore.open(settings.sqlite_path)
