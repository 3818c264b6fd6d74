"""OAuth ``state`` values: signed, short-lived and single-use.

A state is ``<id>.<expires unix s>.<hmac>``, signed with a key derived from the secret key, so
issuing one writes nothing; redeeming one claims its id in the store, so it works once across
every hub process. A state may carry a signed ``binding`` (``<id>.<expires>.<binding>.<hmac>``,
the binding base64url-encoded): who asked, for which organization, in which browser; it is
readable, not secret.

:func:`read_state` checks a state without spending it (to show a page, or to check the
browser first); :func:`claim_state` spends one that was read; :func:`redeem_state` does both.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from postflow.errors import Unauthorized
from postflow.runtime import Runtime
from postflow.secret_compare import same_secret

STATE_TTL = timedelta(minutes=10)
#: Longer than any state a browser key is checked against could be (its digits, in seconds).
_MAX_EXPIRES_DIGITS = 12
#: Browser keys are made by :func:`new_browser_key`; anything else in the cookie is ignored.
_BROWSER_KEY_LENGTH = 32


def _signature(key: str, purpose: str, body: str) -> str:
    derived = hmac.new(key.encode(), f"postflow oauth state {purpose}".encode(),
                       hashlib.sha256).digest()
    return hmac.new(derived, body.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


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
    expires = int((rt.clock.now() + STATE_TTL).timestamp())
    body = f"{secrets.token_urlsafe(16)}.{expires}"
    if binding:
        body += "." + base64.urlsafe_b64encode(binding.encode()).decode().rstrip("=")
    return f"{body}.{_signature(rt.settings.secret_keys()[0], purpose, body)}"


def read_state(rt: Runtime, state: str, purpose: str) -> ReadState:
    """Check ``state``'s signature and expiry without spending it; Unauthorized with
    ``details["reason"]`` ``invalid`` or ``expired`` otherwise."""
    body, _, signature = state.rpartition(".")
    state_id, _, rest = body.partition(".")
    expires_text, _, encoded_binding = rest.partition(".")
    binding = _decode_binding(encoded_binding)
    well_formed = bool(state_id and signature and binding is not None and expires_text.isascii()
                       and expires_text.isdigit() and len(expires_text) <= _MAX_EXPIRES_DIGITS)
    if not well_formed or not any(same_secret(signature, _signature(key, purpose, body))
                                  for key in rt.settings.secret_keys()):
        raise Unauthorized("This install link is not valid. Start the installation again.",
                           details={"reason": "invalid"})
    expires = datetime.fromtimestamp(int(expires_text), UTC)
    if expires <= rt.clock.now():
        raise Unauthorized("This install link has expired. Start the installation again.",
                           details={"reason": "expired"})
    return ReadState(state_id=state_id, binding=binding or "", expires_at=expires)


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


def check_browser(expected_digest: object, browser_key: str) -> None:
    """Unauthorized (reason ``browser``) unless ``browser_key`` is the key whose digest a
    state was bound to."""
    if not (isinstance(expected_digest, str) and expected_digest and is_browser_key(browser_key)
            and same_secret(browser_digest(browser_key), expected_digest)):
        raise Unauthorized("This was started in another browser than this one.",
                           details={"reason": "browser"})


def _decode_binding(encoded: str) -> str | None:
    if not encoded:
        return ""
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (binascii.Error, ValueError):
        return None
