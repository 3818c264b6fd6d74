"""Applying Stripe's subscription: the plan by its price, the state Stripe has now, the
organization named by the subscription and no other."""

from __future__ import annotations

from datetime import timedelta

from postflow.billing.events import EventOutcome
from postflow.billing.state import SubscriptionStatus
from postflow.notices.events import TrialEnding
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.billing.subscription_sync import sync_organization
from postflow.usecases.organizations import create_organization
from tests.fakes.stripe_api import FakeStripe, Sent
from tests.postflow.usecases.billing.conftest import NoticeLog, deliver, deliver_all, subscribe


async def test_a_completed_checkout_puts_the_organization_on_the_paid_plan(
        rt: Runtime, stripe: FakeStripe, org: Organization) -> None:
    after = await subscribe(rt, stripe, org, "business")

    sub = stripe.latest_subscription()
    assert after.plan == "business"
    assert after.billing.status is SubscriptionStatus.ACTIVE
    assert after.billing.subscription_id == sub["id"]
    assert after.billing.customer_id == sub["customer"]
    assert after.billing.current_period_end is not None
    assert after.billing.cancel_at_period_end is False


async def test_a_plan_with_a_trial_starts_trialing_on_the_paid_plan(
        rt: Runtime, stripe: FakeStripe, org: Organization) -> None:
    after = await subscribe(rt, stripe, org, "pro")

    assert after.plan == "pro"
    assert after.billing.status is SubscriptionStatus.TRIALING
    assert after.billing.trial_end == rt.clock.now() + timedelta(days=14)


async def test_every_event_of_a_checkout_is_recorded_with_how_it_was_applied(
        rt: Runtime, stripe: FakeStripe, org: Organization) -> None:
    await subscribe(rt, stripe, org, "business")

    events = await rt.store.list_billing_events(org.id)
    by_type = {e.type: e for e in events}
    assert by_type["checkout.session.completed"].outcome is EventOutcome.APPLIED
    assert by_type["invoice.paid"].outcome is EventOutcome.APPLIED
    assert by_type["customer.subscription.created"].detail.startswith("plan business")


async def test_the_plan_change_is_audited_and_told_to_the_owners(
        rt: Runtime, stripe: FakeStripe, org: Organization, notices: NoticeLog) -> None:
    await subscribe(rt, stripe, org, "business")

    actions = [e.action for e in await rt.store.list_audit(org.id)]
    assert "organization.plan_changed" in actions
    assert "billing.subscription_changed" in actions
    assert notices.kinds().count("billing.plan_changed") == 1


async def test_a_subscription_of_another_customer_cannot_change_this_organization(
        rt: Runtime, stripe: FakeStripe, org: Organization) -> None:
    mine = await subscribe(rt, stripe, org, "business")
    other = await create_organization(rt, "Other", actor="test")
    await subscribe(rt, stripe, other, "pro")
    # The other customer's subscription claims to be this organization's.
    theirs = stripe.latest_subscription()
    theirs["metadata"]["postflow_org_id"] = org.id
    start = len(stripe.emitted)
    await stripe.set_status(theirs["id"], "canceled")

    applied = await deliver_all(rt, stripe, start)

    assert [e.outcome for e in applied] == [EventOutcome.REFUSED]
    assert await rt.store.get_organization(org.id) == mine


async def test_another_organizations_subscription_changes_only_that_organization(
        rt: Runtime, stripe: FakeStripe, org: Organization) -> None:
    mine = await subscribe(rt, stripe, org, "business")
    other = await create_organization(rt, "Other", actor="test")
    await subscribe(rt, stripe, other, "pro")
    start = len(stripe.emitted)

    await stripe.set_status(stripe.latest_subscription()["id"], "canceled")
    await deliver_all(rt, stripe, start)

    assert (await rt.store.get_organization(other.id)).plan == "free"
    assert await rt.store.get_organization(org.id) == mine


async def test_a_checkout_for_an_organization_that_no_longer_exists_is_recorded_not_guessed(
        rt: Runtime, stripe: FakeStripe, org: Organization) -> None:
    await subscribe(rt, stripe, org, "business")
    sub = stripe.latest_subscription()
    sub["metadata"]["postflow_org_id"] = "org_deleted"
    start = len(stripe.emitted)
    await stripe.emit("checkout.session.completed", {
        "id": "cs_x", "object": "checkout.session", "mode": "subscription",
        "client_reference_id": "org_deleted", "subscription": sub["id"],
        "customer": sub["customer"]})

    [applied] = await deliver_all(rt, stripe, start)

    assert applied.outcome is EventOutcome.UNKNOWN_ORGANIZATION
    assert applied.org_id == "org_deleted"
    assert "org_deleted" in applied.detail
    assert [e.id for e in await rt.store.list_billing_events("org_deleted")] == [applied.id]


async def test_an_ended_subscription_does_not_undo_the_newer_one(
        rt: Runtime, stripe: FakeStripe, org: Organization) -> None:
    await subscribe(rt, stripe, org, "business")
    old = stripe.latest_subscription()
    start = len(stripe.emitted)
    await stripe.set_status(old["id"], "canceled")
    await deliver_all(rt, stripe, start)
    renewed = await subscribe(rt, stripe, await rt.store.get_organization(org.id), "pro")
    old_event = next(s for s in stripe.emitted[start:]
                     if s.event["type"] == "customer.subscription.deleted")

    redelivered = old_event.event | {"id": "evt_late_copy"}
    applied = await deliver(rt, Sent(redelivered, b""))

    assert applied.outcome is EventOutcome.IGNORED
    assert (await rt.store.get_organization(org.id)).plan == renewed.plan == "pro"


async def test_a_price_of_no_plan_changes_nothing(
        rt: Runtime, stripe: FakeStripe, org: Organization) -> None:
    before = await subscribe(rt, stripe, org, "business")
    stripe.add_price("price_unknown", 100)
    sub = stripe.latest_subscription()
    sub["items"]["data"][0]["price"] = stripe.prices["price_unknown"]
    start = len(stripe.emitted)
    await stripe.set_status(sub["id"], "active")

    [applied] = await deliver_all(rt, stripe, start)

    assert applied.outcome is EventOutcome.UNKNOWN_PRICE
    assert await rt.store.get_organization(org.id) == before


async def test_sync_reads_the_subscription_again(
        rt: Runtime, stripe: FakeStripe, org: Organization) -> None:
    await subscribe(rt, stripe, org, "business")
    stripe.latest_subscription()["cancel_at_period_end"] = True  # changed, event lost

    applied = await sync_organization(rt, org.id, actor="cli")

    assert applied.outcome is EventOutcome.APPLIED
    assert (await rt.store.get_organization(org.id)).billing.cancel_at_period_end is True


async def test_a_trial_ending_soon_is_told_to_the_owners_once(
        rt: Runtime, stripe: FakeStripe, org: Organization, notices: NoticeLog) -> None:
    await subscribe(rt, stripe, org, "pro")
    sent = await stripe.emit("customer.subscription.trial_will_end",
                             stripe.latest_subscription())

    await deliver(rt, sent)
    await deliver(rt, sent)

    [ending] = [n for n in notices.said if isinstance(n, TrialEnding)]
    assert ending.trial_end == (await rt.store.get_organization(org.id)).billing.trial_end
