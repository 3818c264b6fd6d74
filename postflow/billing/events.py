"""Stripe events as PostFlow records them: verified by the hub, recorded (id unique) before the
2xx, applied later by the ``billing`` job, and kept with how they were applied."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from postflow.clock import UtcDatetime

#: Event types whose job re-reads the subscription from Stripe and applies it (by prefix or
#: exact type); others are recorded as ignored.
SYNCED_PREFIXES = ("customer.subscription.", "invoice.")
SYNCED_TYPES = frozenset({"checkout.session.completed"})


def is_synced(event_type: str) -> bool:
    return event_type in SYNCED_TYPES or event_type.startswith(SYNCED_PREFIXES)


class EventOutcome(StrEnum):
    #: Recorded, not applied yet (the job or the sweep will).
    PENDING = "pending"
    APPLIED = "applied"
    #: A type PostFlow does not act on, or an event without a subscription.
    IGNORED = "ignored"
    #: No organization matches (none named, or it was deleted): reported, never guessed.
    UNKNOWN_ORGANIZATION = "unknown_organization"
    #: The subscription is not this organization's (another customer, or another live one).
    REFUSED = "refused"
    #: The subscription's price belongs to no configured plan.
    UNKNOWN_PRICE = "unknown_price"


class BillingEvent(BaseModel):
    id: str
    type: str
    #: When Stripe created it (its ``created``).
    created: UtcDatetime
    received_at: UtcDatetime
    #: What the event names: the organization (metadata or client_reference_id), the
    #: subscription and the customer. Only hints: the job reads the subscription from Stripe.
    org_hint: str | None = None
    subscription_id: str | None = None
    customer_id: str | None = None
    outcome: EventOutcome = EventOutcome.PENDING
    #: The organization it was applied to, once known.
    org_id: str | None = None
    applied_at: UtcDatetime | None = None
    #: How it was applied, in words ("plan pro, status active"; why it was refused).
    detail: str = ""
