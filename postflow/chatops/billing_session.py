"""The billing page's session: an Owner's ``/postflow billing`` link is spent on first use and
exchanged for a session the browser keeps in a cookie.

- Opening the link (:func:`read_link`, the hub's ``GET``) spends nothing: the page names the
  organization and offers an **Open** form, so a link previewer (a chat's unfurler) uses nothing
  up. The form carries a token (:func:`link_csrf_token`) tied to the link and to the browser's
  key (a cookie), so only the browser that opened the link can spend it.
- The link (:mod:`postflow.chatops.billing_link`) is spent by that form (:func:`exchange_link`)
  and works once: its signature is claimed in the store's seen-signature records (shared by
  every hub process) until it would have expired, so a second use, in any browser, is refused
  (reason ``used``).
- The session is a signed token of :mod:`postflow.signed_tokens` (no server-side record):
  ``{"o": org id, "m": member id, "s": random session id}``, accepted for :data:`SESSION_TTL`.
  Every request re-checks it: the signature and expiry, that the organization still exists and
  that the member is still one of its Owners.
- Each form of the page carries a CSRF token derived from the session id and the secret key, so
  it is good for that session only; a form from another session (or none) is refused.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from postflow.chatops.billing_link import LINK_TTL, BillingAccess, open_billing_token, owner_access
from postflow.errors import NotFound, Unauthorized
from postflow.runtime import Runtime
from postflow.secret_compare import same_secret
from postflow.signed_tokens import TokenRefused
from postflow.usecases.oauth_states import browser_form_token, is_browser_form_token

SESSION_TTL = timedelta(minutes=30)
_SESSION_PURPOSE = "billing-page-session"
_CSRF_PURPOSE = "billing-page-csrf"
_LINK_CSRF_PURPOSE = "billing-link-csrf"
#: The seen-signature scope of spent billing links.
_SPENT_LINKS = "billing-link"


@dataclass(frozen=True)
class PageSession:
    #: What the browser's cookie holds.
    token: str
    session_id: str
    access: BillingAccess
    expires_at: datetime


async def read_link(rt: Runtime, link_token: str) -> BillingAccess:
    """Whom a link is for, without spending it; Unauthorized with ``details["reason"]`` one of
    ``invalid``, ``expired``, ``not_owner``."""
    try:
        return await open_billing_token(rt, link_token)
    except NotFound:  # the organization is gone
        raise Unauthorized("This billing link is not valid.",
                           details={"reason": "invalid"}) from None


def link_csrf_token(rt: Runtime, link_token: str, browser_key: str) -> str:
    """The token of the link's Open form: good for this link in this browser only."""
    return browser_form_token(rt, _LINK_CSRF_PURPOSE, link_token, browser_key)


async def exchange_link(rt: Runtime, link_token: str, *, csrf: str,
                        browser_key: str) -> PageSession:
    """Spend a billing link from its Open form and start a session for its Owner; Unauthorized
    with ``details["reason"]`` one of ``browser`` (the form is not from this browser's opening
    of this link), ``invalid``, ``expired``, ``not_owner``, ``used``. Nothing is spent unless
    every check before passed."""
    if not is_browser_form_token(rt, _LINK_CSRF_PURPOSE, csrf, link_token, browser_key):
        raise Unauthorized("This form was not sent from the browser that opened the link.",
                           details={"reason": "browser"})
    access = await read_link(rt, link_token)
    now = rt.clock.now()
    signature = link_token.rsplit(".", 1)[-1]
    if not await rt.store.claim_signature(_SPENT_LINKS, signature,
                                          now + LINK_TTL + timedelta(seconds=1), now):
        raise Unauthorized("This billing link was already used.", details={"reason": "used"})
    session_id = secrets.token_urlsafe(18)
    claims = json.dumps({"o": access.org.id, "m": access.member.id, "s": session_id},
                        separators=(",", ":"))
    token = rt.tokens.sign(_SESSION_PURPOSE, claims, SESSION_TTL)
    return PageSession(token=token, session_id=session_id, access=access,
                       expires_at=now + SESSION_TTL)


async def resume_session(rt: Runtime, token: str) -> PageSession:
    """The session a cookie holds, checked again; Unauthorized with ``details["reason"]``
    ``session`` (none, forged or expired) or ``not_owner`` (no longer an Owner, or the
    organization is gone)."""
    try:
        opened = rt.tokens.open(_SESSION_PURPOSE, token)
        data = json.loads(opened.payload)
    except (TokenRefused, ValueError):
        raise Unauthorized("The billing session has ended.",
                           details={"reason": "session"}) from None
    claims = [data.get(key) for key in ("o", "m", "s")] if isinstance(data, dict) else []
    strings = [c for c in claims if isinstance(c, str) and c]
    if len(strings) != 3:
        raise Unauthorized("The billing session has ended.", details={"reason": "session"})
    org_id, member_id, session_id = strings
    try:
        access = await owner_access(rt, org_id, member_id)
    except NotFound:
        raise Unauthorized("The organization no longer exists.",
                           details={"reason": "not_owner"}) from None
    return PageSession(token=token, session_id=session_id, access=access,
                       expires_at=opened.expires_at)


def csrf_token(rt: Runtime, session: PageSession) -> str:
    """The token the page's forms carry: good for this session only."""
    return rt.tokens.derive(_CSRF_PURPOSE, session.session_id)


def is_csrf_token(rt: Runtime, session: PageSession, given: str) -> bool:
    return bool(given) and same_secret(given, csrf_token(rt, session))


