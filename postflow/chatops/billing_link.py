"""The billing page link an Owner gets from ``/postflow billing``: signed, short-lived, bound to
one organization and one member.

A link token is a token of :mod:`postflow.signed_tokens` whose payload is the JSON
``{"o": org id, "m": member id, "n": a random nonce}`` (the nonce makes every link a distinct
token, so the page can spend each one once; any configured secret key opens it, so rotating
keys keeps links working until they expire). Issuing writes nothing; the page checks the
signature, the expiry, and that the member is still an Owner of that organization.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from postflow.chatops.callers import Membership
from postflow.chatops.permissions import Permission, require
from postflow.chatops.replies import Reply
from postflow.errors import Unauthorized
from postflow.organizations import Member, Organization, Role
from postflow.runtime import Runtime
from postflow.signed_tokens import TokenRefused
from postflow.usecases.audit_log import record

LINK_TTL = timedelta(minutes=15)
PAGE_PATH = "/billing"
_PURPOSE = "billing-link"


@dataclass(frozen=True)
class BillingAccess:
    """What a valid link opens: the organization, and the Owner it was issued to."""

    org: Organization
    member: Member


def issue_billing_token(rt: Runtime, org_id: str, member_id: str) -> str:
    """A token for ``member_id`` of ``org_id``, good for :data:`LINK_TTL`."""
    claims = json.dumps({"o": org_id, "m": member_id, "n": secrets.token_urlsafe(9)},
                        separators=(",", ":"))
    return rt.tokens.sign(_PURPOSE, claims, LINK_TTL)


def billing_url(rt: Runtime, org_id: str, member_id: str) -> str:
    """``{PUBLIC_URL}/billing?token=...``."""
    token = issue_billing_token(rt, org_id, member_id)
    return f"{rt.settings.base_url}{PAGE_PATH}?token={quote(token, safe='')}"


async def billing_link(rt: Runtime, who: Membership) -> Reply:
    """``/postflow billing``: the link, for an Owner only, seen only by them."""
    require(who.member.role, Permission.BILLING)
    minutes = int(LINK_TTL.total_seconds() // 60)
    await record(rt, who.org.id, who.actor, "billing.link_issued", who.member.id)
    return Reply(text=f"Billing of {who.org.name}: {billing_url(rt, who.org.id, who.member.id)} "
                      f"(for you only; the link works for {minutes} minutes).")


async def open_billing_token(rt: Runtime, token: str) -> BillingAccess:
    """The organization and Owner a token is for; Unauthorized with ``details["reason"]`` one
    of ``invalid``, ``expired``, ``not_owner`` otherwise."""
    try:
        claims = _claims(rt.tokens.open(_PURPOSE, token).payload)
    except TokenRefused as refused:
        if refused.reason == "expired":
            raise Unauthorized("This billing link has expired.",
                               details={"reason": "expired"}) from None
        claims = None
    if claims is None:
        raise Unauthorized("This billing link is not valid.", details={"reason": "invalid"})
    return await owner_access(rt, *claims)


async def owner_access(rt: Runtime, org_id: str, member_id: str) -> BillingAccess:
    """The organization and the member, when the member is still one of its Owners;
    Unauthorized (reason ``not_owner``) otherwise, NotFound when the organization is gone."""
    org = await rt.store.get_organization(org_id)
    member = next((m for m in await rt.store.list_members(org_id) if m.id == member_id), None)
    if member is None or member.role is not Role.OWNER:
        raise Unauthorized("Whoever this billing link was made for is no longer an Owner of "
                           "the organization.", details={"reason": "not_owner"})
    return BillingAccess(org=org, member=member)


def _claims(payload: str) -> tuple[str, str] | None:
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    org_id, member_id = data.get("o"), data.get("m")
    if not (isinstance(org_id, str) and isinstance(member_id, str)):
        return None
    return org_id, member_id
