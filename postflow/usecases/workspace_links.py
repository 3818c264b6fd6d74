"""Linking a second chat workspace (a Slack team, a Discord server) to an organization with a
one-time code, and the person who enters it to the Owner who asked for it.

An Owner asks for a code on a workspace of the organization (``/postflow link``) and enters it
on the other one (``/postflow link CODE``). The code is a token of
:mod:`postflow.signed_tokens` whose payload is the JSON ``{"o": org id, "m": member id, "n":
nonce}``: good for :data:`CODE_TTL`, and used once (its nonce is claimed in the store the way
an OAuth state is). Entering it links the workspace to the code's organization and adds the
identity that entered it to the Owner who asked: one person, one member, one role.

The workspace may be linked to nothing yet, or to an organization that installing the app just
created and that holds nothing else (this workspace, the person entering the code as its only
member, no accounts, hooks or posts): that one is left empty. Any other organization keeps it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from postflow.chat_actors import chat_actor
from postflow.errors import BadInput, Conflict, Forbidden
from postflow.organizations import ChatIdentity, Member, Organization, Role
from postflow.plans import Limit, check_limit
from postflow.posts import PostStatus
from postflow.runtime import Runtime
from postflow.signed_tokens import TokenRefused
from postflow.usecases.audit_log import record
from postflow.usecases.organizations import link_workspace

CODE_TTL = timedelta(minutes=15)
_PURPOSE = "workspace-link"
#: Claimed nonces share the OAuth states' single-use records under this prefix.
_CLAIM_PREFIX = "workspace-link:"
_ASK_AGAIN = "ask an Owner for a new one with `/postflow link`."


@dataclass(frozen=True)
class LinkCode:
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class LinkedByCode:
    """What entering a code did: the workspace is ``org``'s now, ``member`` holds the identity
    that entered it; ``emptied`` is the organization the workspace left, if any."""

    org: Organization
    member: Member
    emptied: Organization | None


@dataclass(frozen=True)
class _Claims:
    org_id: str
    member_id: str
    nonce: str
    expires_at: datetime


def issue_link_code(rt: Runtime, org: Organization, member: Member) -> LinkCode:
    """A code that links another workspace to ``org``; only an Owner gets one."""
    if member.role is not Role.OWNER or member.org_id != org.id:
        raise Forbidden("Only an Owner can link another workspace to the organization.",
                        details={"needed_role": Role.OWNER.value,
                                 "your_role": member.role.value})
    claims = json.dumps({"o": org.id, "m": member.id, "n": secrets.token_urlsafe(9)},
                        separators=(",", ":"))
    code = rt.tokens.sign(_PURPOSE, claims, CODE_TTL)
    return LinkCode(code=code, expires_at=rt.tokens.open(_PURPOSE, code).expires_at)


async def redeem_link_code(rt: Runtime, code: str, identity: ChatIdentity) -> LinkedByCode:
    """Link the workspace of ``identity`` to the organization of ``code``, and ``identity`` to
    the Owner who asked for it. Refused with a reason (nothing changed, the code still good)
    unless it can be done; a code is accepted once."""
    claims = _open(rt, code)
    org = await rt.store.get_organization(claims.org_id)
    owner = next((m for m in await rt.store.list_members(org.id) if m.id == claims.member_id),
                 None)
    if owner is None or owner.role is not Role.OWNER:
        raise Forbidden(f"Whoever asked for this code is no longer an Owner of {org.name}: "
                        f"{_ASK_AGAIN}")
    other = await rt.store.find_member(org.id, identity.platform, identity.workspace_id,
                                       identity.user_id)
    if other is not None and other.id != owner.id:
        raise Conflict(f"You are already another member of {org.name}.")
    emptied = await _leaving(rt, org, identity)
    check_limit(rt.plans, org.plan, Limit.WORKSPACES, await rt.store.count_workspaces(org.id))
    if not await rt.store.claim_oauth_state(_CLAIM_PREFIX + claims.nonce, claims.expires_at,
                                            rt.clock.now()):
        raise BadInput(f"This link code was already used: {_ASK_AGAIN}",
                       details={"reason": "used"})
    actor = chat_actor(identity)
    await _move_workspace(rt, org, emptied, identity, actor=actor)
    member = owner
    if identity not in owner.identities:
        member = owner.model_copy(
            update={"linked_identities": [*owner.linked_identities, identity]})
        await rt.store.update_member(member)
    await record(rt, org.id, actor, "member.identity_linked", member.id,
                 platform=identity.platform, user_id=identity.user_id)
    return LinkedByCode(org=org, member=member, emptied=emptied)


def _open(rt: Runtime, code: str) -> _Claims:
    try:
        opened = rt.tokens.open(_PURPOSE, code.strip())
    except TokenRefused as refused:
        if refused.reason == "expired":
            raise BadInput(f"This link code has expired: {_ASK_AGAIN}",
                           details={"reason": "expired"}) from None
        raise BadInput("That is not a PostFlow link code: paste the whole code `/postflow link` "
                       "gave, or " + _ASK_AGAIN, details={"reason": "invalid"}) from None
    try:
        data = json.loads(opened.payload)
    except ValueError:
        data = None
    values = [data.get(k) for k in ("o", "m", "n")] if isinstance(data, dict) else []
    if len(values) != 3 or not all(isinstance(v, str) and v for v in values):
        raise BadInput("That is not a PostFlow link code: " + _ASK_AGAIN,
                       details={"reason": "invalid"})
    org_id, member_id, nonce = (str(v) for v in values)
    return _Claims(org_id=org_id, member_id=member_id, nonce=nonce,
                   expires_at=opened.expires_at)


async def _leaving(rt: Runtime, org: Organization,
                   identity: ChatIdentity) -> Organization | None:
    """The organization the workspace leaves (None when it is linked to none); Conflict unless
    it may leave it."""
    workspace = await rt.store.find_workspace(identity.platform, identity.workspace_id)
    if workspace is None:
        return None
    if workspace.org_id == org.id:
        raise Conflict(f"This workspace is already linked to {org.name}.")
    current = await rt.store.get_organization(workspace.org_id)
    if not await _holds_only(rt, current, identity):
        raise Conflict(f"This workspace is linked to the organization {current.name}, which "
                       "has its own members, accounts, hooks or posts: it stays there and "
                       f"cannot be linked to {org.name}.",
                       details={"org_id": current.id})
    return current


async def _holds_only(rt: Runtime, org: Organization, identity: ChatIdentity) -> bool:
    """Whether ``org`` holds nothing but one workspace and ``identity`` as its Owner."""
    members = await rt.store.list_members(org.id)
    if len(members) != 1 or members[0].role is not Role.OWNER:
        return False
    if identity not in members[0].identities:
        return False
    return (await rt.store.count_workspaces(org.id) == 1
            and not await rt.store.list_connections(org.id)
            and not await rt.store.list_hooks(org.id)
            and not await rt.store.count_posts(org.id, list(PostStatus)))


async def _move_workspace(rt: Runtime, org: Organization, leaving: Organization | None,
                          identity: ChatIdentity, *, actor: str) -> None:
    platform, external_id = identity.platform, identity.workspace_id
    installation = await rt.store.find_chat_installation(platform, external_id)
    if leaving is None:
        await link_workspace(rt, org.id, platform, external_id, actor=actor,
                             name=installation.workspace_name if installation else "")
        return
    await rt.store.relink_workspace(platform, external_id, leaving.id, org.id)
    if installation is not None:
        await rt.store.save_chat_installation(installation.model_copy(
            update={"org_id": org.id, "updated_at": rt.clock.now()}))
    moved = await rt.store.find_workspace(platform, external_id)
    subject = moved.id if moved is not None else external_id
    await record(rt, leaving.id, actor, "workspace.moved", subject, platform=platform,
                 to_org_id=org.id)
    await record(rt, org.id, actor, "workspace.linked", subject, platform=platform,
                 from_org_id=leaving.id)
