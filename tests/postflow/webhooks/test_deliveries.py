"""Delivering outbound webhooks: signed, at least once, retried for a day, logged per attempt."""

from __future__ import annotations

from datetime import timedelta

from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.webhook_deliveries import (
    EVENT_ID_HEADER,
    purge_webhook_log,
    queue_due_deliveries,
    replay_webhook_event,
)
from postflow.usecases.webhook_endpoints import CreatedEndpoint, webhook_delivery_log
from postflow.usecases.webhook_events import WebhookEmitter
from postflow.webhooks.event_types import WebhookEventType
from postflow.webhooks.records import DeliveryStatus, WebhookEvent
from postflow.webhooks.sending import REQUEUE_AFTER
from tests.fakes.clock import ManualClock
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.postflow.webhooks.conftest import KeptQueue

PUBLISHED = WebhookEventType.POST_PUBLISHED


async def emit(rt: Runtime, queue: KeptQueue, org: Organization) -> WebhookEvent:
    event = await WebhookEmitter(rt.store, rt.clock, queue).emit(
        org.id, PUBLISHED, {"object": "post", "id": "post_1", "status": "published"})
    assert event is not None
    return event


async def sweep_and_run(rt: Runtime, queue: KeptQueue) -> int:
    """The scheduler's sweep, then the workers: how many attempts ran."""
    await queue_due_deliveries(rt, queue)
    return sum(1 for outcome in await queue.run(rt) if outcome is not None)


async def test_a_delivery_is_signed_like_incoming_hooks_and_names_its_event(
        wrt: Runtime, queue: KeptQueue, org: Organization, endpoint: CreatedEndpoint,
        receiver: WebhookReceiver) -> None:
    event = await emit(wrt, queue, org)

    await queue.run(wrt)

    [got] = receiver.received
    assert got.verified
    assert got.headers[EVENT_ID_HEADER] == event.id
    assert got.event["id"] == event.id and got.event["type"] == "post.published"
    assert got.event["data"]["object"] == {"object": "post", "id": "post_1",
                                           "status": "published"}
    assert got.event["time"] == wrt.clock.now().isoformat() and "+00:00" in got.event["time"]


async def test_the_event_and_its_delivery_are_recorded_before_the_queue_is_asked(
        wrt: Runtime, queue: KeptQueue, org: Organization, endpoint: CreatedEndpoint,
        receiver: WebhookReceiver, clock: ManualClock) -> None:
    queue.failure = ConnectionError("Redis is down")
    event = await emit(wrt, queue, org)  # the lost message does not lose the event
    queue.failure = None

    assert await sweep_and_run(wrt, queue) == 0  # not due yet: its message may be in flight
    clock.advance(REQUEUE_AFTER.total_seconds())
    assert await sweep_and_run(wrt, queue) == 1

    assert [r.event["id"] for r in receiver.delivered()] == [event.id]


async def test_an_event_nobody_subscribes_to_is_not_recorded(
        wrt: Runtime, queue: KeptQueue, org: Organization, endpoint: CreatedEndpoint) -> None:
    emitted = await WebhookEmitter(wrt.store, wrt.clock, queue).emit(
        org.id, WebhookEventType.REVIEW_DECIDED, {"object": "review"})

    assert emitted is None and queue.messages == []


async def test_a_5xx_is_retried_with_backoff_and_each_attempt_logged_once(
        wrt: Runtime, queue: KeptQueue, org: Organization, endpoint: CreatedEndpoint,
        receiver: WebhookReceiver, clock: ManualClock) -> None:
    receiver.statuses = [503, 500]
    event = await emit(wrt, queue, org)
    await queue.run(wrt)

    assert await sweep_and_run(wrt, queue) == 0  # the 30 s backoff has not passed
    clock.advance(30)
    assert await sweep_and_run(wrt, queue) == 1  # 500
    clock.advance(59)
    assert await sweep_and_run(wrt, queue) == 0
    clock.advance(1)
    assert await sweep_and_run(wrt, queue) == 1  # 200

    [logged] = await webhook_delivery_log(wrt, org.id, event_id=event.id)
    assert logged.delivery.status is DeliveryStatus.DELIVERED
    assert [(a.number, a.status_code, a.delivered) for a in logged.attempts] == [
        (1, 503, False), (2, 500, False), (3, 200, True)]
    assert all(len(a.answer.encode()) <= 1024 for a in logged.attempts)
    assert len(receiver.delivered()) == 3


async def test_a_receiver_too_slow_to_answer_is_a_failed_attempt_tried_again(
        wrt: Runtime, queue: KeptQueue, org: Organization, endpoint: CreatedEndpoint,
        receiver: WebhookReceiver, clock: ManualClock) -> None:
    receiver.delay = 1.0  # over the sender's timeout
    event = await emit(wrt, queue, org)
    await queue.run(wrt)
    receiver.delay = 0
    clock.advance(30)
    await sweep_and_run(wrt, queue)

    [logged] = await webhook_delivery_log(wrt, org.id, event_id=event.id)
    assert [(a.status_code, a.delivered) for a in logged.attempts] == [(None, False),
                                                                       (200, True)]
    assert "no answer within" in logged.attempts[0].error


async def test_a_receiver_down_for_an_hour_gets_the_event_once_it_is_back(
        wrt: Runtime, queue: KeptQueue, org: Organization, endpoint: CreatedEndpoint,
        receiver: WebhookReceiver, clock: ManualClock) -> None:
    await receiver.stop()
    event = await emit(wrt, queue, org)
    attempts = sum(1 for outcome in await queue.run(wrt) if outcome is not None)
    down_until = clock.now() + timedelta(hours=1)
    while clock.now() < down_until:
        clock.advance(10)
        attempts += await sweep_and_run(wrt, queue)
    await receiver.start()
    for _ in range(400):  # ten seconds a tick, until the next try comes (at most an hour)
        clock.advance(10)
        attempts += await sweep_and_run(wrt, queue)
        if receiver.received:
            break

    [logged] = await webhook_delivery_log(wrt, org.id, event_id=event.id)
    assert logged.delivery.status is DeliveryStatus.DELIVERED
    assert [a.number for a in logged.attempts] == list(range(1, attempts + 1))
    assert [a.delivered for a in logged.attempts] == [False] * (attempts - 1) + [True]
    assert 8 <= attempts <= 10  # 30 s, 1, 2, 4 ... 32 min, then hourly: not every tick
    assert [r.event["id"] for r in receiver.received] == [event.id]


async def test_a_message_delivered_twice_makes_one_attempt(
        wrt: Runtime, queue: KeptQueue, org: Organization, endpoint: CreatedEndpoint,
        receiver: WebhookReceiver) -> None:
    await emit(wrt, queue, org)
    queue.messages = queue.messages * 2  # the broker redelivered it

    outcomes = await queue.run(wrt)

    assert [o is not None for o in outcomes] == [True, False]
    assert len(receiver.received) == 1


async def test_a_replay_sends_the_same_event_again_as_a_new_delivery(
        wrt: Runtime, queue: KeptQueue, org: Organization, endpoint: CreatedEndpoint,
        receiver: WebhookReceiver) -> None:
    event = await emit(wrt, queue, org)
    await queue.run(wrt)

    [again] = await replay_webhook_event(wrt, org.id, event.id, queue, actor="cli")
    await queue.run(wrt)

    first, second = receiver.delivered()
    assert second.body == first.body and second.headers[EVENT_ID_HEADER] == event.id
    assert again.replay
    logged = await webhook_delivery_log(wrt, org.id, event_id=event.id)
    assert [item.delivery.status for item in logged] == [DeliveryStatus.DELIVERED] * 2


async def test_an_endpoint_failing_for_a_day_is_disabled_with_a_notice(
        wrt: Runtime, queue: KeptQueue, org: Organization, endpoint: CreatedEndpoint,
        receiver: WebhookReceiver, clock: ManualClock, notices: object) -> None:
    from postflow.notices.events import WebhookEndpointDisabled
    from tests.postflow.webhooks.conftest import KeptNotices

    assert isinstance(notices, KeptNotices)
    receiver.statuses = [500] * 1000
    event = await emit(wrt, queue, org)
    await queue.run(wrt)
    for _ in range(30):
        clock.advance(3600)
        await sweep_and_run(wrt, queue)

    stored = await wrt.store.get_webhook_endpoint(org.id, endpoint.endpoint.id)
    assert stored.disabled and "failed for 24 hours" in stored.disabled_reason
    [said] = [n for n in notices.said if isinstance(n, WebhookEndpointDisabled)]
    assert said.endpoint_id == endpoint.endpoint.id and "receiver-secret" not in said.shown_url
    [logged] = await webhook_delivery_log(wrt, org.id, event_id=event.id)
    assert logged.delivery.status is DeliveryStatus.FAILED
    assert await emit_none(wrt, queue, org)


async def emit_none(rt: Runtime, queue: KeptQueue, org: Organization) -> bool:
    """A disabled endpoint is sent no new event."""
    return await WebhookEmitter(rt.store, rt.clock, queue).emit(
        org.id, PUBLISHED, {"object": "post"}) is None


async def test_a_delivery_that_succeeds_ends_the_failure_streak(
        wrt: Runtime, queue: KeptQueue, org: Organization, endpoint: CreatedEndpoint,
        receiver: WebhookReceiver, clock: ManualClock) -> None:
    receiver.statuses = [500]
    await emit(wrt, queue, org)
    await queue.run(wrt)
    assert (await wrt.store.get_webhook_endpoint(org.id, endpoint.endpoint.id)).failing_since

    clock.advance(30)
    await sweep_and_run(wrt, queue)

    assert (await wrt.store.get_webhook_endpoint(org.id, endpoint.endpoint.id)) \
        .failing_since is None


async def test_the_log_keeps_thirty_days(
        wrt: Runtime, queue: KeptQueue, org: Organization, endpoint: CreatedEndpoint,
        receiver: WebhookReceiver, clock: ManualClock) -> None:
    old = await emit(wrt, queue, org)
    await queue.run(wrt)
    clock.advance(timedelta(days=29).total_seconds())
    kept = await emit(wrt, queue, org)
    await queue.run(wrt)

    clock.advance(timedelta(days=1, seconds=1).total_seconds())
    assert await purge_webhook_log(wrt) == 3  # the old event, its delivery and its attempt

    assert [item.delivery.event_id for item in await webhook_delivery_log(wrt, org.id)] == [
        kept.id]
    assert old.id != kept.id
