"""Who gets a kind of mail: members whose preferences want it, with a confirmed address."""

from __future__ import annotations

from postflow.email.preferences import (
    MANAGER_DEFAULTS,
    MEMBER_DEFAULTS,
    EmailKind,
    EmailPreferences,
    ordered,
)
from postflow.organizations import Member, Role
from postflow.store.records.organizations import OrganizationRecords


def effective_preferences(member: Member) -> EmailPreferences:
    """What the member chose, or their role's defaults; billing mail for Owners only."""
    chosen = member.email_preferences
    if chosen is None:
        chosen = MANAGER_DEFAULTS if member.role.allows(Role.ADMIN) else MEMBER_DEFAULTS
    if member.role is not Role.OWNER and EmailKind.BILLING in chosen.immediate:
        chosen = chosen.model_copy(update={
            "immediate": ordered(set(chosen.immediate) - {EmailKind.BILLING})})
    return chosen


def mailable(member: Member) -> bool:
    """The member has an address and confirmed it."""
    return member.email is not None and member.email.confirmed


async def members_wanting(store: OrganizationRecords, org_id: str,
                          kind: EmailKind) -> list[Member]:
    """The organization's members who want ``kind`` and have a confirmed address: for mail
    that is about no notice (the digest). Mail about a notice goes to the members it concerns
    first (:func:`postflow.notices.audience.notice_audience`, in the email sink)."""
    return [member for member in await store.list_members(org_id)
            if mailable(member) and effective_preferences(member).wants(kind)]
