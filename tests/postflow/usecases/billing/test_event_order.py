"""F10: Stripe's events arrive late, twice and out of order while the subscription keeps
changing; once every event is in, the organization holds Stripe's latest state, every time."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postflow.billing.lifecycle import plan_for
from postflow.billing.state import SubscriptionStatus
from postflow.runtime import Runtime
from postflow.usecases.billing.subscription_actions import start_checkout
from postflow.usecases.organizations import create_organization
from tests.fakes.clock import ManualClock
from tests.fakes.stripe_api import FakeStripe
from tests.postflow.usecases.billing.conftest import deliver

Step = Callable[[FakeStripe, str], Awaitable[None]]


async def _trial_converts(stripe: FakeStripe, sub_id: str) -> None:
    stripe.subscriptions[sub_id]["trial_end"] = int(stripe.now())
    await stripe.set_status(sub_id, "active", invoice_status="paid")


async def _payment_fails(stripe: FakeStripe, sub_id: str) -> None:
    await stripe.set_status(sub_id, "past_due", invoice_status="open")


async def _payment_recovers(stripe: FakeStripe, sub_id: str) -> None:
    await stripe.set_status(sub_id, "active", invoice_status="paid")


async def _upgrade(stripe: FakeStripe, sub_id: str) -> None:
    sub = stripe.subscriptions[sub_id]
    sub["items"]["data"][0]["price"] = stripe.prices["price_business_month"]
    await stripe.emit("customer.subscription.updated", sub)


async def _schedule_cancel(stripe: FakeStripe, sub_id: str) -> None:
    stripe.subscriptions[sub_id]["cancel_at_period_end"] = True
    await stripe.emit("customer.subscription.updated", stripe.subscriptions[sub_id])


async def _period_ends(stripe: FakeStripe, sub_id: str) -> None:
    await stripe.set_status(sub_id, "canceled")


#: The lifecycle, in Stripe's order; an example stops after any prefix of it.
LIFECYCLE: list[Step] = [_trial_converts, _payment_fails, _payment_recovers, _upgrade,
                         _schedule_cancel, _period_ends]


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_any_order_with_duplicates_and_delays_ends_in_stripes_latest_state(
        rt: Runtime, stripe: FakeStripe, clock: ManualClock, data: st.DataObject) -> None:
    org = await create_organization(rt, f"Acme {uuid.uuid4().hex[:8]}", actor="test")
    await start_checkout(rt, org.id, "pro", success_url="https://app.example/ok",
                         cancel_url="https://app.example/no", actor="test")
    start = len(stripe.emitted)
    await stripe.complete_checkout(list(stripe.checkout_sessions)[-1])
    sub_id = stripe.latest_subscription()["id"]
    steps = LIFECYCLE[:data.draw(st.integers(1, len(LIFECYCLE)), label="stages")]
    # While Stripe moves on, some events arrive early, twice, or after a delay.
    for action in data.draw(st.lists(st.sampled_from(["stripe", "deliver", "wait"]),
                                     max_size=20), label="actions"):
        if action == "stripe" and steps:
            await steps.pop(0)(stripe, sub_id)
        elif action == "deliver":
            await deliver(rt, data.draw(st.sampled_from(stripe.emitted[start:]), label="early"))
        elif action == "wait":
            clock.advance(data.draw(st.integers(0, 3 * 86400), label="delay"))
    for step in steps:
        await step(stripe, sub_id)
    # Then every event arrives (again, for those that did), in any order.
    for sent in data.draw(st.permutations(stripe.emitted[start:]), label="order"):
        await deliver(rt, sent)

    latest = stripe.subscriptions[sub_id]
    state = (await rt.store.get_organization(org.id)).billing
    assert state.subscription_id == sub_id
    assert state.status is SubscriptionStatus(latest["status"])
    assert state.price_id == latest["items"]["data"][0]["price"]["id"]
    assert state.cancel_at_period_end is latest["cancel_at_period_end"]
    assert state.trial_end is not None
    assert int(state.trial_end.timestamp()) == latest["trial_end"]
    assert state.current_period_end is not None
    assert int(state.current_period_end.timestamp()) == \
        latest["items"]["data"][0]["current_period_end"]
    assert (await rt.store.get_organization(org.id)).plan == \
        plan_for(rt.plans, state, rt.clock.now())
