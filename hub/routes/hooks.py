"""Incoming hooks: ``POST /v1/hooks/{hook_id}`` creates a post, ``GET .../posts/{id}`` tracks it.

Both are signed (see :mod:`postflow.signatures`). The hook is looked up before the body is read
(an unknown hook is a 404 at once), the body is read within a size cap and a deadline, and the
signature is checked over the raw body before anything else is read or stored, so an unsigned
request never consumes an ``Idempotency-Key``.

Idempotency: the first answer to a key is stored and replayed for an identical body. A request
that fails releases its key, so the sender can fix the request and retry with the same key.

Replays: every signed request is recorded as seen until its timestamp expires. The same signed
request again is refused (409 ``replayed``), unless it carries an ``Idempotency-Key`` whose
answer is stored for that body: that answer is replayed, so a sender's retry still works while
a replay with a made-up key creates nothing.

Templated hooks (docs/webhooks.md, Hook templates) take any JSON payload: their template turns
it into the post request (a template error is a 422 with the template's line), or into
nothing when its ``skip`` block says so (a 200 ``{"skipped": true}``). A hook may be signed the
way GitHub signs its webhooks (``X-Hub-Signature-256``) instead of ``PostFlow-Signature``:
GitHub signs no timestamp, so such a request's body is its ``Idempotency-Key`` when it sends
none (the same body again gets the first answer).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from aiohttp import web

from hub.admission import admit_request
from hub.errors import HubError
from hub.hook_request import parse_hook_body
from hub.request_body import read_body
from hub.routes import PUBLISH_QUEUE, RUNTIME
from postflow.attempts import PublishAttempt
from postflow.errors import BadInput
from postflow.hooks import IdempotencyRecord, IdempotencyState, IncomingHook
from postflow.local_time import in_zone
from postflow.posts import Post, PostSource
from postflow.publish_queue import PublishQueue
from postflow.rate_limits import RateScope
from postflow.runtime import Runtime
from postflow.usecases.dispatch import dispatch_if_due
from postflow.usecases.hook_templates import RenderedPost, render_hook_post
from postflow.usecases.hooks import (
    HOOK_SOURCE,
    admit_hook_post,
    find_requested_hook,
    implicit_idempotency_key,
    read_hook_post,
    signature_header_name,
    verify_hook_request,
)
from postflow.usecases.submit_post import PostRequest, submit_post

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 200


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/hooks/{hook_id}", post_to_hook)
    app.router.add_get("/v1/hooks/{hook_id}/posts/{post_id}", get_hook_post)


async def post_to_hook(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    hook = await find_requested_hook(rt, request.match_info["hook_id"])
    body = await read_body(request, rt.settings.webhook_max_body_bytes,
                           rt.settings.http_body_timeout_seconds)
    signed_at = verify_hook_request(rt, hook, request.headers.get(signature_header_name(hook)),
                                    body)
    await admit_request(request, rt, hook.org_id, RateScope.HOOK, hook.id)
    key = idempotency_key(request) or implicit_idempotency_key(hook, body)
    first_sight = await admit_hook_post(rt, hook, signed_at, body)
    if key is None and not first_sight:
        raise _replayed()
    if hook.template is None:
        rendered = RenderedPost(request=parse_hook_body(body))
    else:  # a template error is a 422 naming the template's line
        rendered = await render_hook_post(rt, hook, body)

    async def accept() -> web.Response:
        if rendered.request is None:
            return web.json_response({"skipped": True, "reason": rendered.skipped})
        return await accept_post(rt, request.app[PUBLISH_QUEUE], hook, rendered.request)

    if key is None:
        return await accept()
    return await once_per_key(rt, hook, key, body, accept, replayed=not first_sight)


async def get_hook_post(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    # A GET has no body: the signed payload is the path, so a signature opens one post only.
    hook = await find_requested_hook(rt, request.match_info["hook_id"])
    verify_hook_request(rt, hook, request.headers.get(signature_header_name(hook)),
                        request.rel_url.raw_path.encode("utf-8"))
    await admit_request(request, rt, hook.org_id, RateScope.HOOK, hook.id)
    post = await read_hook_post(rt, hook, request.match_info["post_id"])
    attempts = await rt.store.list_attempts(hook.org_id, post.id)
    return web.json_response(post_progress(post, attempts))


def _replayed() -> HubError:
    return HubError(409, "replayed",
                    "This signed request was already received, and PostFlow acts on a request "
                    "once. Sign each new request with a fresh timestamp; to retry safely, send "
                    f"an {IDEMPOTENCY_HEADER}.")


def idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_IDEMPOTENCY_KEY:
        raise BadInput(f"The {IDEMPOTENCY_HEADER} header must be 1 to {MAX_IDEMPOTENCY_KEY} "
                       "characters long.", details={"header": IDEMPOTENCY_HEADER,
                                                    "max_length": MAX_IDEMPOTENCY_KEY})
    return key


async def accept_post(rt: Runtime, queue: PublishQueue, hook: IncomingHook,
                      post_request: PostRequest) -> web.Response:
    """Create the post; one due now goes straight to a worker."""
    post = await submit_post(rt, hook.org_id, post_request,
                             source=PostSource(kind=HOOK_SOURCE, ref=hook.id),
                             actor=f"hook:{hook.id}", review_required=hook.review_required)
    post = await dispatch_if_due(rt, queue, post)
    return web.json_response(
        {"post_id": post.id, "status": post.status.value, **scheduled_time(post),
         "status_url": f"{rt.settings.base_url}/v1/hooks/{hook.id}/posts/{post.id}"},
        status=202)


def scheduled_time(post: Post) -> dict[str, str | None]:
    """The post's time as the sender should see it: the UTC instant, how it reads in the zone
    it was chosen in, and a note when a local time had to be adjusted."""
    return {"scheduled_at": _iso(post.scheduled_at),
            "scheduled_local": _iso(in_zone(post.scheduled_at, post.timezone)
                                    if post.scheduled_at else None),
            "timezone": post.timezone, "time_note": post.time_note or None}


async def once_per_key(rt: Runtime, hook: IncomingHook, key: str, body: bytes,
                       accept: Callable[[], Awaitable[web.Response]], *,
                       replayed: bool = False) -> web.Response:
    """Run ``accept`` once for (hook, key): replay its answer for the same body. A
    ``replayed`` request (its signature was seen) only ever gets a stored answer."""
    now = rt.clock.now()
    request_hash = hashlib.sha256(body).hexdigest()
    existing = await rt.store.reserve_idempotency_key(IdempotencyRecord(
        hook_id=hook.id, key=key, request_hash=request_hash, created_at=now,
        expires_at=now + timedelta(hours=rt.settings.idempotency_ttl_hours)))
    if existing is not None:
        return replay(existing, request_hash)
    if replayed:  # a key nobody used, on a request already seen: made up by whoever replays it
        await rt.store.release_idempotency_key(hook.id, key)
        raise _replayed()
    try:
        response = await accept()
    except BaseException:
        await rt.store.release_idempotency_key(hook.id, key)
        raise
    await rt.store.complete_idempotency_key(hook.id, key, response.status, response.text or "")
    return response


def replay(existing: IdempotencyRecord, request_hash: str) -> web.Response:
    if existing.request_hash != request_hash:
        raise HubError(422, "idempotency_key_reused",
                       f"This {IDEMPOTENCY_HEADER} was already used for a different request "
                       "body; use a new key for a new request.")
    if existing.state is not IdempotencyState.COMPLETE or existing.status_code is None:
        raise HubError(409, "idempotency_key_in_progress",
                       f"A request with this {IDEMPOTENCY_HEADER} is in progress; retry shortly.",
                       headers={"Retry-After": "1"})
    return web.Response(status=existing.status_code, text=existing.response_body or "",
                        content_type="application/json",
                        headers={"Idempotent-Replayed": "true"})


def post_progress(post: Post, attempts: list[PublishAttempt]) -> dict[str, object]:
    """A post's status as a sender sees it: targets and attempts, no raw platform answers."""
    return {
        "post_id": post.id, "status": post.status.value, "status_reason": post.status_reason,
        **scheduled_time(post),
        "targets": [{"connection_id": t.connection_id, "network": t.network,
                     "status": t.status.value, "url": t.url,
                     "error": _error(t.error_kind, t.error_message, t.error_code)}
                    for t in post.targets],
        "attempts": [{"id": a.id, "connection_id": a.connection_id, "network": a.network,
                      "trigger": a.trigger, "outcome": a.outcome.value,
                      "started_at": _iso(a.started_at), "finished_at": _iso(a.finished_at),
                      "url": a.url, "error": _error(a.error_kind, a.error_message, a.error_code)}
                     for a in attempts],
    }


def _error(kind: str | None, message: str | None,
           code: str | None) -> dict[str, str | None] | None:
    """What went wrong: PostFlow's kind, a plain message, and the network's own code."""
    if kind is None and message is None:
        return None
    return {"kind": kind, "message": message, "code": code}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
