"""Store contract: Stripe events recorded once by id, found while pending, listed by
organization."""

from __future__ import annotations

import pytest

from postflow.billing.events import BillingEvent, EventOutcome
from postflow.errors import NotFound
from postflow.store.port import Store
from tests.postflow.store.factories import at


def event(event_id: str, received: int = 0, **fields: object) -> BillingEvent:
    return BillingEvent.model_validate({
        "id": event_id, "type": "customer.subscription.updated", "created": at(received),
        "received_at": at(received), **fields})


async def test_an_event_is_recorded_once_by_its_id(store: Store) -> None:
    assert await store.record_billing_event(event("evt_1")) is True
    assert await store.record_billing_event(event("evt_1", received=5)) is False

    assert (await store.get_billing_event("evt_1")).received_at == at(0)


async def test_a_missing_event_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.get_billing_event("evt_none")


async def test_saving_an_event_stores_how_it_was_applied(store: Store) -> None:
    await store.record_billing_event(event("evt_1"))
    applied = (await store.get_billing_event("evt_1")).model_copy(update={
        "outcome": EventOutcome.APPLIED, "org_id": "org_1", "applied_at": at(3),
        "detail": "plan pro, status active"})

    await store.save_billing_event(applied)

    assert await store.get_billing_event("evt_1") == applied


async def test_saving_an_event_never_recorded_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.save_billing_event(event("evt_none"))


async def test_pending_events_received_before_a_time_are_listed_oldest_first(
        store: Store) -> None:
    for event_id, received in (("evt_b", 2), ("evt_a", 1), ("evt_late", 9)):
        await store.record_billing_event(event(event_id, received))
    done = event("evt_done", 0, outcome=EventOutcome.APPLIED)
    await store.record_billing_event(done)

    pending = await store.list_pending_billing_events(at(5), limit=10)

    assert [e.id for e in pending] == ["evt_a", "evt_b"]


async def test_events_are_listed_newest_first_and_by_organization(store: Store) -> None:
    await store.record_billing_event(event("evt_1", 1, org_hint="org_a"))
    await store.record_billing_event(event("evt_2", 2, org_id="org_b"))
    await store.record_billing_event(event("evt_3", 3, org_id="org_a"))

    assert [e.id for e in await store.list_billing_events()] == ["evt_3", "evt_2", "evt_1"]
    assert [e.id for e in await store.list_billing_events("org_a")] == ["evt_3", "evt_1"]
    assert [e.id for e in await store.list_billing_events(limit=1)] == ["evt_3"]
