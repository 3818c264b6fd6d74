"""Incoming hooks: creating, rotating, disabling and deleting them, and authenticating their
requests."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from postflow.errors import BadInput, NotFound, Unauthorized
from postflow.hook_templates import SignatureScheme
from postflow.hooks import HookDisabled, IncomingHook
from postflow.ids import new_id
from postflow.notices.events import HookCreated, HookRotated
from postflow.plans import Feature, require_feature
from postflow.posts import Post
from postflow.runtime import Runtime
from postflow.signatures import (
    GITHUB_HEADER,
    HEADER,
    request_fingerprint,
    verify_github_signature,
    verify_signature,
)
from postflow.usecases.audit_log import record
from postflow.usecases.hook_templates import check_template, template_engine
from postflow.usecases.seen_signatures import first_sight, hook_scope

#: How long the old secret keeps working after a rotation, unless told otherwise.
DEFAULT_GRACE = timedelta(hours=24)
#: The longest grace a rotation may give: an old secret that lingers is not rotated.
MAX_GRACE = timedelta(days=30)
#: The answer to an unknown hook, and to a disabled one for anybody without its secret.
UNKNOWN_HOOK = "No such hook. Check the URL PostFlow printed when the hook was made."


@dataclass(frozen=True)
class CreatedHook:
    hook: IncomingHook
    #: Shown once, at creation; PostFlow keeps it sealed and never prints it again.
    secret: str


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


async def create_hook(rt: Runtime, org_id: str, name: str, *, actor: str,
                      review_required: bool = False, template: str | None = None,
                      signature_scheme: SignatureScheme = SignatureScheme.POSTFLOW
                      ) -> CreatedHook:
    """A hook taking PostFlow's post request, or with ``template`` any JSON payload; signed
    with ``signature_scheme``."""
    org = await rt.store.get_organization(org_id)
    require_feature(rt.plans, org.plan, Feature.INCOMING_HOOKS, flags=org.feature_flags)
    if template is not None:
        template = check_template(template_engine(rt), template)
    secret = _new_secret()
    hook = IncomingHook(id=new_id("hook"), org_id=org_id, name=name.strip(),
                        sealed_secret=rt.vault.seal(secret), review_required=review_required,
                        created_at=rt.clock.now(), template=template,
                        signature_scheme=signature_scheme)
    await rt.store.insert_hook(hook)
    await record(rt, org_id, actor, "hook.created", hook.id, name=hook.name,
                 review_required=review_required, templated=template is not None,
                 signature=signature_scheme.value)
    await rt.notices.notify(HookCreated(org_id, actor, hook.id, hook_name=hook.name))
    return CreatedHook(hook=hook, secret=secret)


async def update_hook_template(rt: Runtime, org_id: str, hook_id: str, template: str | None, *,
                               actor: str,
                               signature_scheme: SignatureScheme | None = None) -> IncomingHook:
    """Give a hook a template (checked first), or take it away (None); optionally change its
    signature scheme."""
    hook = await _get_hook(rt, org_id, hook_id)
    if template is not None:
        template = check_template(template_engine(rt), template)
    changed = hook.model_copy(update={
        "template": template,
        "signature_scheme": signature_scheme or hook.signature_scheme})
    if changed != hook:
        await rt.store.update_hook(changed)
        await record(rt, org_id, actor, "hook.template_updated", hook.id,
                     templated=template is not None,
                     signature=changed.signature_scheme.value)
    return changed


async def rotate_hook_secret(rt: Runtime, org_id: str, hook_id: str, *, actor: str,
                             grace: timedelta = DEFAULT_GRACE) -> CreatedHook:
    """Issue a new secret; the current one keeps working for ``grace`` (none when zero) so
    senders can switch. Any older secret stops at once: never more than two are valid."""
    if not timedelta(0) <= grace <= MAX_GRACE:
        raise BadInput(f"The grace of a rotation is 0 to {MAX_GRACE.days} days.",
                       details={"max_grace_seconds": int(MAX_GRACE.total_seconds())})
    hook = await _get_hook(rt, org_id, hook_id)
    secret = _new_secret()
    keep_old = grace > timedelta(0)
    rotated = hook.model_copy(update={
        "sealed_secret": rt.vault.seal(secret),
        "sealed_previous_secret": hook.sealed_secret if keep_old else None,
        "previous_secret_expires_at": rt.clock.now() + grace if keep_old else None})
    await rt.store.update_hook(rotated)
    await record(rt, org_id, actor, "hook.secret_rotated", hook.id,
                 grace_seconds=int(grace.total_seconds()))
    await rt.notices.notify(HookRotated(org_id, actor, hook.id, hook_name=hook.name))
    return CreatedHook(hook=rotated, secret=secret)


async def set_hook_disabled(rt: Runtime, org_id: str, hook_id: str, disabled: bool, *,
                            actor: str) -> IncomingHook:
    """Disable a hook (its requests are refused, its secrets kept) or enable it again."""
    hook = await _get_hook(rt, org_id, hook_id)
    changed = hook.model_copy(update={"disabled": disabled})
    if changed != hook:
        await rt.store.update_hook(changed)
        await record(rt, org_id, actor, "hook.disabled" if disabled else "hook.enabled", hook.id)
    return changed


async def delete_hook(rt: Runtime, org_id: str, hook_id: str, *, actor: str) -> IncomingHook:
    """Delete a hook and its secrets for good; the posts it created stay."""
    hook = await _get_hook(rt, org_id, hook_id)
    await rt.store.delete_hook(org_id, hook_id)
    await record(rt, org_id, actor, "hook.deleted", hook.id, name=hook.name)
    return hook


async def _get_hook(rt: Runtime, org_id: str, hook_id: str) -> IncomingHook:
    hook = await rt.store.find_hook(hook_id)
    if hook is None or hook.org_id != org_id:
        raise NotFound(f"No hook {hook_id!r} in this organization.")
    return hook


async def find_requested_hook(rt: Runtime, hook_id: str) -> IncomingHook:
    """The hook a request's URL names; NotFound at once for an unknown one, before anything
    else of the request is read."""
    hook = await rt.store.find_hook(hook_id)
    if hook is None:
        raise NotFound(UNKNOWN_HOOK)
    return hook


def verify_hook_request(rt: Runtime, hook: IncomingHook, signature: str | None,
                        payload: bytes) -> int:
    """The signed timestamp if ``signature`` signs ``payload`` with one of the hook's live
    secrets. A disabled hook answers as an unknown one unless the signature is good: only the
    secret's holder learns that it is disabled."""
    now = rt.clock.now()
    live = [rt.vault.open(hook.sealed_secret)]
    if (hook.sealed_previous_secret is not None and hook.previous_secret_expires_at is not None
            and hook.previous_secret_expires_at > now):
        live.append(rt.vault.open(hook.sealed_previous_secret))
    try:
        if hook.signature_scheme is SignatureScheme.GITHUB:
            verify_github_signature(signature, payload, live)
            signed_at = int(now.timestamp())
        else:
            signed_at = verify_signature(signature, payload, live, now=now,
                                         tolerance_seconds=rt.settings.webhook_tolerance_seconds)
    except Unauthorized:
        if hook.disabled:
            raise NotFound(UNKNOWN_HOOK) from None
        raise
    if hook.disabled:
        raise HookDisabled("This hook is disabled; an admin of the organization can enable it "
                           "again with `postflow hook enable`.")
    return signed_at


async def admit_hook_post(rt: Runtime, hook: IncomingHook, signed_at: int,
                          payload: bytes) -> bool:
    """Checks made when a verified request asks for a post: the organization's plan still
    includes hooks (LimitReached naming the plan otherwise, nothing recorded), then the
    request is recorded as seen. False when it was seen before: a replay."""
    org = await rt.store.get_organization(hook.org_id)
    require_feature(rt.plans, org.plan, Feature.INCOMING_HOOKS, flags=org.feature_flags)
    if hook.signature_scheme is SignatureScheme.GITHUB:
        # No signed timestamp to bound a replay: the body itself is the request's
        # idempotency key (implicit_idempotency_key), so the same body gets the first answer.
        return True
    return await first_sight(rt, hook_scope(hook.id), request_fingerprint(signed_at, payload),
                             signed_at, rt.settings.webhook_tolerance_seconds)


def implicit_idempotency_key(hook: IncomingHook, payload: bytes) -> str | None:
    """The ``Idempotency-Key`` a request has without sending one: for a GitHub-signed hook,
    its body (GitHub signs no timestamp, so the same body is the same delivery, answered
    once for ``idempotency_ttl_hours``; one that failed can be delivered again)."""
    if hook.signature_scheme is SignatureScheme.GITHUB:
        return "github:" + hashlib.sha256(payload).hexdigest()
    return None


def signature_header_name(hook: IncomingHook) -> str:
    """The request header ``hook``'s signature comes in."""
    return GITHUB_HEADER if hook.signature_scheme is SignatureScheme.GITHUB else HEADER


async def authenticate_hook_request(rt: Runtime, hook_id: str, signature: str | None,
                                    payload: bytes) -> IncomingHook:
    """Return the hook if ``signature`` signs ``payload`` with one of its live secrets."""
    hook = await find_requested_hook(rt, hook_id)
    verify_hook_request(rt, hook, signature, payload)
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
