"""The connected-accounts add-on: accounts beyond the plan's included number billed per unit,
the subscription's add-on quantity kept in step as accounts are connected and removed (plans
opt in with ``addon_account_price_id``)."""

from __future__ import annotations

import logging

from postflow.billing.lifecycle import addon_lifts_cap
from postflow.organizations import Organization
from postflow.plans import Limit, check_limit
from postflow.runtime import Runtime
from postflow.usecases.audit_log import record
from postflow.usecases.billing.access import gateway
from postflow.usecases.billing.plan_enforcement import enforce_plan
from postflow.usecases.billing.subscription_sync import apply_current

log = logging.getLogger(__name__)


async def addon_quantity_wanted(rt: Runtime, org_id: str) -> int | None:
    """Extra accounts to bill now; None when the organization's plan bills none."""
    org = await rt.store.get_organization(org_id)
    plan = rt.plans.get(org.plan)
    if not addon_lifts_cap(plan, org.billing):
        return None
    included = plan.limits.get(Limit.CONNECTED_ACCOUNTS) or 0
    return max(0, await rt.store.count_connections(org_id) - included)


async def sync_addon_quantity(rt: Runtime, org_id: str, *, actor: str) -> int | None:
    """Set the subscription's add-on quantity to the accounts over the included number; the
    quantity, or None when the plan has no add-on (or billing is off)."""
    if rt.billing is None:
        return None
    quantity = await addon_quantity_wanted(rt, org_id)
    if quantity is None:
        return None
    org = await rt.store.get_organization(org_id)
    if quantity == org.billing.addon_quantity or org.billing.subscription_id is None:
        return quantity
    price_id = rt.plans.get(org.plan).addon_account_price_id
    assert price_id is not None  # addon_lifts_cap checked it
    subscription = await gateway(rt).retrieve_subscription(org.billing.subscription_id)
    if subscription is None:
        return None
    updated = await gateway(rt).set_addon_quantity(subscription, price_id, quantity)
    await record(rt, org_id, actor, "billing.addon_quantity", org_id,
                 old=org.billing.addon_quantity, new=quantity)
    await apply_current(rt, updated.id, actor=actor)
    return quantity


async def keep_addon_in_step(rt: Runtime, org_id: str, *, actor: str) -> None:
    """:func:`sync_addon_quantity` after an account was connected or removed; a Stripe outage
    is logged, not raised (the account change stands; ``postflow billing sync`` or the next
    change sets the quantity)."""
    try:
        await sync_addon_quantity(rt, org_id, actor=actor)
    except Exception:
        log.warning("could not update the connected-accounts add-on of organization %s",
                    org_id, exc_info=True)


def check_account_room(rt: Runtime, org: Organization, connected: int) -> None:
    """Refuse one more connected account over the plan's limit (LimitReached), unless the plan
    bills extra accounts through the add-on."""
    if not addon_lifts_cap(rt.plans.get(org.plan), org.billing):
        check_limit(rt.plans, org.plan, Limit.CONNECTED_ACCOUNTS, connected)


async def accounts_changed(rt: Runtime, org_id: str, *, actor: str) -> None:
    """After an account was connected or removed: resume a paused account the plan has room
    for again, and keep the add-on quantity in step."""
    org = await rt.store.get_organization(org_id)
    if any(c.paused_by_plan for c in await rt.store.list_connections(org_id)):
        await enforce_plan(rt, org, actor=actor)
    await keep_addon_in_step(rt, org_id, actor=actor)
