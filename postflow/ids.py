"""Identifiers: short, URL-safe, prefixed with what they name (``post_...``, ``hook_...``)."""

from __future__ import annotations

import os
import threading
import time

_OUR_ALPHABET = b"0123456789abcdefghjkmnpqrstvwxyz"
#: Byte -> one of the 32 letters by its low 5 bits: one random byte makes one uniform letter
#: (256 is a multiple of 32), in a single C-level ``translate``.
_BYTE_TO_LETTER = bytes(_OUR_ALPHABET[byte % 32] for byte in range(256))

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


def _random_letters(count: int) -> str:
    return _random_bytes(count).translate(_BYTE_TO_LETTER).decode("ascii")


def new_id(prefix: str) -> str:
    """Return a new random id such as ``post_3kq7w9c2v1mzs8ha4d0e`` (100 random bits)."""
    return f"{prefix}_{_random_letters(20)}"


_last_ns = 0


def new_sortable_id(prefix: str) -> str:
    """Like :func:`new_id`, but ids made later in this process sort after earlier ones.

    Used for append-only records (audit events) whose order within one millisecond matters.
    """
    global _last_ns
    stamp = max(time.time_ns(), _last_ns + 1)
    _last_ns = stamp
    return f"{prefix}_{stamp:016x}{_random_letters(8)}"
