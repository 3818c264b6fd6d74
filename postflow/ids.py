"""Identifiers: short, URL-safe, prefixed with what they name (``post_...``, ``hook_...``)."""

from __future__ import annotations

import base64
import os
import threading
import time

_RFC_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_OUR_ALPHABET = b"0123456789abcdefghjkmnpqrstvwxyz"
_TO_OURS = bytes.maketrans(_RFC_ALPHABET, _OUR_ALPHABET)

# Random bytes are read from the OS in blocks: one read per id costs tens of microseconds here,
# which adds up at thousands of posts a second. The pool is emptied in a forked child so two
# processes never hand out the same bytes.
_POOL_SIZE = 4096
_pool = bytearray()
_pool_lock = threading.Lock()
os.register_at_fork(after_in_child=_pool.clear)


def _random_bytes(count: int) -> bytes:
    with _pool_lock:
        if len(_pool) < count:
            _pool.extend(os.urandom(_POOL_SIZE))
        chunk = bytes(_pool[:count])
        del _pool[:count]
    return chunk


def new_id(prefix: str) -> str:
    """Return a new random id such as ``post_3kq7w9c2v1mzs8ha4d0e`` (100 random bits)."""
    text = base64.b32encode(_random_bytes(15)).translate(_TO_OURS)[:20].decode("ascii")
    return f"{prefix}_{text}"


_last_ns = 0


def new_sortable_id(prefix: str) -> str:
    """Like :func:`new_id`, but ids made later in this process sort after earlier ones.

    Used for append-only records (audit events) whose order within one millisecond matters.
    """
    global _last_ns
    stamp = max(time.time_ns(), _last_ns + 1)
    _last_ns = stamp
    return f"{prefix}_{stamp:016x}{new_id('')[1:9]}"
