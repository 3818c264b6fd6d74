"""What only the SQLite store promises: WAL, versioned migrations, several stores on one file."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from postflow.errors import Conflict
from postflow.posts import PostStatus
from postflow.store import sqlite as sqlite_module
from postflow.store.port import UsageCharge
from postflow.store.sqlite import MIGRATIONS, SqliteStore
from postflow.store.writer_lock import WriterLock
from tests.polling import eventually
from tests.postflow.store.factories import (
    make_attempt,
    make_audit_event,
    make_member,
    make_org,
    make_post,
)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "postflow.db"


@pytest.fixture
async def two_stores(db_path: Path) -> AsyncIterator[tuple[SqliteStore, SqliteStore]]:
    first = await SqliteStore.open(db_path)
    second = await SqliteStore.open(db_path)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


def read_pragma(path: Path, name: str) -> object:
    with sqlite3.connect(path) as db:
        return db.execute(f"PRAGMA {name}").fetchone()[0]


async def test_open_creates_the_parent_directory_and_turns_wal_on(db_path: Path) -> None:
    store = await SqliteStore.open(db_path)
    await store.close()

    assert read_pragma(db_path, "journal_mode") == "wal"


async def test_user_version_counts_the_applied_migrations(db_path: Path) -> None:
    store = await SqliteStore.open(db_path)
    await store.close()

    assert read_pragma(db_path, "user_version") == len(MIGRATIONS)


async def test_reopening_migrates_nothing_and_keeps_the_data(db_path: Path) -> None:
    org = make_org()
    store = await SqliteStore.open(db_path)
    await store.insert_organization(org)
    await store.close()

    reopened = await SqliteStore.open(db_path)
    try:
        assert await reopened.get_organization(org.id) == org
    finally:
        await reopened.close()
    assert read_pragma(db_path, "user_version") == len(MIGRATIONS)


async def test_a_new_migration_runs_once_on_an_existing_database(
        db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    await (await SqliteStore.open(db_path)).close()
    monkeypatch.setattr(sqlite_module, "MIGRATIONS",
                        (*MIGRATIONS, ("CREATE TABLE extra (id TEXT PRIMARY KEY)",)))

    for _ in range(2):  # the second open would fail if the migration ran again
        await (await SqliteStore.open(db_path)).close()

    assert read_pragma(db_path, "user_version") == len(MIGRATIONS) + 1


async def test_a_failing_migration_is_rolled_back_whole(
        db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    await (await SqliteStore.open(db_path)).close()
    broken = ("CREATE TABLE half_done (id TEXT)", "THIS IS NOT SQL")
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", (*MIGRATIONS, broken))

    with pytest.raises(sqlite3.OperationalError):
        await SqliteStore.open(db_path)

    assert read_pragma(db_path, "user_version") == len(MIGRATIONS)
    with sqlite3.connect(db_path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in tables


async def test_a_member_written_before_linked_identities_reads_with_its_one_identity(
        db_path: Path) -> None:
    member = make_member("org_a")
    store = await SqliteStore.open(db_path)
    try:
        await store.insert_member(member)
        with sqlite3.connect(db_path) as db:  # the document as it was written before
            db.execute("UPDATE members SET doc = json_remove(doc, '$.linked_identities')")
        who = member.identity
        found = await store.find_member("org_a", who.platform, who.workspace_id, who.user_id)
    finally:
        await store.close()

    assert found is not None and found.identities == (member.identity,)


async def test_duplicate_insert_message_does_not_leak_sqlite_text(db_path: Path) -> None:
    store = await SqliteStore.open(db_path)
    try:
        await store.insert_organization(make_org(name="Acme"))
        with pytest.raises(Conflict) as caught:
            await store.insert_organization(make_org(name="Acme"))
    finally:
        await store.close()

    assert "UNIQUE" not in caught.value.message
    assert "organizations." not in caught.value.message


async def test_two_stores_on_one_file_racing_the_same_version_let_exactly_one_win(
        two_stores: tuple[SqliteStore, SqliteStore]) -> None:
    first, second = two_stores
    post = make_post("org_a", status=PostStatus.SCHEDULED)
    await first.insert_post(post)
    claims = [(store, post.model_copy(update={"version": 2, "created_by": f"worker{i}"}))
              for i in range(10) for store in (first, second)]

    results = await asyncio.gather(
        *(store.replace_post(claim, expected_version=1) for store, claim in claims),
        return_exceptions=True)

    winners = [claim for (_, claim), result in zip(claims, results, strict=True)
               if result is None]
    assert len(winners) == 1
    assert all(isinstance(result, Conflict) for result in results if result is not None)
    assert await second.get_post("org_a", post.id) == winners[0]


async def test_two_stores_on_one_file_consume_usage_within_the_limit(
        two_stores: tuple[SqliteStore, SqliteStore]) -> None:
    first, second = two_stores

    results = await asyncio.gather(
        *(store.consume_usage("org_a", "posts", "2025-03", limit=3)
          for _ in range(10) for store in (first, second)))

    assert sorted(r for r in results if r is not None) == [1, 2, 3]
    assert await first.get_usage("org_a", "posts", "2025-03") == 3


async def test_a_write_through_one_store_is_read_by_another_at_once(
        two_stores: tuple[SqliteStore, SqliteStore]) -> None:
    first, second = two_stores
    post = make_post("org_a")

    await first.insert_post(post)

    assert await second.get_post("org_a", post.id) == post


async def test_a_failing_write_in_a_batch_rolls_back_alone(db_path: Path) -> None:
    store = await SqliteStore.open(db_path)
    try:
        taken = make_audit_event("org_a")
        await store.append_audit(taken)
        before, broken, after = (make_post("org_a") for _ in range(3))

        # Issued together, so they run as one batch; ``broken`` writes its post, then fails on
        # an audit id that exists, and its post must go with it.
        results = await asyncio.gather(
            store.insert_post(before), store.insert_post(broken, [taken]),
            store.insert_post(after), return_exceptions=True)

        assert results[0] is None and results[2] is None
        assert isinstance(results[1], Conflict)
        assert {p.id for p in await store.list_posts("org_a")} == {before.id, after.id}
        assert [e.id for e in await store.list_audit("org_a")] == [taken.id]
    finally:
        await store.close()


async def test_posts_inserted_together_are_written_in_one_call(
        db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch of new posts goes in with one statement per kind, not three per post."""
    calls: list[int] = []
    insert_posts = sqlite_module._insert_posts

    def counted(conn: sqlite3.Connection, posts: list[Any]) -> list[tuple[bool, Any]]:
        calls.append(len(posts))
        return insert_posts(conn, posts)

    monkeypatch.setattr(sqlite_module, "_insert_posts", counted)
    store = await SqliteStore.open(db_path)
    try:
        posts = [make_post("org_a") for _ in range(20)]
        await asyncio.gather(*(store.insert_post(p, [make_audit_event("org_a")],
                                                 charge=UsageCharge("posts", "2026-11", 15))
                               for p in posts), return_exceptions=True)

        assert sum(calls) == 20
        assert max(calls) > 1
        assert len(await store.list_posts("org_a")) == 15
    finally:
        await store.close()


def writer_lock_taken(db_path: Path) -> bool:
    """Whether some store holds the writer lock of ``db_path`` (a try that does not wait)."""
    probe = WriterLock(db_path, timeout_seconds=0)
    try:
        probe.__enter__()
    except sqlite3.OperationalError:
        return True
    else:
        probe.__exit__(None, None, None)
        return False
    finally:
        probe.close()


async def test_reads_do_not_queue_behind_a_write_waiting_for_the_lock(db_path: Path) -> None:
    """Plain reads go through their own connection, so one of this store's writes stuck on
    another process's transaction holds up no read (WAL serves them meanwhile)."""
    org = make_org()
    store = await SqliteStore.open(db_path)
    outside = sqlite3.connect(db_path, isolation_level=None)
    try:
        await store.insert_organization(org)
        outside.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        write = asyncio.ensure_future(store.insert_organization(make_org()))
        await eventually(lambda: writer_lock_taken(db_path), timeout=5, interval=0.01,
                         what="the store's write reaching SQLite's lock")
        assert not write.done()  # this store's write waits for the lock ...

        assert await asyncio.wait_for(store.get_organization(org.id), 2) == org  # reads don't

        outside.execute("ROLLBACK")
        await asyncio.wait_for(write, 5)  # ... and goes through once it is free
    finally:
        outside.close()
        await store.close()


async def test_writers_in_several_stores_take_turns_through_the_writer_lock(
        two_stores: tuple[SqliteStore, SqliteStore], db_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A store waits on the lock file (woken when it frees), not in SQLite's busy sleeps."""
    first, second = two_stores
    lock = WriterLock(db_path)
    waiting = threading.Event()
    take = WriterLock.__enter__

    def taking(self: WriterLock) -> None:
        if self is not lock:
            waiting.set()
        take(self)

    monkeypatch.setattr(WriterLock, "__enter__", taking)
    try:
        await asyncio.to_thread(lock.__enter__)
        write = asyncio.ensure_future(second.insert_organization(make_org()))
        await eventually(waiting.is_set, timeout=5, interval=0.01,
                         what="the second store's write asking for the writer lock")
        assert not write.done()

        lock.__exit__(None, None, None)
        await asyncio.wait_for(write, 2)
        await first.insert_organization(make_org())
    finally:
        lock.close()
    assert (db_path.parent / (db_path.name + ".writer-lock")).exists()


async def test_an_attempt_that_cannot_be_written_leaves_the_post_unwritten(
        db_path: Path) -> None:
    """SQLite writes a post, its attempt and its events in one transaction."""
    post = make_post("org_a")
    store = await SqliteStore.open(db_path)
    try:
        await store.insert_post(post)
        attempt = make_attempt("org_a", post.id)
        await store.insert_attempt(attempt)

        with pytest.raises(Conflict):  # the same attempt id again
            await store.replace_post(post.model_copy(update={"version": post.version + 1}),
                                     expected_version=post.version, attempt=attempt,
                                     audit=[make_audit_event("org_a", subject_id=post.id)])

        assert await store.get_post("org_a", post.id) == post
        assert await store.list_audit("org_a", post.id) == []
    finally:
        await store.close()


def test_the_writer_lock_gives_up_like_busy_timeout(db_path: Path) -> None:
    """A process that keeps the lock (frozen mid-transaction) makes a writer fail, not hang."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    holder, waiter = WriterLock(db_path), WriterLock(db_path, timeout_seconds=0.2)
    try:
        holder.__enter__()
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            waiter.__enter__()
        # Its own timeout, then the error: never sooner (a monotonic deadline), and far from a
        # hang (a bound ten times the timeout, for a busy machine).
        assert 0.2 <= time.monotonic() - started < 2

        holder.__exit__(None, None, None)
        waiter.__enter__()  # free again: taken at once
        waiter.__exit__(None, None, None)
    finally:
        holder.close()
        waiter.close()
