"""What the billing page shows, as plain values for templates/billing.html: read from the store
(:func:`billing_overview`) and, when billing is on, Stripe's prices and recent invoices. When
Stripe cannot be reached the page still shows the plan and usage, and says so."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from postflow.billing.gateway import Invoice, Price
from postflow.billing.lifecycle import LIVE
from postflow.billing.state import SubscriptionStatus
from postflow.errors import BillingUnavailable
from postflow.plans import LIMIT_NOUNS, Limit, Plan, shown_amount
from postflow.runtime import Runtime
from postflow.usecases.billing.overview import BillingOverview, billing_overview
from postflow.usecases.billing.subscription_actions import plan_prices, recent_invoices

log = logging.getLogger(__name__)

STRIPE_DOWN = ("Stripe cannot be reached right now, so prices and invoices are not shown and "
               "plans cannot be changed. Your plan is unaffected; try again in a few minutes.")


@dataclass(frozen=True)
class UsageBar:
    name: str
    used: int
    allowed: int | None
    #: "3 of 10", "1.2 MiB of 1.0 GiB", "3 (unlimited)".
    text: str
    full: bool


@dataclass(frozen=True)
class PriceChoice:
    id: str
    #: "29.00 USD a month".
    label: str
    current: bool


@dataclass(frozen=True)
class PlanCard:
    key: str
    name: str
    current: bool
    limits: list[tuple[str, str]]
    features: list[str]
    prices: list[PriceChoice]
    trial_days: int


@dataclass(frozen=True)
class PageView:
    overview: BillingOverview
    usage: list[UsageBar]
    plans: list[PlanCard]
    invoices: list[Invoice]
    #: The subscription runs (a plan change, not a checkout; cancel is offered).
    subscribed: bool
    #: Renewal, trial end, cancellation or grace: one dated sentence each.
    dates: list[str] = field(default_factory=list)
    stripe_down: bool = False


async def page_view(rt: Runtime, org_id: str) -> PageView:
    overview = await billing_overview(rt, org_id)
    state = overview.state
    prices: dict[str, list[Price]] = {}
    invoices: list[Invoice] = []
    stripe_down = False
    if overview.billing_enabled:
        try:
            prices = await plan_prices(rt)
            invoices = await recent_invoices(rt, org_id)
        except BillingUnavailable as err:
            log.warning("billing page of %s without Stripe: %s", org_id, err.message)
            stripe_down = True
    subscribed = state.status in LIVE and state.subscription_id is not None
    plans = [_card(rt, plan, overview, prices.get(plan.key, []))
             for plan in rt.plans.plans if plan.for_sale or plan.key == rt.plans.default]
    return PageView(overview=overview, usage=[_bar(u.limit, u.used, u.allowed)
                                              for u in overview.usage],
                    plans=plans, invoices=invoices, subscribed=subscribed,
                    dates=_dates(overview), stripe_down=stripe_down)


def limit_name(limit: Limit) -> str:
    return LIMIT_NOUNS[limit].removeprefix("of ").capitalize()


def money(amount: int, currency: str) -> str:
    return f"{amount / 100:,.2f} {currency.upper()}"


def day(when: datetime) -> str:
    return f"{when.day} {when:%B %Y}"


def safe_link(url: str | None) -> bool:
    """Only web links are shown (no ``javascript:`` or ``data:`` URL from anywhere)."""
    return bool(url) and str(url).startswith(("https://", "http://"))


def _bar(limit: Limit, used: int, allowed: int | None) -> UsageBar:
    if allowed is None:
        text = f"{shown_amount(limit, used)} (unlimited)"
    else:
        text = f"{shown_amount(limit, used)} of {shown_amount(limit, allowed)}"
    return UsageBar(name=limit_name(limit), used=used, allowed=allowed, text=text,
                    full=allowed is not None and used >= allowed)


def _card(rt: Runtime, plan: Plan, overview: BillingOverview, prices: list[Price]) -> PlanCard:
    limits = [(limit_name(limit), "Unlimited" if (cap := plan.limits.get(limit)) is None
               else shown_amount(limit, cap)) for limit in Limit]
    current_price = overview.state.price_id
    return PlanCard(
        key=plan.key, name=plan.name, current=plan.key == overview.plan.key,
        limits=limits, features=sorted(f.value.replace("_", " ") for f in plan.features),
        prices=[PriceChoice(p.id, _price_label(p), p.id == current_price) for p in prices],
        trial_days=plan.trial_days if overview.state.customer_id is None else 0)


def _price_label(price: Price) -> str:
    amount = "price on request" if price.unit_amount is None \
        else money(price.unit_amount, price.currency)
    return f"{amount} a {price.interval}" if price.interval else amount


def _dates(overview: BillingOverview) -> list[str]:
    state = overview.state
    lines = []
    if state.status is SubscriptionStatus.TRIALING and state.trial_end:
        lines.append(f"The trial ends on {day(state.trial_end)}.")
    if state.status is SubscriptionStatus.PAST_DUE and state.grace_until:
        lines.append(f"The {overview.plan.name} plan stays until {day(state.grace_until)} "
                     "(the grace period); after that the organization falls to the free plan "
                     "unless the payment goes through. Update the card under Manage billing.")
    if state.current_period_end and state.status in (SubscriptionStatus.ACTIVE,
                                                     SubscriptionStatus.TRIALING):
        if state.cancel_at_period_end:
            lines.append(f"Canceled: the subscription ends on {day(state.current_period_end)}; "
                         "the plan stays until then.")
        elif state.status is SubscriptionStatus.ACTIVE:
            lines.append(f"Renews on {day(state.current_period_end)}.")
        else:
            lines.append("The first payment is taken when the trial ends.")
    return lines
