"""One store fixture, parametrized over every backend: the contract suite runs against each.

- ``sqlite``: a real SQLite file in a temp dir.
- ``mongo_fake``: the Mongo store over a driver-level fake of PyMongo's async API (tests/fakes).
- ``mongo_live``: the Mongo store against a real server, only when POSTFLOW_TEST_MONGODB_URL is set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from postflow.store.port import Store

BACKENDS = ["sqlite", "mongo_fake", pytest.param("mongo_live", marks=pytest.mark.mongo_live)]


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    backend = request.param
    if backend == "sqlite":
        from postflow.store.sqlite import SqliteStore

        sqlite_store = await SqliteStore.open(tmp_path / "postflow.db")
        try:
            yield sqlite_store
        finally:
            await sqlite_store.close()
    elif backend == "mongo_fake":
        from postflow.store.mongo import MongoStore
        from tests.fakes.mongo_driver import FakeAsyncMongoClient

        client = FakeAsyncMongoClient()
        mongo_store = await MongoStore.create(client, "postflow_test")
        try:
            yield mongo_store
        finally:
            await mongo_store.close()
    else:
        url = os.environ.get("POSTFLOW_TEST_MONGODB_URL")
        if not url:
            pytest.skip("POSTFLOW_TEST_MONGODB_URL is not set: no real MongoDB server here")
        from pymongo import AsyncMongoClient

        from postflow.store.mongo import MongoStore

        db_name = f"postflow_test_{uuid.uuid4().hex[:8]}"
        live_client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url, tz_aware=True)
        mongo_store = await MongoStore.create(live_client, db_name)
        try:
            yield mongo_store
        finally:
            await live_client.drop_database(db_name)
            await mongo_store.close()
