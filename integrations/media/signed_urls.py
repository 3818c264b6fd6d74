"""Signed, expiring URLs for media the hub serves itself (the local store).

``GET /media/{id}?exp=<unix s>&sig=<hex>``: ``sig`` is an HMAC-SHA256 of ``"<id>.<exp>"`` under a
key derived from the secret key (its own purpose string, so it signs nothing else). Every key in
``POSTFLOW_PREVIOUS_SECRET_KEYS`` still verifies, so rotating the secret key breaks no link early.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from urllib.parse import urlencode

from postflow.errors import Forbidden

_PURPOSE = b"postflow media url v1"


def _signature(secret_key: str, media_id: str, expires: int) -> str:
    key = hmac.new(secret_key.encode("utf-8"), _PURPOSE, hashlib.sha256).digest()
    return hmac.new(key, f"{media_id}.{expires}".encode("ascii"), hashlib.sha256).hexdigest()


def signed_media_url(base_url: str, secret_key: str, media_id: str, expires: int) -> str:
    """The hub's URL for ``media_id``, valid until the Unix time ``expires``."""
    query = urlencode({"exp": expires, "sig": _signature(secret_key, media_id, expires)})
    return f"{base_url.rstrip('/')}/media/{media_id}?{query}"


def verify_media_signature(secret_keys: list[str], media_id: str, exp: str | None,
                           sig: str | None, *, now: datetime) -> None:
    """Raise Forbidden unless ``exp``/``sig`` sign ``media_id`` and have not expired."""
    if not exp or not (exp.isascii() and exp.isdigit()) or len(exp) > 12 or not sig:
        raise Forbidden("This media link is not valid.", details={"reason": "invalid"})
    matched = False
    for key in secret_keys:
        # Every key is tried: no early exit that would tell which one matched.
        matched |= hmac.compare_digest(sig.encode("ascii", "replace"),
                                       _signature(key, media_id, int(exp)).encode("ascii"))
    if not matched:
        raise Forbidden("This media link is not valid.", details={"reason": "invalid"})
    if int(exp) < now.timestamp():
        raise Forbidden("This media link has expired.", details={"reason": "expired"})
