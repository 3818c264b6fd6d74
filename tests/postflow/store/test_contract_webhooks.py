"""Store contract: outbound webhook endpoints, events, deliveries and their attempt log."""

from __future__ import annotations

from typing import Any

import pytest

from postflow.errors import Conflict, NotFound
from postflow.ids import new_id
from postflow.store.port import Store
from postflow.webhooks.event_types import WebhookEventType
from postflow.webhooks.records import (
    DeliveryAttempt,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from tests.postflow.store.factories import at

PUBLISHED = WebhookEventType.POST_PUBLISHED


def make_endpoint(org_id: str, **fields: Any) -> WebhookEndpoint:
    values: dict[str, Any] = {"id": new_id("we"), "org_id": org_id,
                              "url": "https://example.com/hook", "events": [PUBLISHED],
                              "sealed_secret": "sealed:s", "created_at": at()}
    return WebhookEndpoint(**(values | fields))


def make_event(org_id: str, **fields: Any) -> WebhookEvent:
    values: dict[str, Any] = {"id": new_id("evt"), "org_id": org_id, "type": PUBLISHED,
                              "created_at": at(), "body": '{"id": "evt"}'}
    return WebhookEvent(**(values | fields))


def make_delivery(event: WebhookEvent, endpoint_id: str, **fields: Any) -> WebhookDelivery:
    values: dict[str, Any] = {"id": new_id("whd"), "org_id": event.org_id,
                              "event_id": event.id, "event_type": event.type,
                              "endpoint_id": endpoint_id, "next_attempt_at": at(2),
                              "created_at": at(), "updated_at": at()}
    return WebhookDelivery(**(values | fields))


def make_attempt(delivery: WebhookDelivery, **fields: Any) -> DeliveryAttempt:
    values: dict[str, Any] = {"id": new_id("wha"), "org_id": delivery.org_id,
                              "delivery_id": delivery.id, "event_id": delivery.event_id,
                              "endpoint_id": delivery.endpoint_id, "number": 1, "at": at(1),
                              "status_code": 503, "answer": "busy", "duration_ms": 12}
    return DeliveryAttempt(**(values | fields))


async def test_an_endpoint_round_trips_with_every_field(store: Store) -> None:
    endpoint = make_endpoint("org_a", events=[PUBLISHED, WebhookEventType.REVIEW_DECIDED],
                             disabled=True, disabled_reason="by cli", failing_since=at(5))
    await store.insert_webhook_endpoint(endpoint)

    assert await store.get_webhook_endpoint("org_a", endpoint.id) == endpoint


async def test_an_endpoint_of_another_organization_is_not_found(store: Store) -> None:
    endpoint = make_endpoint("org_a")
    await store.insert_webhook_endpoint(endpoint)

    with pytest.raises(NotFound):
        await store.get_webhook_endpoint("org_b", endpoint.id)


async def test_endpoints_are_listed_per_organization_oldest_first(store: Store) -> None:
    later = make_endpoint("org_a", created_at=at(3))
    first = make_endpoint("org_a", created_at=at(1))
    for endpoint in (later, first, make_endpoint("org_b")):
        await store.insert_webhook_endpoint(endpoint)

    assert await store.list_webhook_endpoints("org_a") == [first, later]


async def test_updating_an_endpoint_replaces_it_and_needs_its_organization(store: Store) -> None:
    endpoint = make_endpoint("org_a")
    await store.insert_webhook_endpoint(endpoint)
    disabled = endpoint.model_copy(update={"disabled": True})

    await store.update_webhook_endpoint(disabled)
    with pytest.raises(NotFound):
        await store.update_webhook_endpoint(disabled.model_copy(update={"org_id": "org_b"}))

    assert await store.get_webhook_endpoint("org_a", endpoint.id) == disabled


async def test_deleting_an_endpoint_needs_its_organization(store: Store) -> None:
    endpoint = make_endpoint("org_a")
    await store.insert_webhook_endpoint(endpoint)

    with pytest.raises(NotFound):
        await store.delete_webhook_endpoint("org_b", endpoint.id)
    await store.delete_webhook_endpoint("org_a", endpoint.id)

    assert await store.list_webhook_endpoints("org_a") == []


async def test_an_event_is_recorded_with_its_deliveries(store: Store) -> None:
    event = make_event("org_a")
    deliveries = [make_delivery(event, "we_1"), make_delivery(event, "we_2")]

    await store.insert_webhook_event(event, deliveries)

    assert await store.get_webhook_event("org_a", event.id) == event
    assert sorted(await store.list_webhook_deliveries("org_a", event_id=event.id),
                  key=lambda d: d.endpoint_id) == deliveries
    with pytest.raises(NotFound):
        await store.get_webhook_event("org_b", event.id)


async def test_a_delivery_is_replaced_only_at_its_version(store: Store) -> None:
    event = make_event("org_a")
    delivery = make_delivery(event, "we_1")
    await store.insert_webhook_event(event, [delivery])
    moved = delivery.model_copy(update={"version": 2, "next_attempt_at": at(10)})

    await store.replace_webhook_delivery(moved, expected_version=1)
    with pytest.raises(Conflict):
        await store.replace_webhook_delivery(moved.model_copy(update={"version": 3}),
                                             expected_version=1)

    assert await store.get_webhook_delivery("org_a", delivery.id) == moved


async def test_an_attempt_is_logged_with_its_delivery_move_or_not_at_all(store: Store) -> None:
    event = make_event("org_a")
    delivery = make_delivery(event, "we_1")
    await store.insert_webhook_event(event, [delivery])
    attempt = make_attempt(delivery)
    moved = delivery.model_copy(update={"version": 2, "attempts": 1})

    await store.record_webhook_attempt(attempt, moved, expected_version=1)
    with pytest.raises(Conflict):
        await store.record_webhook_attempt(make_attempt(delivery, number=2),
                                           moved.model_copy(update={"version": 3}),
                                           expected_version=1)

    assert await store.list_webhook_attempts("org_a", delivery.id) == [attempt]
    assert await store.get_webhook_delivery("org_a", delivery.id) == moved


async def test_due_deliveries_are_pending_ones_whose_time_came_soonest_first(
        store: Store) -> None:
    event = make_event("org_a")
    soon = make_delivery(event, "we_1", next_attempt_at=at(1))
    sooner = make_delivery(event, "we_2", next_attempt_at=at(0.5))
    later = make_delivery(event, "we_3", next_attempt_at=at(60))
    delivered = make_delivery(event, "we_4", next_attempt_at=at(0),
                              status=DeliveryStatus.DELIVERED)
    await store.insert_webhook_event(event, [soon, sooner, later, delivered])

    assert await store.find_due_webhook_deliveries(at(2), 10) == [sooner, soon]
    assert await store.find_due_webhook_deliveries(at(2), 1) == [sooner]


async def test_deliveries_are_listed_newest_first_by_endpoint(store: Store) -> None:
    event = make_event("org_a")
    old = make_delivery(event, "we_1", created_at=at(1))
    new = make_delivery(event, "we_1", created_at=at(2), replay=True)
    other = make_delivery(event, "we_2")
    await store.insert_webhook_event(event, [old, other])
    await store.insert_webhook_deliveries([new])

    assert await store.list_webhook_deliveries("org_a", endpoint_id="we_1") == [new, old]
    assert await store.list_webhook_deliveries("org_a", endpoint_id="we_1", limit=1) == [new]
    assert await store.list_webhook_deliveries("org_b") == []


async def test_purging_the_log_deletes_what_is_older_than_the_cutoff(store: Store) -> None:
    old_event = make_event("org_a", created_at=at(0))
    old = make_delivery(old_event, "we_1", created_at=at(0))
    new_event = make_event("org_a", created_at=at(100))
    new = make_delivery(new_event, "we_1", created_at=at(100))
    await store.insert_webhook_event(old_event, [old])
    await store.insert_webhook_event(new_event, [new])
    old_attempt = make_attempt(old, at=at(1))
    await store.record_webhook_attempt(old_attempt, old.model_copy(update={"version": 2}), 1)
    kept_attempt = make_attempt(new, at=at(101))
    await store.record_webhook_attempt(kept_attempt, new.model_copy(update={"version": 2}), 1)

    assert await store.purge_webhook_log(at(50)) == 3

    with pytest.raises(NotFound):
        await store.get_webhook_event("org_a", old_event.id)
    assert await store.list_webhook_attempts("org_a", old.id) == []
    assert [d.id for d in await store.list_webhook_deliveries("org_a")] == [new.id]
    assert await store.list_webhook_attempts("org_a", new.id) == [kept_attempt]
