"""Identifiers: short, URL-safe, prefixed with what they name (``post_...``, ``hook_...``)."""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def new_id(prefix: str) -> str:
    """Return a new random id such as ``post_3kq7w9c2v1mzs8ha``."""
    # 100 random bits as 20 Crockford-style base32 characters, from one urandom read.
    number = int.from_bytes(secrets.token_bytes(13), "big") >> 4
    chars = []
    for _ in range(20):
        number, digit = divmod(number, 32)
        chars.append(_ALPHABET[digit])
    return prefix + "_" + "".join(chars)


_last_ns = 0


def new_sortable_id(prefix: str) -> str:
    """Like :func:`new_id`, but ids made later in this process sort after earlier ones.

    Used for append-only records (audit events) whose order within one millisecond matters.
    """
    global _last_ns
    stamp = max(time.time_ns(), _last_ns + 1)
    _last_ns = stamp
    return f"{prefix}_{stamp:016x}{new_id('')[1:9]}"
