"""A driver-level fake of PyMongo's ``AsyncMongoClient``, for the Mongo store's tests.

Built on ``pymongo-async-mock`` (mongomock underneath) plus the shim described in
docs/reference python-deps.md section 3: ``to_list(length)``, ``with_options``, an awaitable
``close``/``aconnect`` and ``async with``. Two more things make it behave like the real driver:

- ``tz_aware=True`` by default, as the store's production client is built.
- Every operation first yields to the event loop, as a network round trip would. mongomock is
  synchronous, so without that yield concurrent tasks never interleave and race tests prove
  nothing. Each operation itself stays atomic, as single-document operations are on a server.

TTL indexes are recorded but never applied (the store's purge does that work, and a server
applies them only about once a minute). State lives per client: a new client sees empty
databases. Not supported (by mongomock): transactions, change streams, ``array_filters``,
``list_collections``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pymongo_async_mock as pam

#: The collection methods that talk to the server, hence get a yield point first.
_COLLECTION_OPERATIONS = [
    "bulk_write", "count_documents", "create_index", "create_indexes", "delete_many",
    "delete_one", "distinct", "drop", "drop_index", "drop_indexes", "estimated_document_count",
    "find_one", "find_one_and_delete", "find_one_and_replace", "find_one_and_update",
    "index_information", "insert_many", "insert_one", "replace_one", "update_many", "update_one",
    "aggregate", "list_indexes",
]


class FakeAsyncCursor(pam.AsyncCursor):  # type: ignore[misc]
    async def to_list(self, length: int | None = None) -> list[Any]:
        # The library ignores ``length``; the real cursor stops after that many documents.
        if isinstance(length, int) and length < 1:
            raise ValueError("to_list() length must be greater than 0")
        await asyncio.sleep(0)
        out: list[Any] = []
        async for doc in self:
            out.append(doc)
            if length is not None and len(out) >= length:
                break
        return out


class FakeAsyncCommandCursor(pam.AsyncCommandCursor):  # type: ignore[misc]
    to_list = FakeAsyncCursor.to_list


def _yielding(name: str) -> Any:
    async def operation(self: FakeAsyncCollection, *args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0)
        result = await getattr(super(FakeAsyncCollection, self), name)(*args, **kwargs)
        if isinstance(result, pam.AsyncCommandCursor):
            return FakeAsyncCommandCursor(result.__dict__["_AsyncCommandCursor__cursor"])
        return result

    operation.__name__ = name
    return operation


class FakeAsyncCollection(pam.AsyncMongoMockCollection):  # type: ignore[misc]
    def _mongomock(self) -> Any:
        return self.__dict__["_AsyncMongoMockCollection__collection"]

    def find(self, *args: Any, **kwargs: Any) -> FakeAsyncCursor:
        return FakeAsyncCursor(self._mongomock().find(*args, **kwargs))

    def with_options(self, **options: Any) -> FakeAsyncCollection:
        return FakeAsyncCollection(self.database, self._mongomock().with_options(**options))


for _name in _COLLECTION_OPERATIONS:
    setattr(FakeAsyncCollection, _name, _yielding(_name))

_create_index = FakeAsyncCollection.create_index


async def _create_index_without_expiry(self: FakeAsyncCollection, *args: Any,
                                       **kwargs: Any) -> Any:
    """Create the index as asked (``index_information`` shows ``expireAfterSeconds``), but
    never expire documents: a server's TTL monitor deletes them about once a minute, at times
    no test controls, while mongomock would delete them on every read by the wall clock."""
    name = await _create_index(self, *args, **kwargs)
    self._mongomock()._store._ttl_indexes.clear()
    return name


FakeAsyncCollection.create_index = _create_index_without_expiry  # type: ignore[method-assign]


class FakeAsyncDatabase(pam.AsyncMongoMockDatabase):  # type: ignore[misc]
    def get_collection(self, *args: Any, **kwargs: Any) -> FakeAsyncCollection:
        return FakeAsyncCollection(self, self.delegate.get_collection(*args, **kwargs))

    async def command(self, *args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0)
        return await super().command(*args, **kwargs)


class FakeAsyncMongoClient(pam.AsyncMongoMockClient):  # type: ignore[misc]
    """Stands in for ``AsyncMongoClient(url, tz_aware=True)``."""

    def __init__(self, *args: Any, tz_aware: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, tz_aware=tz_aware, **kwargs)
        self.closed = False

    def get_database(self, *args: Any, **kwargs: Any) -> FakeAsyncDatabase:
        mongomock_client = self.__dict__["_AsyncMongoMockClient__client"]
        return FakeAsyncDatabase(self, mongomock_client.get_database(*args, **kwargs))

    @property
    def admin(self) -> FakeAsyncDatabase:
        return self.get_database("admin")

    async def aconnect(self) -> None:
        pass

    async def close(self) -> None:
        self.closed = True

    async def __aenter__(self) -> FakeAsyncMongoClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
