"""The billing page link an Owner gets from ``/postflow billing``: signed, short-lived, bound to
one organization and one member.

A link token is ``<body>.<hmac>`` where the body is base64url JSON ``{"o": org id, "m": member
id, "e": expires unix s}``, signed with a key derived from the secret key (any configured key is
accepted, so rotating keys keeps links working until they expire). Issuing writes nothing; the page
checks the signature, the expiry, and that the member is still an Owner of that organization.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from postflow.chatops.callers import Membership
from postflow.chatops.permissions import Permission, require
from postflow.chatops.replies import Reply
from postflow.errors import Unauthorized
from postflow.organizations import Member, Organization, Role
from postflow.runtime import Runtime
from postflow.secret_compare import same_secret

LINK_TTL = timedelta(minutes=15)
PAGE_PATH = "/billing"


@dataclass(frozen=True)
class BillingAccess:
    """What a valid link opens: the organization, and the Owner it was issued to."""

    org: Organization
    member: Member


def _signature(key: str, body: str) -> str:
    derived = hmac.new(key.encode(), b"postflow billing link", hashlib.sha256).digest()
    return hmac.new(derived, body.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def issue_billing_token(rt: Runtime, org_id: str, member_id: str) -> str:
    """A token for ``member_id`` of ``org_id``, good for :data:`LINK_TTL`."""
    expires = int((rt.clock.now() + LINK_TTL).timestamp())
    claims = json.dumps({"o": org_id, "m": member_id, "e": expires}, separators=(",", ":"))
    body = base64.urlsafe_b64encode(claims.encode()).decode().rstrip("=")
    return f"{body}.{_signature(rt.settings.secret_keys()[0], body)}"


def billing_url(rt: Runtime, org_id: str, member_id: str) -> str:
    """``{PUBLIC_URL}/billing?token=...``."""
    token = issue_billing_token(rt, org_id, member_id)
    return f"{rt.settings.base_url}{PAGE_PATH}?token={quote(token, safe='')}"


async def billing_link(rt: Runtime, who: Membership) -> Reply:
    """``/postflow billing``: the link, for an Owner only, seen only by them."""
    require(who.member.role, Permission.BILLING)
    minutes = int(LINK_TTL.total_seconds() // 60)
    return Reply(text=f"Billing of {who.org.name}: {billing_url(rt, who.org.id, who.member.id)} "
                      f"(for you only; the link works for {minutes} minutes).")


async def open_billing_token(rt: Runtime, token: str) -> BillingAccess:
    """The organization and Owner a token is for; Unauthorized with ``details["reason"]`` one
    of ``invalid``, ``expired``, ``not_owner`` otherwise."""
    body, _, signature = token.rpartition(".")
    claims = _claims(body) if body and signature else None
    if claims is None or not any(same_secret(signature, _signature(key, body))
                                 for key in rt.settings.secret_keys()):
        raise Unauthorized("This billing link is not valid.", details={"reason": "invalid"})
    org_id, member_id, expires = claims
    if expires <= rt.clock.now().timestamp():
        raise Unauthorized("This billing link has expired.", details={"reason": "expired"})
    org = await rt.store.get_organization(org_id)
    member = next((m for m in await rt.store.list_members(org_id) if m.id == member_id), None)
    if member is None or member.role is not Role.OWNER:
        raise Unauthorized("Whoever this billing link was made for is no longer an Owner of "
                           "the organization.", details={"reason": "not_owner"})
    return BillingAccess(org=org, member=member)


def _claims(body: str) -> tuple[str, str, int] | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    org_id, member_id, expires = data.get("o"), data.get("m"), data.get("e")
    if not (isinstance(org_id, str) and isinstance(member_id, str) and isinstance(expires, int)):
        return None
    return org_id, member_id, expires
