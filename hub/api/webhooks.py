"""``/v1/webhooks``: outbound webhook endpoints (add, list, read, enable or disable, remove),
their delivery log, and replaying a recorded event, over the core's use cases
(``postflow/usecases/webhook_endpoints.py``, ``webhook_deliveries.py``; docs/webhooks.md).

A replay is recorded at once and sent by the scheduler's next sweep of due deliveries (the hub
hands nothing to a worker itself), hence ``202``.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from hub.api.call import Answer, ApiCall
from hub.api.pages import PageQuery, cursor_field, page_in_memory
from hub.api.table import ApiRoute
from postflow.api_keys import ApiScope
from postflow.pages import PageAfter
from postflow.usecases.webhook_deliveries import replay_webhook_event
from postflow.usecases.webhook_endpoints import (
    MAX_LOG_ROWS,
    add_webhook_endpoint,
    get_webhook_endpoint,
    list_webhook_endpoints,
    remove_webhook_endpoint,
    set_webhook_endpoint_disabled,
    webhook_delivery_log,
)
from postflow.webhooks.event_types import EVENT_TYPES
from postflow.webhooks.records import WebhookEndpoint
from postflow.webhooks.sending import SweptLater
from postflow.webhooks.views import delivery_view, endpoint_view

EVENTS = ", ".join(f"`{e.value}`" for e in EVENT_TYPES)


class WebhookEndpointView(BaseModel):
    id: str
    org_id: str
    url: str
    events: list[str]
    disabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime


class WebhookEndpointCreated(WebhookEndpointView):
    secret: str = Field(description="The signing secret, `whsec_...`: shown only here.")


class WebhookAttemptView(BaseModel):
    number: int
    at: datetime
    status_code: int | None
    delivered: bool
    error: str | None
    answer: str = Field(description="The start of the receiver's answer.")
    duration_ms: int


class WebhookDeliveryView(BaseModel):
    id: str
    event_id: str
    event_type: str
    endpoint_id: str
    status: str
    replay: bool
    attempt_count: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    attempts: list[WebhookAttemptView]


class WebhookEndpointPage(BaseModel):
    data: list[WebhookEndpointView]
    next_cursor: str | None = cursor_field()


class WebhookDeliveryPage(BaseModel):
    data: list[WebhookDeliveryView]
    next_cursor: str | None = cursor_field()


class WebhookEndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    url: str = Field(max_length=2048, description="https, a public host.")
    events: list[str] = Field(min_length=1, description=f"Among {EVENTS}.")


class WebhookEndpointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    disabled: bool = Field(description="true: send nothing to it; false: send again.")


class DeliveryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(20, ge=1, le=100, description="The newest deliveries, 1 to 100.")


class Replay(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    endpoint_id: str | None = Field(
        None, description="Only to this endpoint; else to every enabled endpoint subscribed "
                          "to the event's type.")


def _view(endpoint: WebhookEndpoint) -> WebhookEndpointView:
    return WebhookEndpointView.model_validate(endpoint_view(endpoint))


def _position(endpoint: WebhookEndpoint) -> PageAfter:
    return PageAfter(at=endpoint.created_at, id=endpoint.id)


async def list_webhooks(call: ApiCall) -> Answer:
    data, cursor = page_in_memory(await list_webhook_endpoints(call.rt, call.org.id),
                                  call.query_as(PageQuery), _position)
    return Answer(WebhookEndpointPage(data=[_view(e) for e in data], next_cursor=cursor))


async def create_webhook(call: ApiCall) -> Answer:
    body = call.body_as(WebhookEndpointCreate)
    created = await add_webhook_endpoint(call.rt, call.org.id, body.url, body.events,
                                         actor=call.actor)
    return Answer(WebhookEndpointCreated(**_view(created.endpoint).model_dump(),
                                         secret=created.secret),
                  status=201, headers={"Location": f"/v1/webhooks/{created.endpoint.id}"})


async def get_webhook(call: ApiCall) -> Answer:
    return Answer(_view(await get_webhook_endpoint(call.rt, call.org.id,
                                                   call.path("endpoint_id"))))


async def update_webhook(call: ApiCall) -> Answer:
    endpoint = await set_webhook_endpoint_disabled(
        call.rt, call.org.id, call.path("endpoint_id"),
        call.body_as(WebhookEndpointUpdate).disabled, actor=call.actor)
    return Answer(_view(endpoint))


async def delete_webhook(call: ApiCall) -> Answer:
    await remove_webhook_endpoint(call.rt, call.org.id, call.path("endpoint_id"),
                                  actor=call.actor)
    return Answer(None, status=204)


async def list_webhook_deliveries(call: ApiCall) -> Answer:
    query = call.query_as(DeliveryQuery)
    logged = await webhook_delivery_log(call.rt, call.org.id,
                                        endpoint_id=call.path("endpoint_id"),
                                        limit=min(query.limit, MAX_LOG_ROWS))
    return Answer(WebhookDeliveryPage(data=[
        WebhookDeliveryView.model_validate(delivery_view(d.delivery, d.attempts))
        for d in logged], next_cursor=None))


async def replay_event(call: ApiCall) -> Answer:
    body = call.body_as(Replay)
    deliveries = await replay_webhook_event(call.rt, call.org.id, call.path("event_id"),
                                            SweptLater(), endpoint_id=body.endpoint_id,
                                            actor=call.actor)
    return Answer(WebhookDeliveryPage(data=[
        WebhookDeliveryView.model_validate(delivery_view(d, [])) for d in deliveries],
        next_cursor=None), status=202)


ROUTES: tuple[ApiRoute, ...] = (
    ApiRoute("GET", "/v1/webhooks", list_webhooks, ApiScope.WEBHOOKS_READ,
             "List outbound webhook endpoints", WebhookEndpointPage, query=PageQuery,
             tag="webhooks", description="Never their secrets."),
    ApiRoute("POST", "/v1/webhooks", create_webhook, ApiScope.WEBHOOKS_WRITE,
             "Add an outbound webhook endpoint", WebhookEndpointCreated, 201,
             body=WebhookEndpointCreate, tag="webhooks",
             description="Answers the signing secret, once."),
    ApiRoute("GET", "/v1/webhooks/{endpoint_id}", get_webhook, ApiScope.WEBHOOKS_READ,
             "Get an outbound webhook endpoint", WebhookEndpointView, tag="webhooks"),
    ApiRoute("PATCH", "/v1/webhooks/{endpoint_id}", update_webhook, ApiScope.WEBHOOKS_WRITE,
             "Disable or enable an outbound webhook endpoint", WebhookEndpointView,
             body=WebhookEndpointUpdate, tag="webhooks"),
    ApiRoute("DELETE", "/v1/webhooks/{endpoint_id}", delete_webhook, ApiScope.WEBHOOKS_WRITE,
             "Remove an outbound webhook endpoint", None, 204, tag="webhooks",
             description="Its delivery log stays until purged (30 days)."),
    ApiRoute("GET", "/v1/webhooks/{endpoint_id}/deliveries", list_webhook_deliveries,
             ApiScope.WEBHOOKS_READ, "List an endpoint's latest deliveries and their attempts",
             WebhookDeliveryPage, query=DeliveryQuery, tag="webhooks",
             description="Newest first; `next_cursor` is always null (the newest `limit`)."),
    ApiRoute("POST", "/v1/webhook-events/{event_id}/replay", replay_event,
             ApiScope.WEBHOOKS_WRITE, "Replay a recorded event", WebhookDeliveryPage, 202,
             body=Replay, tag="webhooks",
             description="The same event id and body, as new deliveries; sent by the "
                         "scheduler's next sweep."),
)
