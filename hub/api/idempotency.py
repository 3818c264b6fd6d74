"""``Idempotency-Key`` on API POSTs: the first answer to a key is stored and replayed.

Keys are per organization (two keys of one organization share them, like Stripe's account-wide
keys) and live ``POSTFLOW_IDEMPOTENCY_TTL_HOURS``, in the same records as the hooks' keys under
the namespace ``api:<org id>``. The request's fingerprint is its method, path and body: the same
key with another fingerprint is a 409, and a key whose first request is still running is a 409
with ``Retry-After``. A request that fails with an error releases its key, so the caller can fix
it and retry with the same key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiohttp import web

from hub.errors import HubError
from hub.routes.hooks import idempotency_key
from postflow.errors import BadInput
from postflow.hooks import IdempotencyRecord, IdempotencyState
from postflow.runtime import Runtime

HEADER = "Idempotency-Key"


async def once_per_key(request: web.Request, rt: Runtime, org_id: str, raw_body: bytes,
                       respond: Callable[[], Awaitable[web.Response]]) -> web.Response:
    """``respond()`` once per (organization, key); without a key, simply ``respond()``."""
    key = idempotency_key(request)
    if key is None:
        return await respond()
    if not (key.isascii() and key.isprintable()):
        raise BadInput(f"The {HEADER} header must be printable ASCII, such as a UUID.",
                       details={"header": HEADER})
    namespace = f"api:{org_id}"
    fingerprint = hashlib.sha256(b"\n".join(
        (request.method.encode(), request.rel_url.raw_path.encode(), raw_body))).hexdigest()
    now = rt.clock.now()
    existing = await rt.store.reserve_idempotency_key(IdempotencyRecord(
        hook_id=namespace, key=key, request_hash=fingerprint, created_at=now,
        expires_at=now + timedelta(hours=rt.settings.idempotency_ttl_hours)))
    if existing is not None:
        return _replay(existing, fingerprint)
    try:
        response = await respond()
    except BaseException:
        await rt.store.release_idempotency_key(namespace, key)
        raise
    await rt.store.complete_idempotency_key(namespace, key, response.status,
                                            response.text or "")
    return response


def _replay(existing: IdempotencyRecord, fingerprint: str) -> web.Response:
    if existing.request_hash != fingerprint:
        raise HubError(409, "idempotency_key_reused",
                       f"This {HEADER} was already used for a different request (another "
                       "path or body); use a new key for a new request.",
                       details={"header": HEADER})
    if existing.state is not IdempotencyState.COMPLETE or existing.status_code is None:
        raise HubError(409, "idempotency_key_in_progress",
                       f"A request with this {HEADER} is in progress; retry shortly.",
                       headers={"Retry-After": "1"})
    return web.Response(status=existing.status_code, text=existing.response_body or "",
                        content_type="application/json",
                        headers={"Idempotent-Replayed": "true"})
