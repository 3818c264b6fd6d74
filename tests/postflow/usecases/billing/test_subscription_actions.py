"""What an Owner does from the billing page: Checkout, plan changes, the portal, cancelling
at the period's end, prices and invoices."""

from __future__ import annotations

import pytest

from postflow.errors import BadInput, Conflict
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.billing.overview import billing_overview
from postflow.usecases.billing.subscription_actions import (
    cancel_at_period_end,
    change_paid_plan,
    open_portal,
    plan_prices,
    recent_invoices,
    start_checkout,
)
from tests.fakes.stripe_api import FakeStripe
from tests.postflow.usecases.billing.conftest import deliver_all, subscribe

URLS = {"success_url": "https://app.example/ok", "cancel_url": "https://app.example/no"}


async def test_checkout_for_a_plan_for_sale_returns_stripes_url(
        rt: Runtime, stripe: FakeStripe, org: Organization) -> None:
    url = await start_checkout(rt, org.id, "pro", actor="test", price_id="price_pro_year",
                               **URLS)

    session = next(iter(stripe.checkout_sessions.values()))
    assert url == session["url"]
    assert session["_params"]["line_items"][0]["price"] == "price_pro_year"


async def test_checkout_refuses_a_plan_not_for_sale_and_a_foreign_price(
        rt: Runtime, org: Organization) -> None:
    with pytest.raises(BadInput, match="not for sale"):
        await start_checkout(rt, org.id, "free", actor="test", **URLS)
    with pytest.raises(BadInput, match="not one of"):
        await start_checkout(rt, org.id, "pro", actor="test",
                             price_id="price_business_month", **URLS)


async def test_a_second_checkout_while_subscribed_is_refused(
        rt: Runtime, stripe: FakeStripe, org: Organization) -> None:
    await subscribe(rt, stripe, org, "pro")

    with pytest.raises(Conflict, match="change its plan"):
        await start_checkout(rt, org.id, "business", actor="test", **URLS)


async def test_changing_the_plan_updates_the_subscription_and_the_organization(
        rt: Runtime, stripe: FakeStripe, org: Organization) -> None:
    await subscribe(rt, stripe, org, "pro")

    after = await change_paid_plan(rt, org.id, "business", actor="test")

    assert after.plan == "business"
    assert stripe.latest_subscription()["items"]["data"][0]["price"]["id"] == \
        "price_business_month"


async def test_cancel_at_period_end_keeps_the_plan_until_then_and_can_be_undone(
        rt: Runtime, stripe: FakeStripe, org: Organization) -> None:
    await subscribe(rt, stripe, org, "business")

    canceled = await cancel_at_period_end(rt, org.id, actor="test")
    kept = await cancel_at_period_end(rt, org.id, actor="test", cancel=False)

    assert canceled.plan == "business" and canceled.billing.cancel_at_period_end
    assert not kept.billing.cancel_at_period_end


async def test_the_portal_opens_for_the_organizations_customer(
        rt: Runtime, stripe: FakeStripe, org: Organization) -> None:
    with pytest.raises(Conflict):
        await open_portal(rt, org.id, return_url="https://app.example/b", actor="test")
    after = await subscribe(rt, stripe, org, "business")

    url = await open_portal(rt, org.id, return_url="https://app.example/b", actor="test")

    portal = next(iter(stripe.portal_sessions.values()))
    assert url == portal["url"] and portal["customer"] == after.billing.customer_id


async def test_prices_by_plan_and_recent_invoices(
        rt: Runtime, stripe: FakeStripe, org: Organization) -> None:
    assert await recent_invoices(rt, org.id) == []
    await subscribe(rt, stripe, org, "business")

    prices = await plan_prices(rt)
    invoices = await recent_invoices(rt, org.id)

    assert {key: [p.interval for p in found] for key, found in prices.items()} == \
        {"pro": ["month", "year"], "business": ["month"]}
    assert [i.amount for i in invoices] == [9900]


async def test_the_overview_reads_plan_state_and_usage_without_calling_stripe(
        rt: Runtime, stripe: FakeStripe, org: Organization) -> None:
    await subscribe(rt, stripe, org, "pro")
    calls = len(stripe.requests)

    overview = await billing_overview(rt, org.id)

    assert len(stripe.requests) == calls
    assert (overview.plan.key, overview.state.status.value) == ("pro", "trialing")
    assert overview.says == "On trial."
    assert [p.key for p in overview.plans_for_sale] == ["pro", "business"]
    assert overview.billing_enabled
    assert {u.limit.value for u in overview.usage} >= {"connected_accounts",
                                                        "scheduled_posts_per_month"}


async def test_subscribing_again_reuses_the_customer_and_skips_the_trial(
        rt: Runtime, stripe: FakeStripe, org: Organization) -> None:
    first = await subscribe(rt, stripe, org, "pro")
    start = len(stripe.emitted)
    await stripe.set_status(stripe.latest_subscription()["id"], "canceled")
    await deliver_all(rt, stripe, start)

    await start_checkout(rt, org.id, "pro", actor="test", **URLS)

    params = list(stripe.checkout_sessions.values())[-1]["_params"]
    assert params["customer"] == first.billing.customer_id
    assert "trial_period_days" not in params["subscription_data"]
