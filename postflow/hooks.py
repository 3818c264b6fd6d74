"""Incoming webhooks: signed HTTP entry points that create posts for one organization."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from postflow.clock import UtcDatetime
from postflow.errors import Forbidden
from postflow.hook_templates import SignatureScheme


class IncomingHook(BaseModel):
    id: str
    org_id: str
    name: str = Field(min_length=1, max_length=120)
    #: The signing secret, sealed by the token vault (HMAC needs the secret itself, not a hash).
    sealed_secret: str
    #: During a rotation the previous secret stays valid until ``previous_secret_expires_at``.
    sealed_previous_secret: str | None = None
    previous_secret_expires_at: UtcDatetime | None = None
    review_required: bool = False
    disabled: bool = False
    created_at: UtcDatetime
    #: Turns any JSON payload into the post (postflow/hook_templates.py); None: the body is
    #: PostFlow's own post request.
    template: str | None = None
    signature_scheme: SignatureScheme = SignatureScheme.POSTFLOW


class HookDisabled(Forbidden):
    """Raised for a correctly signed request to a disabled hook (unsigned ones get the unknown
    hook's 404, so a stranger learns nothing about it)."""

    code = "hook_disabled"


class IdempotencyState(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"


class IdempotencyRecord(BaseModel):
    """The first answer given for an ``Idempotency-Key``, replayed for repeats."""

    hook_id: str
    key: str
    request_hash: str
    state: IdempotencyState = IdempotencyState.IN_PROGRESS
    status_code: int | None = None
    response_body: str | None = None
    created_at: UtcDatetime
    expires_at: UtcDatetime
