"""The Stripe gateway: what it sends Stripe, and what it reads back as plain data."""

from __future__ import annotations

import pytest

from integrations.stripe.gateway import StripeBillingGateway
from postflow.billing.gateway import CheckoutRequest
from postflow.billing.state import SubscriptionStatus
from postflow.errors import BillingUnavailable
from tests.fakes.stripe_api import FakeStripe


def checkout(**fields: object) -> CheckoutRequest:
    values: dict[str, object] = {"org_id": "org_1", "price_id": "price_pro_month",
                                 "success_url": "https://app.example/ok",
                                 "cancel_url": "https://app.example/no"}
    return CheckoutRequest(**{**values, **fields})  # type: ignore[arg-type]


async def test_checkout_is_a_subscription_naming_the_organization_with_the_plans_trial(
        gateway: StripeBillingGateway, stripe_fake: FakeStripe) -> None:
    url = await gateway.create_checkout_session(checkout(trial_days=14))

    session = next(iter(stripe_fake.checkout_sessions.values()))
    params = session["_params"]
    assert url == session["url"]
    assert params["mode"] == "subscription"
    assert params["client_reference_id"] == "org_1"
    assert params["subscription_data"] == {"metadata": {"postflow_org_id": "org_1"},
                                           "trial_period_days": "14"}
    assert params["line_items"] == [{"price": "price_pro_month", "quantity": "1"}]
    assert "customer" not in params


async def test_checkout_reuses_the_customer_once_there_is_one(
        gateway: StripeBillingGateway, stripe_fake: FakeStripe) -> None:
    await stripe_fake.complete_checkout(
        await _session(gateway, stripe_fake, checkout()))
    customer = next(iter(stripe_fake.customers))

    await gateway.create_checkout_session(checkout(customer_id=customer))

    assert list(stripe_fake.checkout_sessions.values())[-1]["_params"]["customer"] == customer
    assert "trial_period_days" not in \
        list(stripe_fake.checkout_sessions.values())[-1]["_params"]["subscription_data"]


async def test_a_subscription_is_read_with_its_plan_item_period_and_organization(
        gateway: StripeBillingGateway, stripe_fake: FakeStripe) -> None:
    await stripe_fake.complete_checkout(await _session(gateway, stripe_fake, checkout()))
    stored = stripe_fake.latest_subscription()

    found = await gateway.retrieve_subscription(stored["id"])

    assert found is not None
    assert found.status is SubscriptionStatus.ACTIVE
    assert found.org_id == "org_1"
    assert found.customer_id == stored["customer"]
    assert [i.price_id for i in found.items] == ["price_pro_month"]
    assert found.current_period_end is not None
    assert int(found.current_period_end.timestamp()) == \
        stored["items"]["data"][0]["current_period_end"]


async def test_a_subscription_stripe_does_not_have_is_none(
        gateway: StripeBillingGateway) -> None:
    assert await gateway.retrieve_subscription("sub_missing") is None


async def test_changing_the_price_moves_the_plan_item(
        gateway: StripeBillingGateway, stripe_fake: FakeStripe) -> None:
    await stripe_fake.complete_checkout(await _session(gateway, stripe_fake, checkout()))
    sub = stripe_fake.latest_subscription()

    changed = await gateway.change_price(sub["id"], sub["items"]["data"][0]["id"],
                                         "price_business_month")

    assert [i.price_id for i in changed.items] == ["price_business_month"]
    assert stripe_fake.requests[-1][2]["proration_behavior"] == "create_prorations"


async def test_cancel_at_period_end_is_set_and_undone(
        gateway: StripeBillingGateway, stripe_fake: FakeStripe) -> None:
    await stripe_fake.complete_checkout(await _session(gateway, stripe_fake, checkout()))
    sub_id = stripe_fake.latest_subscription()["id"]

    assert (await gateway.set_cancel_at_period_end(sub_id, True)).cancel_at_period_end
    assert not (await gateway.set_cancel_at_period_end(sub_id, False)).cancel_at_period_end


async def test_the_addon_item_is_added_changed_and_removed(
        gateway: StripeBillingGateway, stripe_fake: FakeStripe) -> None:
    await stripe_fake.complete_checkout(await _session(gateway, stripe_fake, checkout()))
    sub = await gateway.retrieve_subscription(stripe_fake.latest_subscription()["id"])
    assert sub is not None

    added = await gateway.set_addon_quantity(sub, "price_extra_account", 2)
    changed = await gateway.set_addon_quantity(added, "price_extra_account", 3)
    removed = await gateway.set_addon_quantity(changed, "price_extra_account", 0)

    assert [(i.price_id, i.quantity) for i in added.items][-1] == ("price_extra_account", 2)
    assert changed.item_for(["price_extra_account"]).quantity == 3  # type: ignore[union-attr]
    assert removed.item_for(["price_extra_account"]) is None


async def test_invoices_and_prices_are_read_as_plain_data(
        gateway: StripeBillingGateway, stripe_fake: FakeStripe) -> None:
    await stripe_fake.complete_checkout(await _session(gateway, stripe_fake, checkout()))
    customer = next(iter(stripe_fake.customers))

    invoices = await gateway.list_invoices(customer, 5)
    prices = await gateway.retrieve_prices(["price_pro_year", "price_gone"])

    assert [(i.amount, i.status, i.currency) for i in invoices] == [(2900, "paid", "usd")]
    assert invoices[0].hosted_url and invoices[0].number
    assert [(p.id, p.unit_amount, p.interval) for p in prices] == \
        [("price_pro_year", 29000, "year")]


async def test_stripe_out_of_reach_is_billing_unavailable_without_the_key(
        gateway: StripeBillingGateway, stripe_fake: FakeStripe) -> None:
    stripe_fake.fail_next = 10

    with pytest.raises(BillingUnavailable) as refused:
        await gateway.create_portal_session("cus_1", "https://app.example/billing")

    assert stripe_fake.secret_key not in refused.value.message


async def _session(gateway: StripeBillingGateway, fake: FakeStripe,
                   request: CheckoutRequest) -> str:
    await gateway.create_checkout_session(request)
    return list(fake.checkout_sessions)[-1]
