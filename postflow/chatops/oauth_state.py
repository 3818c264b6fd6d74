"""OAuth ``state`` values: signed, short-lived and single-use.

A state is ``<id>.<expires unix s>.<hmac>``, signed with a key derived from the secret key, so
issuing one writes nothing; redeeming one claims its id in the store, so it works once across
every hub process.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from postflow.errors import Unauthorized
from postflow.runtime import Runtime

STATE_TTL = timedelta(minutes=10)


def _signature(key: str, purpose: str, body: str) -> str:
    derived = hmac.new(key.encode(), f"postflow oauth state {purpose}".encode(),
                       hashlib.sha256).digest()
    return hmac.new(derived, body.encode(), hashlib.sha256).hexdigest()


def issue_state(rt: Runtime, purpose: str) -> str:
    """A new state for one trip through a platform's consent screen."""
    expires = int((rt.clock.now() + STATE_TTL).timestamp())
    body = f"{secrets.token_urlsafe(16)}.{expires}"
    return f"{body}.{_signature(rt.settings.secret_keys()[0], purpose, body)}"


async def redeem_state(rt: Runtime, state: str, purpose: str) -> None:
    """Accept ``state`` once; Unauthorized saying why otherwise (forged, expired, reused)."""
    state_id, _, rest = state.partition(".")
    expires_text, _, signature = rest.partition(".")
    body = f"{state_id}.{expires_text}"
    if not (state_id and expires_text.isdigit() and signature) or not any(
            hmac.compare_digest(signature, _signature(key, purpose, body))
            for key in rt.settings.secret_keys()):
        raise Unauthorized("This install link is not valid. Start the installation again.")
    expires = datetime.fromtimestamp(int(expires_text), UTC)
    now = rt.clock.now()
    if expires <= now:
        raise Unauthorized("This install link has expired. Start the installation again.")
    if not await rt.store.claim_oauth_state(state_id, expires, now):
        raise Unauthorized("This install link was already used. Start the installation again.")
