"""OAuth ``state`` values: signed, short-lived and single-use.

A state is ``<id>.<expires unix s>.<hmac>``, signed with a key derived from the secret key, so
issuing one writes nothing; redeeming one claims its id in the store, so it works once across
every hub process. A state may carry a signed ``binding`` (``<id>.<expires>.<binding>.<hmac>``,
the binding base64url-encoded): who asked, for which organization; it is readable, not secret.
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

STATE_TTL = timedelta(minutes=10)


def _signature(key: str, purpose: str, body: str) -> str:
    derived = hmac.new(key.encode(), f"postflow oauth state {purpose}".encode(),
                       hashlib.sha256).digest()
    return hmac.new(derived, body.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class RedeemedState:
    """A state accepted once: its id and the binding it was issued with."""

    state_id: str
    binding: str


def issue_state(rt: Runtime, purpose: str, binding: str = "") -> str:
    """A new state for one trip through a platform's consent screen."""
    expires = int((rt.clock.now() + STATE_TTL).timestamp())
    body = f"{secrets.token_urlsafe(16)}.{expires}"
    if binding:
        body += "." + base64.urlsafe_b64encode(binding.encode()).decode().rstrip("=")
    return f"{body}.{_signature(rt.settings.secret_keys()[0], purpose, body)}"


async def redeem_state(rt: Runtime, state: str, purpose: str) -> RedeemedState:
    """Accept ``state`` once; Unauthorized saying why otherwise (forged, expired, reused), with
    ``details["reason"]`` one of ``invalid``, ``expired``, ``used``."""
    body, _, signature = state.rpartition(".")
    state_id, _, rest = body.partition(".")
    expires_text, _, encoded_binding = rest.partition(".")
    binding = _decode_binding(encoded_binding)
    if not (state_id and expires_text.isdigit() and signature and binding is not None) or not any(
            hmac.compare_digest(signature, _signature(key, purpose, body))
            for key in rt.settings.secret_keys()):
        raise Unauthorized("This install link is not valid. Start the installation again.",
                           details={"reason": "invalid"})
    expires = datetime.fromtimestamp(int(expires_text), UTC)
    now = rt.clock.now()
    if expires <= now:
        raise Unauthorized("This install link has expired. Start the installation again.",
                           details={"reason": "expired"})
    if not await rt.store.claim_oauth_state(state_id, expires, now):
        raise Unauthorized("This install link was already used. Start the installation again.",
                           details={"reason": "used"})
    return RedeemedState(state_id=state_id, binding=binding)


def _decode_binding(encoded: str) -> str | None:
    if not encoded:
        return ""
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (binascii.Error, ValueError):
        return None
