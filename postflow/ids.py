"""Identifiers: short, URL-safe, prefixed with what they name (``post_...``, ``hook_...``)."""

from __future__ import annotations

import secrets
import time


def new_id(prefix: str) -> str:
    """Return a new random id such as ``post_3kq7w9c2v1mzs8ha``."""
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
    return prefix + "_" + "".join(secrets.choice(alphabet) for _ in range(20))


_last_ns = 0


def new_sortable_id(prefix: str) -> str:
    """Like :func:`new_id`, but ids made later in this process sort after earlier ones.

    Used for append-only records (audit events) whose order within one millisecond matters.
    """
    global _last_ns
    stamp = max(time.time_ns(), _last_ns + 1)
    _last_ns = stamp
    return f"{prefix}_{stamp:016x}{new_id('')[1:9]}"
