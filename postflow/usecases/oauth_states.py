"""OAuth ``state`` values: signed, short-lived and single-use.

A state is a token of :mod:`postflow.signed_tokens` (one purpose per use: Slack install, connect
link, consent, pick) whose payload is ``<id>:<binding>``, so issuing one writes nothing;
redeeming one claims its id in the store, so it works once across every hub process. The
binding (who asked, for which organization, in which browser) is readable, not secret.

:func:`read_state` checks a state without spending it (to show a page, or to check the
browser first); :func:`claim_state` spends one that was read; :func:`redeem_state` does both.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from postflow.errors import Unauthorized
from postflow.runtime import Runtime
from postflow.secret_compare import same_secret
from postflow.signed_tokens import TokenRefused

STATE_TTL = timedelta(minutes=10)
#: Browser keys are made by :func:`new_browser_key`; anything else in the cookie is ignored.
_BROWSER_KEY_LENGTH = 32


@dataclass(frozen=True)
class RedeemedState:
    """A state accepted once: its id and the binding it was issued with."""

    state_id: str
    binding: str


@dataclass(frozen=True)
class ReadState:
    """A state whose signature and expiry were checked, not yet spent."""

    state_id: str
    binding: str
    expires_at: datetime


def issue_state(rt: Runtime, purpose: str, binding: str = "") -> str:
    """A new state for one trip through a platform's consent screen."""
    return rt.tokens.sign(_token_purpose(purpose), f"{secrets.token_urlsafe(16)}:{binding}",
                          STATE_TTL)


def read_state(rt: Runtime, state: str, purpose: str) -> ReadState:
    """Check ``state``'s signature and expiry without spending it; Unauthorized with
    ``details["reason"]`` ``invalid`` or ``expired`` otherwise."""
    try:
        opened = rt.tokens.open(_token_purpose(purpose), state)
    except TokenRefused as refused:
        if refused.reason == "expired":
            raise Unauthorized("This install link has expired. Start the installation again.",
                               details={"reason": "expired"}) from None
        raise Unauthorized("This install link is not valid. Start the installation again.",
                           details={"reason": "invalid"}) from None
    state_id, _, binding = opened.payload.partition(":")
    return ReadState(state_id=state_id, binding=binding, expires_at=opened.expires_at)


async def claim_state(rt: Runtime, read: ReadState) -> RedeemedState:
    """Spend a state :func:`read_state` accepted; Unauthorized (reason ``used``) the second
    time, in any hub process."""
    if not await rt.store.claim_oauth_state(read.state_id, read.expires_at, rt.clock.now()):
        raise Unauthorized("This install link was already used. Start the installation again.",
                           details={"reason": "used"})
    return RedeemedState(state_id=read.state_id, binding=read.binding)


async def redeem_state(rt: Runtime, state: str, purpose: str) -> RedeemedState:
    """Accept ``state`` once; Unauthorized saying why otherwise (forged, expired, reused), with
    ``details["reason"]`` one of ``invalid``, ``expired``, ``used``."""
    return await claim_state(rt, read_state(rt, state, purpose))


def new_browser_key() -> str:
    """A random key for a browser's cookie; states bound to it carry only its digest."""
    return secrets.token_urlsafe(24)


def browser_digest(browser_key: str) -> str:
    """What a state's binding holds of a browser key (the key itself stays in the cookie)."""
    return hashlib.sha256(browser_key.encode("utf-8", "surrogatepass")).hexdigest()


def is_browser_key(value: str) -> bool:
    """Whether a cookie's value is a key :func:`new_browser_key` made (length, alphabet)."""
    return len(value) == _BROWSER_KEY_LENGTH and value.isascii() and all(
        c.isalnum() or c in "-_" for c in value)


def browser_form_token(rt: Runtime, purpose: str, link_token: str, browser_key: str) -> str:
    """The token a link page's form carries (billing's Open, an invitation's Accept): good
    for that link (its signature) in that browser (its key's digest) only."""
    return rt.tokens.derive(purpose,
                            f"{link_token.rsplit('.', 1)[-1]}\n{browser_digest(browser_key)}")


def is_browser_form_token(rt: Runtime, purpose: str, token: str, link_token: str,
                          browser_key: str) -> bool:
    """Whether ``token`` is :func:`browser_form_token`'s for this link in this browser."""
    return bool(is_browser_key(browser_key) and token and same_secret(
        token, browser_form_token(rt, purpose, link_token, browser_key)))


def check_browser(expected_digest: object, browser_key: str) -> None:
    """Unauthorized (reason ``browser``) unless ``browser_key`` is the key whose digest a
    state was bound to."""
    if not (isinstance(expected_digest, str) and expected_digest and is_browser_key(browser_key)
            and same_secret(browser_digest(browser_key), expected_digest)):
        raise Unauthorized("This was started in another browser than this one.",
                           details={"reason": "browser"})


def _token_purpose(purpose: str) -> str:
    return f"oauth-state:{purpose}"
