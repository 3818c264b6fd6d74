"""Publish attempts: one record per platform call, written before the call is made.

An attempt is opened (outcome ``pending``) before the call and closed exactly once afterwards;
the stores refuse to close it twice, so a closed attempt never changes.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from postflow.clock import UtcDatetime

RAW_RESPONSE_LIMIT = 2000


class AttemptOutcome(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    #: The platform call failed in a way worth trying again later.
    RETRY = "retry"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"
    #: A check found that an earlier attempt had in fact published.
    RECONCILED = "reconciled"
    #: Recorded, then held back by the gates before the call (the account cooling down after
    #: a rate limit, or every slot of the network taken): nothing reached the network, and the
    #: target's ``attempt_count`` does not count it.
    NOT_SENT = "not_sent"


class PublishAttempt(BaseModel):
    id: str
    org_id: str
    post_id: str
    connection_id: str
    network: str
    #: What started it: ``scheduler``, ``publish_now``, ``retry``, ``reconciler``.
    trigger: str
    started_at: UtcDatetime
    finished_at: UtcDatetime | None = None
    outcome: AttemptOutcome = AttemptOutcome.PENDING
    platform_post_id: str | None = None
    url: str | None = None
    error_kind: str | None = None
    error_message: str | None = None
    #: The network's own code for the error (``403``, ``506``, ``duplicate``).
    error_code: str | None = None
    raw_response: str | None = None


def truncate_raw(raw: str | None) -> str | None:
    """Keep a platform's raw answer short enough to store and show."""
    if raw is None or len(raw) <= RAW_RESPONSE_LIMIT:
        return raw
    return raw[:RAW_RESPONSE_LIMIT] + "…[truncated]"
