"""Invitations to join an organization: an Admin or Owner invites an email address with a role;
the person accepts through the link mailed to them (or from chat with a short code the link's
page gives) and becomes a member with that role. See :mod:`postflow.usecases.invitations`."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from postflow.clock import UtcDatetime
from postflow.organizations import Role

#: How long an invitation can be accepted.
INVITATION_TTL = timedelta(days=7)


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"


class Invitation(BaseModel):
    """One invitation of one address to one organization, accepted at most once."""

    id: str
    org_id: str
    email: str
    role: Role
    #: Who invited, as records name actors (``slack:T1:U1``, ``cli``).
    invited_by: str
    created_at: UtcDatetime
    expires_at: UtcDatetime
    status: InvitationStatus = InvitationStatus.PENDING
    #: SHA-256 (hex) of the chat join code the accept page gave, "" until it gave one; the
    #: code itself is never stored.
    join_code_digest: str = ""
    join_code_expires_at: UtcDatetime | None = None
    #: When it was accepted or revoked, by whom, and the member accepting made.
    finished_at: UtcDatetime | None = None
    finished_by: str = ""
    member_id: str = ""
    #: How it was accepted: ``email`` (an email-only member) or a chat platform.
    accepted_on: str = Field(default="")

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def pending(self, now: datetime) -> bool:
        """Still open to accept: not accepted, revoked or expired."""
        return self.status is InvitationStatus.PENDING and not self.expired(now)
