"""Incoming hooks: creating them, rotating their secrets, and authenticating their requests."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from postflow.errors import NotFound
from postflow.hooks import IncomingHook
from postflow.ids import new_id
from postflow.posts import Post
from postflow.plans import Feature, require_feature
from postflow.runtime import Runtime
from postflow.signatures import verify_signature
from postflow.usecases.audit_log import record


@dataclass(frozen=True)
class CreatedHook:
    hook: IncomingHook
    #: Shown once, at creation; PostFlow keeps it sealed and never prints it again.
    secret: str


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


async def create_hook(rt: Runtime, org_id: str, name: str, *, actor: str,
                      review_required: bool = False) -> CreatedHook:
    org = await rt.store.get_organization(org_id)
    require_feature(rt.plans, org.plan, Feature.INCOMING_HOOKS)
    secret = _new_secret()
    hook = IncomingHook(id=new_id("hook"), org_id=org_id, name=name.strip(),
                        sealed_secret=rt.vault.seal(secret), review_required=review_required,
                        created_at=rt.clock.now())
    await rt.store.insert_hook(hook)
    await record(rt, org_id, actor, "hook.created", hook.id, name=hook.name,
                 review_required=review_required)
    return CreatedHook(hook=hook, secret=secret)


async def rotate_hook_secret(rt: Runtime, org_id: str, hook_id: str, *, actor: str,
                             overlap: timedelta = timedelta(hours=24)) -> CreatedHook:
    """Issue a new secret; the old one keeps working for ``overlap`` so senders can switch."""
    hook = await _get_hook(rt, org_id, hook_id)
    secret = _new_secret()
    rotated = hook.model_copy(update={
        "sealed_secret": rt.vault.seal(secret), "sealed_previous_secret": hook.sealed_secret,
        "previous_secret_expires_at": rt.clock.now() + overlap})
    await rt.store.update_hook(rotated)
    await record(rt, org_id, actor, "hook.secret_rotated", hook.id)
    return CreatedHook(hook=rotated, secret=secret)


async def _get_hook(rt: Runtime, org_id: str, hook_id: str) -> IncomingHook:
    hook = await rt.store.find_hook(hook_id)
    if hook is None or hook.org_id != org_id:
        raise NotFound(f"No hook {hook_id!r} in this organization.")
    return hook


async def authenticate_hook_request(rt: Runtime, hook_id: str, signature: str | None,
                                    payload: bytes) -> IncomingHook:
    """Return the hook if ``signature`` signs ``payload`` with one of its live secrets."""
    hook = await rt.store.find_hook(hook_id)
    if hook is None or hook.disabled:
        raise NotFound("No such hook. Check the URL PostFlow printed when the hook was made.")
    now = rt.clock.now()
    live = [rt.vault.open(hook.sealed_secret)]
    if (hook.sealed_previous_secret is not None and hook.previous_secret_expires_at is not None
            and hook.previous_secret_expires_at > now):
        live.append(rt.vault.open(hook.sealed_previous_secret))
    verify_signature(signature, payload, live, now=now,
                     tolerance_seconds=rt.settings.webhook_tolerance_seconds)
    return hook


#: What created a hook's posts, in ``post.source.kind``.
HOOK_SOURCE = "hook"


async def read_hook_post(rt: Runtime, hook: IncomingHook, post_id: str) -> Post:
    """A post ``hook`` created; any other post, of any organization, is not found, exactly
    as a post that does not exist."""
    try:
        post: Post | None = await rt.store.get_post(hook.org_id, post_id)
    except NotFound:
        post = None
    if post is None or post.source.kind != HOOK_SOURCE or post.source.ref != hook.id:
        raise NotFound("This hook created no post with that id.")
    return post
