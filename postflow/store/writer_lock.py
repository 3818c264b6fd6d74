"""One SQLite writer at a time across the processes sharing a database file, in arrival order.

SQLite lets one write transaction run at a time. A process that finds the file locked waits in
SQLite's busy handler, which sleeps 1, 2, 5, 10 ... 100 ms between tries whatever the holder
does, so with several processes writing (``postflow worker`` scaled out on the embedded store)
a writer often sleeps many times longer than the transaction it waits for. An exclusive
``flock`` on a file next to the database is taken before ``BEGIN IMMEDIATE`` and let go after
the commit: a waiting process is woken by the kernel the moment the holder is done.

The wait is bounded like SQLite's ``busy_timeout``: a process that keeps the lock longer (one
frozen mid-transaction, say) makes the others fail with "database is locked" instead of hanging.
While the lock is taken, a waiter asks again every 0.1-2 ms: a syscall each time, far below the
milliseconds SQLite's handler sleeps.

SQLite's own locking still guards the file (the sqlite3 shell or another program need not take
this lock). Where ``fcntl`` does not exist the lock does nothing and SQLite's busy handler
orders the writers as before.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from types import TracebackType

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

SUFFIX = ".writer-lock"
#: The longest a writer waits for the lock; the store's ``busy_timeout`` is the same.
TIMEOUT_SECONDS = 5.0
FIRST_POLL_SECONDS = 0.0001
LONGEST_POLL_SECONDS = 0.002


class WriterLock:
    """An exclusive lock on ``<database>.writer-lock``, held with ``with``, on one thread."""

    def __init__(self, database: Path, timeout_seconds: float = TIMEOUT_SECONDS) -> None:
        self.path = database.with_name(database.name + SUFFIX)
        self.timeout_seconds = timeout_seconds
        self._fd: int | None = None
        if fcntl is not None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)

    def __enter__(self) -> None:
        if self._fd is None:
            return
        deadline = time.monotonic() + self.timeout_seconds
        poll = FIRST_POLL_SECONDS
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise sqlite3.OperationalError(
                        f"database is locked: another process held {self.path.name} for "
                        f"{self.timeout_seconds:g} s") from None
                time.sleep(poll)
                poll = min(poll * 2, LONGEST_POLL_SECONDS)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
