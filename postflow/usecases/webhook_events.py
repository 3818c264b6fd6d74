"""Recording an outbound event and handing its deliveries to workers, and the notice
router's sink that does it for every notice with an event type.

The event and one delivery per subscribed endpoint are stored first; only then is each
delivery queued. A delivery whose message is lost (broker down, a worker killed) is due again
at ``next_attempt_at`` and the scheduler's sweep queues it then, so nothing is lost.
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from postflow.clock import Clock
from postflow.ids import new_id, new_sortable_id
from postflow.notices.events import Notice
from postflow.notices.webhook_events import JsonObject, event_object, event_type_of
from postflow.store.port import Store
from postflow.webhooks.event_types import WebhookEventType
from postflow.webhooks.records import WebhookDelivery, WebhookEndpoint, WebhookEvent
from postflow.webhooks.sending import WebhookQueue

log = logging.getLogger(__name__)

def event_body(event_id: str, event_type: WebhookEventType, org_id: str, created_at_iso: str,
               obj: JsonObject) -> str:
    """The JSON every endpoint is sent for the event (docs/webhooks.md, Payload)."""
    return json.dumps({"id": event_id, "type": event_type.value, "time": created_at_iso,
                       "organization_id": org_id, "data": {"object": obj}},
                      separators=(",", ":"), ensure_ascii=False)


def new_delivery(event: WebhookEvent, endpoint: WebhookEndpoint, clock: Clock,
                 queue: WebhookQueue, *, replay: bool = False) -> WebhookDelivery:
    """A pending delivery, due again (for the sweep) when its message would be lost."""
    now = clock.now()
    return WebhookDelivery(id=new_id("whd"), org_id=event.org_id, event_id=event.id,
                           event_type=event.type, endpoint_id=endpoint.id,
                           next_attempt_at=now + queue.requeue_after, replay=replay,
                           created_at=now, updated_at=now)


async def queue_deliveries(queue: WebhookQueue, deliveries: list[WebhookDelivery]) -> None:
    """Hand recorded deliveries to workers; a failure is logged, the sweep sends them later."""
    for delivery in deliveries:
        try:
            await queue.enqueue_delivery(delivery.org_id, delivery.id, delivery.version)
        except Exception:
            log.warning("could not queue webhook delivery %s; the scheduler sends it in %d s",
                        delivery.id, queue.requeue_after.total_seconds(), exc_info=True)


#: How long an organization's endpoints are read from memory: every post scheduled asks, and
#: most organizations have none. An endpoint added or changed elsewhere counts this much later.
ENDPOINTS_TTL_SECONDS = 2.0
MAX_CACHED_ORGANIZATIONS = 1024


class WebhookEmitter:
    """Records events for the endpoints that subscribe to them, then queues the deliveries."""

    def __init__(self, store: Store, clock: Clock, queue: WebhookQueue, *,
                 ttl_seconds: float = ENDPOINTS_TTL_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._clock = clock
        self._queue = queue
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        #: org id -> (read until, on ``monotonic``'s scale; its endpoints)
        self._endpoints: OrderedDict[str, tuple[float, list[WebhookEndpoint]]] = OrderedDict()

    async def _endpoints_of(self, org_id: str) -> list[WebhookEndpoint]:
        now = self._monotonic()
        cached = self._endpoints.get(org_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        endpoints = await self._store.list_webhook_endpoints(org_id)
        if self._ttl > 0:
            self._endpoints[org_id] = (now + self._ttl, endpoints)
            self._endpoints.move_to_end(org_id)
            while len(self._endpoints) > MAX_CACHED_ORGANIZATIONS:
                self._endpoints.popitem(last=False)
        return endpoints

    async def emit(self, org_id: str, event_type: WebhookEventType,
                   obj: JsonObject | Callable[[], JsonObject]) -> WebhookEvent | None:
        """The recorded event, or None when no enabled endpoint of ``org_id`` subscribes to
        ``event_type`` (nothing is recorded then). ``obj`` may be a function building the
        object: it is called only when someone subscribes (most organizations: nobody)."""
        endpoints = [e for e in await self._endpoints_of(org_id) if e.subscribes(event_type)]
        if not endpoints:
            return None
        if callable(obj):
            obj = obj()
        now = self._clock.now()
        event_id = new_sortable_id("evt")
        event = WebhookEvent(id=event_id, org_id=org_id, type=event_type, created_at=now,
                             body=event_body(event_id, event_type, org_id, now.isoformat(), obj))
        deliveries = [new_delivery(event, endpoint, self._clock, self._queue)
                      for endpoint in endpoints]
        await self._store.insert_webhook_event(event, deliveries)
        await queue_deliveries(self._queue, deliveries)
        return event


class WebhookNoticeSink:
    name = "webhooks"

    def __init__(self, emitter: WebhookEmitter) -> None:
        self._emitter = emitter

    def wants(self, notice: Notice) -> bool:
        return event_type_of(notice) is not None

    async def deliver(self, notice: Notice) -> None:
        event_type = event_type_of(notice)
        if event_type is not None:
            await self._emitter.emit(notice.org_id, event_type, lambda: event_object(notice))
