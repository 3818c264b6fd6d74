"""An organization's billing state: what PostFlow last read of its Stripe subscription.

Stored with the organization (its JSON document), so records written before billing existed
read as "never subscribed". Stripe is the source of this state: it is only ever set from a
subscription retrieved from Stripe (:mod:`postflow.usecases.billing.subscription_sync`).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from postflow.clock import UtcDatetime


class SubscriptionStatus(StrEnum):
    """Stripe's subscription statuses, and ``none`` for an organization that never subscribed."""

    NONE = "none"
    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"
    UNPAID = "unpaid"
    PAUSED = "paused"


class BillingState(BaseModel):
    status: SubscriptionStatus = SubscriptionStatus.NONE
    #: The plan the subscription pays for (by its price), whatever the status; the plan the
    #: organization is on follows from the status (:mod:`postflow.billing.lifecycle`).
    paid_plan: str | None = None
    #: The price of the subscription's plan item (monthly or yearly...).
    price_id: str | None = None
    trial_end: UtcDatetime | None = None
    current_period_end: UtcDatetime | None = None
    cancel_at_period_end: bool = False
    customer_id: str | None = None
    subscription_id: str | None = None
    #: While ``past_due``: when the paid plan ends unless the payment goes through.
    grace_until: UtcDatetime | None = None
    #: The grace-ending warning was sent for this ``grace_until``.
    grace_warned: bool = False
    #: Extra connected accounts billed on the add-on price, as last set on the subscription.
    addon_quantity: int = 0
    #: When the state was last read from Stripe.
    synced_at: UtcDatetime | None = None
