"""Which mail a member wants: immediate mail per kind, and a digest.

Stored on the member (``Member.email_preferences``); None means the defaults of their role:
Owners and Admins get immediate mail for failures, connections, security and billing, and the
weekly digest; others get none. Billing mail goes to Owners only, whatever they chose.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from postflow.clock import UtcDatetime


class EmailKind(StrEnum):
    """A kind of mail a member can turn on and off (and unsubscribe from in one click)."""

    #: A post failed (everywhere or on some accounts).
    FAILURES = "failures"
    #: A connection broke or its access is about to expire.
    CONNECTIONS = "connections"
    #: A new connection, a role changed, an incoming hook created or rotated.
    SECURITY = "security"
    #: Plan limits and billing (Owners only).
    BILLING = "billing"
    #: The daily or weekly digest.
    DIGEST = "digest"


#: The kinds mailed as they happen (the digest has its own frequency).
IMMEDIATE_KINDS = (EmailKind.FAILURES, EmailKind.CONNECTIONS, EmailKind.SECURITY,
                   EmailKind.BILLING)


class DigestFrequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    NONE = "none"


class EmailPreferences(BaseModel):
    model_config = ConfigDict(frozen=True)

    #: The kinds mailed as they happen (a tuple in IMMEDIATE_KINDS order: it is stored as a
    #: JSON list).
    immediate: tuple[EmailKind, ...] = ()
    digest: DigestFrequency = DigestFrequency.NONE

    def wants(self, kind: EmailKind) -> bool:
        if kind is EmailKind.DIGEST:
            return self.digest is not DigestFrequency.NONE
        return kind in self.immediate

    def with_kind(self, kind: EmailKind, on: bool) -> EmailPreferences:
        """These preferences with ``kind`` turned on or off (the digest off is NONE; on, the
        weekly one unless a frequency was chosen)."""
        if kind is EmailKind.DIGEST:
            digest = (self.digest if self.digest is not DigestFrequency.NONE
                      else DigestFrequency.WEEKLY) if on else DigestFrequency.NONE
            return self.model_copy(update={"digest": digest})
        chosen = set(self.immediate) | {kind} if on else set(self.immediate) - {kind}
        return self.model_copy(update={"immediate": ordered(chosen)})


def ordered(kinds: set[EmailKind]) -> tuple[EmailKind, ...]:
    return tuple(kind for kind in IMMEDIATE_KINDS if kind in kinds)


#: What Owners and Admins get until they choose.
MANAGER_DEFAULTS = EmailPreferences(immediate=IMMEDIATE_KINDS,
                                    digest=DigestFrequency.WEEKLY)
#: What everyone else gets until they choose: nothing.
MEMBER_DEFAULTS = EmailPreferences()


class MemberEmail(BaseModel):
    """A member's address; mailed only once confirmed through the signed link sent to it."""

    model_config = ConfigDict(frozen=True)

    address: str = Field(min_length=3, max_length=254)
    #: When its owner opened the confirmation link; None until then.
    confirmed_at: UtcDatetime | None = None
    #: Where it came from: ``chat`` (``/postflow email set``), ``cli``, ``slack_profile``.
    source: str = "chat"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None
