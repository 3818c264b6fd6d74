"""A lane: one aiosqlite connection (so one thread) and the units of work waiting for it.

Each store method is a unit of work (a function of the sqlite3 connection) run on the lane's
thread. Units that arrive while a batch is running go together in the next trip, in one
transaction: a failing unit rolls back alone (the batch is then rerun with a savepoint per
unit), and the batch commits once ("group commit"). Neighbouring units of one kind (new posts)
may run as one call over all their items, a few statements for the whole batch. A trip to the
thread and a commit each cost far more than a statement, so under load this is what keeps the
store fast.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from postflow.store.writer_lock import WriterLock

ResultT = TypeVar("ResultT")

Work = Callable[[sqlite3.Connection], Any]
#: Most units one trip carries, to keep each write transaction short.
MAX_BATCH = 256


#: Runs the items of several units of one kind in one go; (succeeded, value or exception) per
#: item, in order. An item it fails must have written nothing; raising instead sends the whole
#: batch down the one-unit-at-a-time path.
RunMany = Callable[[sqlite3.Connection, list[Any]], list[tuple[bool, Any]]]


@dataclass
class Unit:
    work: Work
    future: asyncio.Future[Any]
    writes: bool
    #: Units next to each other with the same ``many`` run as one call of it over their items.
    many: RunMany | None = None
    item: Any = None


def run_batch(conn: sqlite3.Connection, units: list[Unit], writes: bool,
              writer_lock: WriterLock) -> list[tuple[bool, Any]]:
    """Run ``units`` in order; return (succeeded, value or exception) for each.

    With writes, the batch is one write transaction taken up front (BEGIN IMMEDIATE, so a
    unit's read-then-write never races another process). The units first run back to back;
    only if one fails is that attempt rolled back and the batch run again with a savepoint per
    unit, so the failing unit rolls back alone. Units are functions of the connection only, so
    running them again is safe, and failures are rare: most batches skip two statements a unit.
    Only read units: each statement stands alone.
    """
    if not writes:
        results: list[tuple[bool, Any]] = []
        for unit in units:
            try:
                results.append((True, unit.work(conn)))
            except Exception as err:  # handed to the unit's caller
                results.append((False, err))
        return results
    with writer_lock:
        conn.execute("BEGIN IMMEDIATE")
        try:
            together = _run_together(conn, units)
            if together is None:
                conn.execute("ROLLBACK")
                conn.execute("BEGIN IMMEDIATE")
            outcome = together if together is not None else _run_isolated(conn, units)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return outcome


def _run_together(conn: sqlite3.Connection,
                  units: list[Unit]) -> list[tuple[bool, Any]] | None:
    """Run every unit in the open transaction, neighbours of one kind in one go; None as soon
    as one raises."""
    results: list[tuple[bool, Any]] = []
    start = 0
    while start < len(units):
        unit = units[start]
        end = start + 1
        try:
            if unit.many is None:
                results.append((True, unit.work(conn)))
            else:
                while end < len(units) and units[end].many is unit.many:
                    end += 1
                results.extend(unit.many(conn, [u.item for u in units[start:end]]))
        except Exception:  # the batch is run again unit by unit, which reports it
            return None
        start = end
    return results


def _run_isolated(conn: sqlite3.Connection, units: list[Unit]) -> list[tuple[bool, Any]]:
    """Run each unit in its own savepoint of the open transaction: a failure undoes only its own."""
    results: list[tuple[bool, Any]] = []
    for unit in units:
        conn.execute("SAVEPOINT unit")
        try:
            value = unit.work(conn)
        except Exception as err:  # handed to the unit's caller
            conn.execute("ROLLBACK TO unit")
            conn.execute("RELEASE unit")
            results.append((False, err))
        else:
            conn.execute("RELEASE unit")
            results.append((True, value))
    return results


class Lane:
    """One aiosqlite connection (and so one thread) and the units waiting for it.

    Units that arrive while a batch runs go together in the next trip (group commit).
    """

    def __init__(self, connection: aiosqlite.Connection, writer_lock: WriterLock) -> None:
        self.db = connection
        self._writer_lock = writer_lock
        self._pending: list[Unit] = []
        self._drainer: asyncio.Task[None] | None = None

    async def call(self, work: Callable[[sqlite3.Connection], ResultT],
                   writes: bool, many: RunMany | None = None, item: Any = None) -> ResultT:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ResultT] = loop.create_future()
        self._pending.append(Unit(work, future, writes, many, item))
        if self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain())
        return await future

    async def close(self) -> None:
        if self._drainer is not None:
            await asyncio.gather(self._drainer, return_exceptions=True)
        await self.db.close()

    async def _drain(self) -> None:
        conn = self.db._conn
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                # aiosqlite has no public "run this function on your thread"; ``_execute`` is
                # what its own methods use.
                results = await self.db._execute(  # type: ignore[no-untyped-call]
                    run_batch, conn, batch, any(u.writes for u in batch),
                    self._writer_lock)
            except BaseException as err:  # the whole batch failed (e.g. the file is locked)
                for unit in batch:
                    if not unit.future.done():
                        unit.future.set_exception(err)
                if not isinstance(err, Exception):
                    raise
                continue
            for unit, (ok, value) in zip(batch, results, strict=True):
                if unit.future.done():  # its caller was cancelled
                    continue
                if ok:
                    unit.future.set_result(value)
                else:
                    unit.future.set_exception(value)


async def connect(path: Path, *pragmas: str) -> aiosqlite.Connection:
    # isolation_level=None: every statement commits on its own unless we BEGIN explicitly.
    connection = await aiosqlite.connect(path, isolation_level=None)
    try:
        for pragma in ("busy_timeout=5000", *pragmas):
            await connection.execute(f"PRAGMA {pragma}")
    except BaseException:
        await connection.close()
        raise
    return connection
