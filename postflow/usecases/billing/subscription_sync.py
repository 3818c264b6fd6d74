"""Applying a subscription as Stripe has it now to the organization it belongs to.

Events arrive late, twice and out of order, so no event's content is applied: the job reads the
subscription from Stripe and applies that (:func:`apply_subscription`), which makes every order
end in Stripe's latest state. The organization is the one the subscription's
``metadata.postflow_org_id`` names, or the one linked to its customer; never a guess. A
subscription of another customer, or an older subscription while a newer one runs, changes
nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from postflow.billing.events import EventOutcome
from postflow.billing.gateway import Subscription
from postflow.billing.lifecycle import LIVE, grace_until, plan_for
from postflow.billing.state import BillingState
from postflow.errors import NotFound
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.billing.access import gateway
from postflow.usecases.billing.plan_change import settle_billing

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Applied:
    """How a subscription was applied: the outcome, the organization (when found), in words."""

    outcome: EventOutcome
    org_id: str | None
    detail: str
    org: Organization | None = None


async def find_subscriber(rt: Runtime, subscription: Subscription) -> Organization | None:
    """The organization the subscription names, else the one linked to its customer."""
    if subscription.org_id:
        try:
            return await rt.store.get_organization(subscription.org_id)
        except NotFound:
            return None
    for org in await rt.store.list_organizations():
        if org.billing.customer_id == subscription.customer_id:
            return org
    return None


async def apply_subscription(rt: Runtime, subscription: Subscription, *,
                             actor: str) -> Applied:
    """Apply ``subscription`` (as just read from Stripe) to its organization."""
    org = await find_subscriber(rt, subscription)
    if org is None:
        named = subscription.org_id or f"customer {subscription.customer_id}"
        log.warning("Stripe subscription %s is for %s, which is no organization here; "
                    "nothing applied", subscription.id, named)
        return Applied(EventOutcome.UNKNOWN_ORGANIZATION, subscription.org_id,
                       f"No organization matches {named} (deleted, or never here).")
    refusal = _refusal(org, subscription)
    if refusal is not None:
        outcome, detail = refusal
        log.warning("Stripe subscription %s not applied to organization %s: %s",
                    subscription.id, org.id, detail)
        return Applied(outcome, org.id, detail, org)
    plan = None
    item = None
    for candidate in subscription.items:
        plan = rt.plans.by_price(candidate.price_id)
        if plan is not None:
            item = candidate
            break
    if plan is None or item is None:
        prices = ", ".join(i.price_id for i in subscription.items) or "none"
        log.warning("Stripe subscription %s has no price of a configured plan (%s)",
                    subscription.id, prices)
        return Applied(EventOutcome.UNKNOWN_PRICE, org.id,
                       f"No configured plan has the subscription's prices ({prices}).", org)
    now = rt.clock.now()
    previous = org.billing
    grace = grace_until(previous, subscription.status, now,
                        timedelta(days=rt.settings.billing_grace_days))
    addon = (subscription.item_for([plan.addon_account_price_id])
             if plan.addon_account_price_id else None)
    state = BillingState(
        status=subscription.status, paid_plan=plan.key, price_id=item.price_id,
        trial_end=subscription.trial_end, current_period_end=subscription.current_period_end,
        cancel_at_period_end=subscription.cancel_at_period_end,
        customer_id=subscription.customer_id, subscription_id=subscription.id,
        grace_until=grace,
        grace_warned=previous.grace_warned and grace == previous.grace_until,
        addon_quantity=addon.quantity if addon else 0, synced_at=now)
    updated = await settle_billing(rt, org, state, actor=actor)
    return Applied(EventOutcome.APPLIED, org.id,
                   f"plan {updated.plan}, status {state.status.value}"
                   f"{', cancels at period end' if state.cancel_at_period_end else ''}", updated)


def _refusal(org: Organization, subscription: Subscription) -> tuple[EventOutcome, str] | None:
    """Why ``subscription`` must not change ``org``, if it must not."""
    current = org.billing
    if current.customer_id and current.customer_id != subscription.customer_id:
        return (EventOutcome.REFUSED,
                f"Subscription {subscription.id} is of another Stripe customer than the "
                "organization's.")
    if current.subscription_id and current.subscription_id != subscription.id \
            and current.status in LIVE and subscription.status not in LIVE:
        return (EventOutcome.IGNORED,
                f"Subscription {subscription.id} has ended; the organization's current one is "
                f"{current.subscription_id}.")
    return None


async def apply_current(rt: Runtime, subscription_id: str, *, actor: str) -> Applied | None:
    """Read the subscription from Stripe and apply it, one at a time per subscription (the
    runtime's keyed lock, shared through Redis by workers): a job that read Stripe earlier
    never writes after one that read it later. None when Stripe has no such subscription."""
    async with rt.refresh_locks.hold(f"billing:{subscription_id}"):
        subscription = await gateway(rt).retrieve_subscription(subscription_id)
        if subscription is None:
            return None
        return await apply_subscription(rt, subscription, actor=actor)


async def sync_organization(rt: Runtime, org_id: str, *, actor: str) -> Applied:
    """Read the organization's subscription from Stripe again and apply it
    (``postflow billing sync``)."""
    org = await rt.store.get_organization(org_id)
    subscription_id = org.billing.subscription_id
    if subscription_id is None:
        return Applied(EventOutcome.IGNORED, org.id,
                       "The organization has no Stripe subscription to read.", org)
    applied = await apply_current(rt, subscription_id, actor=actor)
    if applied is None:
        return Applied(EventOutcome.IGNORED, org.id,
                       f"Stripe has no subscription {subscription_id} any more.", org)
    return applied


def current_plan(rt: Runtime, state: BillingState) -> str:
    """The plan ``state`` means now (the grace period counted)."""
    return plan_for(rt.plans, state, rt.clock.now())
