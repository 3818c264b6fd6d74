"""Identifiers: short, URL-safe, prefixed with what they name (``post_...``, ``hook_...``)."""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    """Return a new random id such as ``post_3kq7w9c2v1mzs8ha``."""
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
    return prefix + "_" + "".join(secrets.choice(alphabet) for _ in range(20))
