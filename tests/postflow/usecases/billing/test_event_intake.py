"""Stripe events recorded before they are applied: a repeated id has one effect, and a lost
queue message is recovered by the scheduler's sweep."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from integrations.stripe.webhook_events import billing_event
from postflow.billing.events import EventOutcome
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.billing.event_application import apply_recorded_event
from postflow.usecases.billing.event_intake import (
    REQUEUE_AFTER,
    receive_event,
    requeue_pending_events,
)
from postflow.usecases.billing.subscription_actions import start_checkout
from tests.fakes.clock import ManualClock
from tests.fakes.stripe_api import FakeStripe
from tests.postflow.usecases.billing.conftest import NoticeLog, deliver, subscribe


@dataclass
class BillingJobs:
    """A billing queue that keeps the ids it was sent, or loses them while ``down``."""

    sent: list[str] = field(default_factory=list)
    down: bool = False

    async def enqueue_billing_event(self, event_id: str) -> None:
        if self.down:
            raise ConnectionError("the broker is down")
        self.sent.append(event_id)


async def completed_checkout(rt: Runtime, stripe: FakeStripe, org: Organization) -> int:
    await start_checkout(rt, org.id, "business", success_url="https://a.example/ok",
                         cancel_url="https://a.example/no", actor="test")
    start = len(stripe.emitted)
    await stripe.complete_checkout(list(stripe.checkout_sessions)[-1])
    return start


async def test_a_repeated_event_id_has_one_effect(
        rt: Runtime, stripe: FakeStripe, org: Organization, notices: NoticeLog,
        clock: ManualClock) -> None:
    await completed_checkout(rt, stripe, org)
    completed = stripe.emitted[-1]
    first = await deliver(rt, completed)
    audit = await rt.store.list_audit(org.id)
    said = list(notices.said)
    clock.advance(60)

    again = await deliver(rt, completed)

    assert again == first  # applied once: not even its record changed
    assert await rt.store.list_audit(org.id) == audit
    assert notices.said == said
    assert len(await rt.store.list_billing_events(org.id)) == 1


async def test_a_recorded_event_is_handed_to_the_billing_job(
        rt: Runtime, stripe: FakeStripe, org: Organization) -> None:
    await completed_checkout(rt, stripe, org)
    jobs = BillingJobs()
    record = billing_event(stripe.emitted[-1].event, rt.clock.now())

    assert await receive_event(rt, record, jobs) is True
    assert await receive_event(rt, record, jobs) is False

    assert jobs.sent == [record.id]


async def test_an_event_whose_message_was_lost_is_applied_after_the_sweep(
        rt: Runtime, stripe: FakeStripe, org: Organization, clock: ManualClock) -> None:
    await completed_checkout(rt, stripe, org)
    jobs = BillingJobs(down=True)
    record = billing_event(stripe.emitted[-1].event, rt.clock.now())
    await receive_event(rt, record, jobs)  # recorded; its message lost
    jobs.down = False

    assert await requeue_pending_events(rt, jobs) == 0  # not presumed lost yet
    clock.advance((REQUEUE_AFTER + timedelta(seconds=1)).total_seconds())
    assert await requeue_pending_events(rt, jobs) == 1
    for event_id in jobs.sent:
        await apply_recorded_event(rt, event_id)

    assert (await rt.store.get_organization(org.id)).plan == "business"
    clock.advance(REQUEUE_AFTER.total_seconds() * 2)
    assert await requeue_pending_events(rt, jobs) == 0  # applied: never resent


async def test_an_event_type_postflow_does_not_act_on_is_recorded_as_ignored(
        rt: Runtime, stripe: FakeStripe, org: Organization) -> None:
    await subscribe(rt, stripe, org, "business")
    sent = await stripe.emit("customer.updated", stripe.customers[
        stripe.latest_subscription()["customer"]])

    applied = await deliver(rt, sent)

    assert applied.outcome is EventOutcome.IGNORED
    assert "customer.updated" in applied.detail


async def test_events_applied_at_once_change_the_plan_once(
        rt: Runtime, stripe: FakeStripe, org: Organization, notices: NoticeLog) -> None:
    start = await completed_checkout(rt, stripe, org)
    records = [billing_event(sent.event, rt.clock.now()) for sent in stripe.emitted[start:]]
    for record in records:
        await receive_event(rt, record, None)

    await asyncio.gather(*(apply_recorded_event(rt, record.id) for record in records))

    assert (await rt.store.get_organization(org.id)).plan == "business"
    assert notices.kinds().count("billing.plan_changed") == 1
    assert [e.action for e in await rt.store.list_audit(org.id)].count(
        "organization.plan_changed") == 1
