"""What each Stripe subscription status means for an organization: one table.

``past_due`` keeps the paid plan until the grace period ends; ``canceled`` and ``unpaid`` fall
to the default plan at once. A cancellation scheduled for the period's end is Stripe's to carry
out: the subscription stays ``active`` until then, and its ``canceled`` arrives at that time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from postflow.billing.state import BillingState, SubscriptionStatus
from postflow.plans import Plan, PlanCatalog


class Standing(StrEnum):
    #: On the paid plan.
    PAID = "paid"
    #: On the paid plan until ``grace_until``, then on the default plan.
    GRACE = "grace"
    #: On the default plan.
    DEFAULT = "default"


@dataclass(frozen=True)
class StatusRule:
    standing: Standing
    #: What the Owner reads about it (the page, ``postflow org show``).
    says: str


LIFECYCLE: dict[SubscriptionStatus, StatusRule] = {
    SubscriptionStatus.NONE: StatusRule(Standing.DEFAULT, "No subscription."),
    SubscriptionStatus.INCOMPLETE: StatusRule(
        Standing.DEFAULT, "The first payment has not gone through yet."),
    SubscriptionStatus.INCOMPLETE_EXPIRED: StatusRule(
        Standing.DEFAULT, "The first payment never went through; subscribe again."),
    SubscriptionStatus.TRIALING: StatusRule(Standing.PAID, "On trial."),
    SubscriptionStatus.ACTIVE: StatusRule(Standing.PAID, "Active."),
    SubscriptionStatus.PAST_DUE: StatusRule(
        Standing.GRACE, "A payment failed: update the card before the grace period ends."),
    SubscriptionStatus.CANCELED: StatusRule(Standing.DEFAULT, "Canceled."),
    SubscriptionStatus.UNPAID: StatusRule(
        Standing.DEFAULT, "Unpaid: payments failed and the subscription stopped."),
    SubscriptionStatus.PAUSED: StatusRule(
        Standing.DEFAULT, "Paused: the trial ended without a payment method."),
}

#: Statuses of a subscription that still runs (a new checkout would be a second one).
LIVE = frozenset({SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE,
                  SubscriptionStatus.PAST_DUE, SubscriptionStatus.INCOMPLETE,
                  SubscriptionStatus.UNPAID, SubscriptionStatus.PAUSED})


def plan_for(catalog: PlanCatalog, state: BillingState, now: datetime) -> str:
    """The plan key an organization with ``state`` is on at ``now``."""
    standing = LIFECYCLE[state.status].standing
    if state.paid_plan is None or standing is Standing.DEFAULT:
        return catalog.default
    if standing is Standing.GRACE and (state.grace_until is None or now >= state.grace_until):
        return catalog.default
    return state.paid_plan


def grace_until(previous: BillingState, status: SubscriptionStatus, now: datetime,
                grace: timedelta) -> datetime | None:
    """When the grace period of a ``past_due`` subscription ends: set when it becomes past
    due, kept while it stays so, cleared otherwise."""
    if status is not SubscriptionStatus.PAST_DUE:
        return None
    if previous.status is SubscriptionStatus.PAST_DUE and previous.grace_until is not None:
        return previous.grace_until
    return now + grace


def addon_lifts_cap(plan: Plan, billing: BillingState) -> bool:
    """Accounts beyond the plan's number are billed per unit rather than refused: the plan has
    an add-on price and the organization a running subscription to bill them on."""
    return plan.addon_account_price_id is not None and billing.status in LIVE \
        and billing.subscription_id is not None
