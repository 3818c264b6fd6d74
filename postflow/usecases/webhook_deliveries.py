"""Delivering outbound webhook events: one attempt at a time, retried with backoff for a
day, the sweep that re-queues due deliveries, replays, and purging the log.

A delivery's ``version`` is bumped by every write, and a queue message names the version it
was sent for: a message that is stale (delivered meanwhile, re-queued by the sweep, attempted
by another worker) does nothing. So at most one attempt runs per due time, and each attempt is
logged exactly once, with the delivery's move, in one store write.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from postflow.errors import Conflict, NotFound
from postflow.ids import new_id
from postflow.media import shown_url
from postflow.notices.events import WebhookEndpointDisabled
from postflow.runtime import Runtime
from postflow.signatures import HEADER as SIGNATURE_HEADER
from postflow.signatures import signature_header
from postflow.usecases.audit_log import record
from postflow.usecases.webhook_events import new_delivery, queue_deliveries
from postflow.webhooks.backoff import GIVE_UP_AFTER, retry_delay
from postflow.webhooks.records import (
    DeliveryAttempt,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from postflow.webhooks.sending import WebhookAnswer, WebhookQueue

log = logging.getLogger(__name__)

EVENT_ID_HEADER = "PostFlow-Event-Id"
EVENT_TYPE_HEADER = "PostFlow-Event-Type"
DELIVERY_ID_HEADER = "PostFlow-Delivery-Id"
USER_AGENT = "PostFlow-Webhooks/1"
#: An attempt holds its delivery this long: a worker that dies mid-attempt is covered.
ATTEMPT_LEASE = timedelta(minutes=1)
#: Due deliveries the sweep queues per pass.
SWEEP_BATCH = 200
#: How long the delivery log is kept.
LOG_RETENTION = timedelta(days=30)
#: Who disables an endpoint that failed for a day, in the audit log.
SYSTEM_ACTOR = "postflow"


@dataclass(frozen=True)
class AttemptOutcome:
    """What one attempt did: the attempt logged, and the delivery as it now stands."""

    attempt: DeliveryAttempt
    delivery: WebhookDelivery


def delivery_headers(event: WebhookEvent, delivery: WebhookDelivery, secret: str,
                     timestamp: int) -> dict[str, str]:
    return {"Content-Type": "application/json", "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature_header(secret, timestamp, event.body.encode("utf-8")),
            EVENT_ID_HEADER: event.id, EVENT_TYPE_HEADER: event.type.value,
            DELIVERY_ID_HEADER: delivery.id}


async def attempt_delivery(rt: Runtime, org_id: str, delivery_id: str,
                           version: int) -> AttemptOutcome | None:
    """Try the delivery once if it is still pending at ``version``; None for a stale message.

    Needs ``rt.webhook_sender``. A 2xx delivers it; anything else (an error status, no answer
    within the timeout, a refused address) schedules the next try, or gives up once the
    delivery is a day old. An endpoint failing for a day is disabled with a notice.
    """
    sender = rt.webhook_sender
    if sender is None:
        raise RuntimeError("This process has no webhook sender (composition/runtime.py).")
    try:
        delivery = await rt.store.get_webhook_delivery(org_id, delivery_id)
    except NotFound:
        return None
    if delivery.status is not DeliveryStatus.PENDING or delivery.version != version:
        return None
    now = rt.clock.now()
    try:
        endpoint: WebhookEndpoint | None = await rt.store.get_webhook_endpoint(
            org_id, delivery.endpoint_id)
    except NotFound:
        endpoint = None
    if endpoint is None or endpoint.disabled:
        await _give_up(rt, delivery, "the endpoint was removed" if endpoint is None
                       else "the endpoint is disabled")
        return None
    claimed = delivery.model_copy(update={"version": delivery.version + 1,
                                          "next_attempt_at": now + ATTEMPT_LEASE,
                                          "updated_at": now})
    try:
        await rt.store.replace_webhook_delivery(claimed, delivery.version)
    except (Conflict, NotFound):
        return None  # another worker took it
    event = await rt.store.get_webhook_event(org_id, delivery.event_id)
    secret = rt.vault.open(endpoint.sealed_secret)
    headers = delivery_headers(event, delivery, secret, int(now.timestamp()))
    started = time.monotonic()
    answer = await sender.send(endpoint.url, event.body.encode("utf-8"), headers)
    duration_ms = int((time.monotonic() - started) * 1000)
    return await _record(rt, endpoint, claimed, answer, duration_ms)


async def _record(rt: Runtime, endpoint: WebhookEndpoint, claimed: WebhookDelivery,
                  answer: WebhookAnswer, duration_ms: int) -> AttemptOutcome:
    now = rt.clock.now()
    number = claimed.attempts + 1
    attempt = DeliveryAttempt(
        id=new_id("wha"), org_id=claimed.org_id, delivery_id=claimed.id,
        event_id=claimed.event_id, endpoint_id=claimed.endpoint_id, number=number, at=now,
        status_code=answer.status_code, error=answer.error, answer=answer.answer,
        duration_ms=duration_ms, delivered=answer.delivered)
    moved: dict[str, object] = {"version": claimed.version + 1, "attempts": number,
                                "last_status_code": answer.status_code,
                                "last_error": answer.error, "updated_at": now}
    if answer.delivered:
        moved |= {"status": DeliveryStatus.DELIVERED, "delivered_at": now,
                  "next_attempt_at": None}
    elif now - claimed.created_at >= GIVE_UP_AFTER:
        moved |= {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
    else:
        moved |= {"next_attempt_at": now + retry_delay(number)}
    delivery = claimed.model_copy(update=moved)
    await rt.store.record_webhook_attempt(attempt, delivery, claimed.version)
    await _track_endpoint_health(rt, endpoint, answer.delivered)
    return AttemptOutcome(attempt, delivery)


async def _track_endpoint_health(rt: Runtime, endpoint: WebhookEndpoint,
                                 delivered: bool) -> None:
    """Start or end the endpoint's failure streak; a streak of a day disables it."""
    now = rt.clock.now()
    try:  # re-read: another worker may have moved it meanwhile
        endpoint = await rt.store.get_webhook_endpoint(endpoint.org_id, endpoint.id)
    except NotFound:
        return
    if delivered:
        if endpoint.failing_since is not None:
            await rt.store.update_webhook_endpoint(
                endpoint.model_copy(update={"failing_since": None}))
        return
    if endpoint.failing_since is None:
        await rt.store.update_webhook_endpoint(endpoint.model_copy(update={"failing_since": now}))
        return
    if endpoint.disabled or now - endpoint.failing_since < GIVE_UP_AFTER:
        return
    hours = int((now - endpoint.failing_since).total_seconds() // 3600)
    reason = (f"every delivery failed for {hours} hours (since "
              f"{endpoint.failing_since.isoformat()})")
    await rt.store.update_webhook_endpoint(endpoint.model_copy(update={
        "disabled": True, "disabled_reason": reason}))
    await record(rt, endpoint.org_id, SYSTEM_ACTOR, "webhook.disabled", endpoint.id,
                 reason=reason)
    await rt.notices.notify(WebhookEndpointDisabled(
        organization_id=endpoint.org_id, endpoint_id=endpoint.id,
        shown_url=shown_url(endpoint.url), reason=reason))


async def _give_up(rt: Runtime, delivery: WebhookDelivery, why: str) -> None:
    now = rt.clock.now()
    given_up = delivery.model_copy(update={
        "version": delivery.version + 1, "status": DeliveryStatus.FAILED,
        "next_attempt_at": None, "last_error": why, "updated_at": now})
    try:
        await rt.store.replace_webhook_delivery(given_up, delivery.version)
    except (Conflict, NotFound):
        return


async def queue_due_deliveries(rt: Runtime, queue: WebhookQueue) -> int:
    """The scheduler's sweep: queue every pending delivery whose next attempt is due (a retry
    whose time came, or a delivery whose message was lost). Each is moved to a new version
    first, so an older message for it does nothing; returns how many were queued."""
    now = rt.clock.now()
    queued: list[WebhookDelivery] = []
    for due in await rt.store.find_due_webhook_deliveries(now, SWEEP_BATCH):
        requeued = due.model_copy(update={"version": due.version + 1,
                                          "next_attempt_at": now + queue.requeue_after,
                                          "updated_at": now})
        try:
            await rt.store.replace_webhook_delivery(requeued, due.version)
        except (Conflict, NotFound):
            continue
        queued.append(requeued)
    await queue_deliveries(queue, queued)
    return len(queued)


async def replay_webhook_event(rt: Runtime, org_id: str, event_id: str, queue: WebhookQueue, *,
                               endpoint_id: str | None = None,
                               actor: str) -> list[WebhookDelivery]:
    """Send a recorded event again, with its id and body unchanged, to ``endpoint_id`` or to
    every enabled endpoint subscribed to its type; a new delivery each, recorded then queued."""
    try:
        event = await rt.store.get_webhook_event(org_id, event_id)
    except NotFound:
        raise NotFound(f"No webhook event {event_id!r} in this organization (the log keeps "
                       f"{LOG_RETENTION.days} days).") from None
    if endpoint_id is not None:
        try:
            endpoints = [await rt.store.get_webhook_endpoint(org_id, endpoint_id)]
        except NotFound:
            raise NotFound(f"No webhook endpoint {endpoint_id!r} in this "
                           "organization.") from None
        if endpoints[0].disabled:
            raise Conflict("That endpoint is disabled; enable it before replaying to it.")
    else:
        endpoints = [e for e in await rt.store.list_webhook_endpoints(org_id)
                     if e.subscribes(event.type)]
        if not endpoints:
            raise NotFound(f"No enabled endpoint subscribes to {event.type.value}; name one "
                           "with --endpoint.")
    deliveries = [new_delivery(event, endpoint, rt.clock, queue, replay=True)
                  for endpoint in endpoints]
    await rt.store.insert_webhook_deliveries(deliveries)
    await record(rt, org_id, actor, "webhook.replayed", event.id,
                 endpoints=",".join(e.id for e in endpoints))
    await queue_deliveries(queue, deliveries)
    return deliveries


async def purge_webhook_log(rt: Runtime) -> int:
    """Delete events, deliveries and attempts older than the log's 30 days."""
    return await rt.store.purge_webhook_log(rt.clock.now() - LOG_RETENTION)
