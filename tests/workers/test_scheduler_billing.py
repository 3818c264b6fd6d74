"""The scheduler's billing pass: Stripe events whose message was lost are handed to the
billing job again, and past-due organizations fall to the free plan when their grace ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from postflow.billing.events import BillingEvent
from postflow.billing.state import BillingState, SubscriptionStatus
from postflow.runtime import Runtime
from postflow.usecases.billing.event_intake import REQUEUE_AFTER
from postflow.usecases.organizations import create_organization
from tests.fakes.clock import ManualClock
from tests.workers.scenario import RecordingQueue
from workers.leader import LocalLeader
from workers.scheduler import Scheduler


@dataclass
class BillingJobs:
    sent: list[str] = field(default_factory=list)

    async def enqueue_billing_event(self, event_id: str) -> None:
        self.sent.append(event_id)


async def test_a_pending_event_is_handed_out_again_by_a_tick(rt: Runtime,
                                                             clock: ManualClock) -> None:
    jobs = BillingJobs()
    await rt.store.record_billing_event(BillingEvent(
        id="evt_lost", type="invoice.paid", created=clock.now(), received_at=clock.now()))
    clock.advance((REQUEUE_AFTER + timedelta(seconds=1)).total_seconds())

    report = await Scheduler(rt, RecordingQueue(), LocalLeader(), billing_queue=jobs).tick()

    assert report.billing_events_requeued == 1
    assert jobs.sent == ["evt_lost"]


async def test_a_tick_moves_an_organization_whose_grace_ended_to_the_default_plan(
        rt: Runtime, clock: ManualClock) -> None:
    org = await create_organization(rt, "Acme", actor="test")
    await rt.store.update_organization(org.model_copy(update={"plan": "pro", "billing":
        BillingState(status=SubscriptionStatus.PAST_DUE, paid_plan="pro",
                     subscription_id="sub_1", customer_id="cus_1",
                     grace_until=clock.now() - timedelta(seconds=1))}))

    report = await Scheduler(rt, RecordingQueue(), LocalLeader()).tick()

    assert report.grace_ended == 1
    assert (await rt.store.get_organization(org.id)).plan == "free"
