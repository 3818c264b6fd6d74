"""Billing's use cases against the fake Stripe, on a real SQLite file and the manual clock.

Events are delivered here as the hub would (recorded, then applied by the job's use case),
without HTTP: tests/hub covers the route.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from integrations.stripe.webhook_events import billing_event
from postflow.billing.events import BillingEvent
from postflow.config import Settings
from postflow.notices.events import Notice
from postflow.notices.router import NoticeRouter
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.billing.event_application import apply_recorded_event
from postflow.usecases.billing.event_intake import receive_event
from postflow.usecases.billing.subscription_actions import start_checkout
from postflow.usecases.organizations import create_organization
from tests.fakes.clock import ManualClock
from tests.fakes.stripe_api import FakeStripe, Sent
from tests.fakes.stripe_setup import BillingKit, billing_kit


@dataclasses.dataclass
class NoticeLog:
    """Every notice, in order (behind the real router)."""

    said: list[Notice] = dataclasses.field(default_factory=list)
    name: str = "log"

    async def notify(self, notice: Notice) -> None:
        await NoticeRouter([self]).notify(notice)

    def wants(self, notice: Notice) -> bool:
        return True

    async def deliver(self, notice: Notice) -> None:
        self.said.append(notice)

    def kinds(self) -> list[str]:
        return [n.kind for n in self.said]


@pytest.fixture
async def kit(settings: Settings, clock: ManualClock, tmp_path: Path) -> AsyncIterator[BillingKit]:
    async with billing_kit(settings, clock, tmp_path) as opened:
        yield opened


@pytest.fixture
def notices() -> NoticeLog:
    return NoticeLog()


@pytest.fixture
def rt(kit: BillingKit, notices: NoticeLog) -> Runtime:
    """The kit's runtime, telling ``notices``."""
    return dataclasses.replace(kit.rt, notices=notices)


@pytest.fixture
def stripe(kit: BillingKit) -> FakeStripe:
    return kit.stripe


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    return await create_organization(rt, "Acme", actor="test")


async def deliver(rt: Runtime, sent: Sent) -> BillingEvent:
    """Record one emitted event and apply it, as the hub and the job do."""
    record = billing_event(sent.event, rt.clock.now())
    await receive_event(rt, record, None)
    return await apply_recorded_event(rt, record.id)


async def deliver_all(rt: Runtime, stripe: FakeStripe, start: int = 0) -> list[BillingEvent]:
    return [await deliver(rt, sent) for sent in stripe.emitted[start:]]


async def subscribe(rt: Runtime, stripe: FakeStripe, org: Organization,
                    plan: str = "business") -> Organization:
    """Checkout for ``plan`` completed and its events applied; the organization after."""
    await start_checkout(rt, org.id, plan, success_url="https://app.example/ok",
                         cancel_url="https://app.example/no", actor="test")
    start = len(stripe.emitted)
    await stripe.complete_checkout(list(stripe.checkout_sessions)[-1])
    await deliver_all(rt, stripe, start)
    return await rt.store.get_organization(org.id)
