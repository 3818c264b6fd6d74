"""Signed requests are acted on once: the signature of each one is recorded (a store record,
shared by every hub) until its timestamp is too old to be accepted, and a request whose
signature is on record is a replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from postflow.runtime import Runtime

#: The scope of Slack's signed requests (one signing secret per app).
SLACK_SCOPE = "slack"
#: The scope of Discord's signed interactions (one public key per application).
DISCORD_SCOPE = "discord"


def hook_scope(hook_id: str) -> str:
    return f"hook:{hook_id}"


async def first_sight(rt: Runtime, scope: str, signature: str, signed_at: int,
                      tolerance_seconds: int) -> bool:
    """Record ``signature`` (signed at unix ``signed_at``, already verified); False when it was
    seen before inside its window, i.e. the request is a replay.

    The record lives until the timestamp leaves the tolerance window, after which the
    signature check itself refuses the request; the scheduler then purges it.
    """
    now = rt.clock.now()
    expires_at = max(datetime.fromtimestamp(signed_at + tolerance_seconds, UTC), now)
    return await rt.store.claim_signature(scope, signature, expires_at + timedelta(seconds=1),
                                          now)


async def purge_expired_records(rt: Runtime) -> int:
    """Delete idempotency records, seen signatures and chat drafts past their window; how
    many."""
    now = rt.clock.now()
    return (await rt.store.purge_idempotency_keys(now)
            + await rt.store.purge_seen_signatures(now)
            + await rt.store.purge_chat_drafts(now))
