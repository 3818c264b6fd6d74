"""What an Owner does with the subscription (the billing page calls these): subscribe through
Checkout, change between paid plans, manage billing in the Customer Portal, cancel at the
period's end or undo it, and read prices and recent invoices.

Whoever calls these has checked that the caller is an Owner. A change made here is applied at
once from Stripe's answer (the page shows it), and again when Stripe's events arrive.
"""

from __future__ import annotations

from postflow.billing.gateway import CheckoutRequest, Invoice, Price, Subscription
from postflow.billing.lifecycle import LIVE
from postflow.errors import BadInput, Conflict
from postflow.organizations import Organization
from postflow.plans import Plan
from postflow.runtime import Runtime
from postflow.usecases.audit_log import record
from postflow.usecases.billing.access import gateway
from postflow.usecases.billing.subscription_sync import apply_current

INVOICES_SHOWN = 10


def plan_for_sale(rt: Runtime, plan_key: str, price_id: str | None) -> tuple[Plan, str]:
    """The plan and the price to subscribe with (its first when ``price_id`` is None)."""
    plan = next((p for p in rt.plans.plans if p.key == plan_key), None)
    if plan is None:
        raise BadInput(f"There is no plan {plan_key!r}.", details={"plan": plan_key})
    if not plan.for_sale:
        raise BadInput(f"The {plan.name} plan is not for sale.", details={"plan": plan_key})
    price = price_id or plan.stripe_price_ids[0]
    if price not in plan.stripe_price_ids:
        raise BadInput(f"That price is not one of the {plan.name} plan's.",
                       details={"plan": plan_key, "price": price})
    return plan, price


async def start_checkout(rt: Runtime, org_id: str, plan_key: str, *, success_url: str,
                         cancel_url: str, actor: str, price_id: str | None = None) -> str:
    """The Checkout URL for a new subscription to ``plan_key`` (Conflict when one runs: change
    it instead)."""
    org = await rt.store.get_organization(org_id)
    if org.billing.status in LIVE and org.billing.subscription_id:
        raise Conflict("This organization already has a subscription: change its plan "
                       "instead.", details={"subscription": org.billing.subscription_id})
    plan, price = plan_for_sale(rt, plan_key, price_id)
    # A trial is for a first subscription: an organization that subscribed before (it has a
    # Stripe customer) starts paying at once.
    trial_days = plan.trial_days if org.billing.customer_id is None else 0
    url = await gateway(rt).create_checkout_session(CheckoutRequest(
        org_id=org.id, price_id=price, success_url=success_url, cancel_url=cancel_url,
        customer_id=org.billing.customer_id, trial_days=trial_days))
    await record(rt, org.id, actor, "billing.checkout_started", org.id, plan=plan.key,
                 price=price)
    return url


async def open_portal(rt: Runtime, org_id: str, *, return_url: str, actor: str) -> str:
    """The Customer Portal URL (cards, invoices, tax ids, cancelling)."""
    org = await rt.store.get_organization(org_id)
    if org.billing.customer_id is None:
        raise Conflict("This organization has no billing account yet: subscribe first.")
    url = await gateway(rt).create_portal_session(org.billing.customer_id, return_url)
    await record(rt, org.id, actor, "billing.portal_opened", org.id)
    return url


async def change_paid_plan(rt: Runtime, org_id: str, plan_key: str, *, actor: str,
                           price_id: str | None = None) -> Organization:
    """Move the running subscription to another paid plan (or its other price); Stripe
    prorates."""
    org, subscription = await _running(rt, org_id)
    plan, price = plan_for_sale(rt, plan_key, price_id)
    current = org.billing.price_id
    item = next((i for i in subscription.items if i.price_id == current), None) \
        or next((i for i in subscription.items if rt.plans.by_price(i.price_id)), None)
    if item is None:
        raise Conflict("The subscription has no plan item PostFlow knows; manage it in the "
                       "billing portal.")
    if item.price_id == price:
        return org
    changed = await gateway(rt).change_price(subscription.id, item.id, price)
    await record(rt, org.id, actor, "billing.plan_change_requested", org.id, plan=plan.key,
                 price=price)
    return await _applied(rt, org, changed, actor)


async def cancel_at_period_end(rt: Runtime, org_id: str, *, actor: str,
                               cancel: bool = True) -> Organization:
    """Cancel at the end of the paid period (``cancel=False``: keep the subscription after
    all). The plan stays until then."""
    org, subscription = await _running(rt, org_id)
    changed = await gateway(rt).set_cancel_at_period_end(subscription.id, cancel)
    await record(rt, org.id, actor, "billing.cancel_requested" if cancel
                 else "billing.cancel_undone", org.id)
    return await _applied(rt, org, changed, actor)


async def recent_invoices(rt: Runtime, org_id: str,
                          limit: int = INVOICES_SHOWN) -> list[Invoice]:
    """The organization's most recent invoices from Stripe (none before a first checkout)."""
    org = await rt.store.get_organization(org_id)
    if org.billing.customer_id is None:
        return []
    return await gateway(rt).list_invoices(org.billing.customer_id, limit)


async def plan_prices(rt: Runtime) -> dict[str, list[Price]]:
    """The prices of every plan for sale, by plan key, in the plans file's order."""
    ids = [price for plan in rt.plans.plans for price in plan.stripe_price_ids]
    if not ids:
        return {}
    found = {price.id: price for price in await gateway(rt).retrieve_prices(ids)}
    return {plan.key: [found[p] for p in plan.stripe_price_ids if p in found]
            for plan in rt.plans.plans if plan.for_sale}


async def _running(rt: Runtime, org_id: str) -> tuple[Organization, Subscription]:
    org = await rt.store.get_organization(org_id)
    subscription_id = org.billing.subscription_id
    if subscription_id is None or org.billing.status not in LIVE:
        raise Conflict("This organization has no running subscription: subscribe first.")
    subscription = await gateway(rt).retrieve_subscription(subscription_id)
    if subscription is None:
        raise Conflict("Stripe no longer has this organization's subscription.")
    return org, subscription


async def _applied(rt: Runtime, org: Organization, subscription: Subscription,
                   actor: str) -> Organization:
    """The organization once the changed subscription is applied (read again under the
    subscription's lock, so a concurrent event job never leaves an older state)."""
    applied = await apply_current(rt, subscription.id, actor=actor)
    return applied.org if applied is not None and applied.org is not None else org
