"""What the billing page shows of an organization, read in one call: its plan, its
subscription and what its status means, and the usage of every limit."""

from __future__ import annotations

from dataclasses import dataclass

from postflow.billing.lifecycle import LIFECYCLE
from postflow.billing.state import BillingState
from postflow.organizations import Organization
from postflow.plans import Plan
from postflow.runtime import Runtime
from postflow.usecases.billing.plan_usage import LimitUsage, usage_against_limits


@dataclass(frozen=True)
class BillingOverview:
    org: Organization
    plan: Plan
    state: BillingState
    #: What the subscription's status means, for the Owner (the lifecycle table's words).
    says: str
    usage: list[LimitUsage]
    #: Every plan for sale, smallest first (their prices: ``plan_prices``).
    plans_for_sale: list[Plan]
    #: Billing is set up in this PostFlow (Stripe's key): the page may offer its buttons.
    billing_enabled: bool


async def billing_overview(rt: Runtime, org_id: str) -> BillingOverview:
    """Reads the store only (no Stripe call)."""
    org = await rt.store.get_organization(org_id)
    return BillingOverview(org=org, plan=rt.plans.get(org.plan), state=org.billing,
                           says=LIFECYCLE[org.billing.status].says,
                           usage=await usage_against_limits(rt, org),
                           plans_for_sale=[p for p in rt.plans.plans if p.for_sale],
                           billing_enabled=rt.billing is not None)
