"""``/v1/connections``, ``/v1/queues``, ``/v1/hooks``, ``/v1/audit-events`` and ``/v1/usage``:
the organization's accounts, queues, incoming hooks, audit trail and plan usage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from hub.api.call import Answer, ApiCall
from hub.api.pages import PageQuery, decode_cursor, next_cursor, page_in_memory
from hub.api.table import ApiRoute
from hub.api.views import (
    AuditEventPage,
    ConnectionHealthView,
    ConnectionPage,
    ConnectionView,
    HookPage,
    QueueView,
    SlotView,
    UsageMetric,
    UsageView,
    audit_view,
    connection_health,
    connection_view,
    hook_view,
    queue_view,
)
from postflow.api_keys import ApiScope
from postflow.audit import AuditEvent
from postflow.connections import Connection
from postflow.hooks import IncomingHook
from postflow.org_media import MEDIA_BYTES_METRIC, MEDIA_BYTES_PERIOD
from postflow.pages import PageAfter
from postflow.plans import Limit
from postflow.usecases.queues import queue_settings_for, set_queue_settings, upcoming_queue
from postflow.usecases.submit_post import usage_period


class AuditQuery(PageQuery):
    subject_id: str | None = Field(None, max_length=100,
                                   description="Only events about this record (a post id...).")


class QueueSlots(BaseModel):
    """The queue's new settings, replacing the current ones."""

    model_config = ConfigDict(extra="forbid", strict=True)

    slots: list[SlotView] = Field(min_length=1, max_length=100)
    timezone: str | None = Field(None, description="IANA zone; left out: kept as it is.")
    max_per_day: int | None = Field(None, description="At most this many a day; null: no cap.")
    max_per_week: int | None = None


# -- connections ----------------------------------------------------------------------------

def _connection_position(connection: Connection) -> PageAfter:
    return PageAfter(at=connection.created_at, id=connection.id)


async def list_connections(call: ApiCall) -> Answer:
    query = call.query_as(PageQuery)
    data, cursor = page_in_memory(await call.rt.store.list_connections(call.org.id), query,
                                  _connection_position)
    return Answer(ConnectionPage(data=[connection_view(c) for c in data], next_cursor=cursor))


async def get_connection(call: ApiCall) -> Answer:
    connection = await call.rt.store.get_connection(call.org.id, call.path("connection_id"))
    return Answer(connection_view(connection))


async def get_connection_health(call: ApiCall) -> Answer:
    connection = await call.rt.store.get_connection(call.org.id, call.path("connection_id"))
    return Answer(connection_health(connection, call.rt.clock.now()))


# -- queues ----------------------------------------------------------------------------------

async def get_queue(call: ApiCall) -> Answer:
    connection_id = call.path("connection_id")
    upcoming = await upcoming_queue(call.rt, call.org.id, connection_id)  # NotFound first
    settings = await queue_settings_for(call.rt, call.org.id, connection_id)
    return Answer(queue_view(settings, upcoming))


async def set_queue_slots(call: ApiCall) -> Answer:
    body = call.body_as(QueueSlots)
    connection_id = call.path("connection_id")
    settings = await set_queue_settings(
        call.rt, call.org.id, connection_id, slots=[(s.weekday, s.time) for s in body.slots],
        timezone=body.timezone, max_per_day=body.max_per_day, max_per_week=body.max_per_week,
        actor=call.actor)
    return Answer(queue_view(settings, await upcoming_queue(call.rt, call.org.id,
                                                            connection_id)))


# -- hooks, audit, usage ---------------------------------------------------------------------

def _hook_position(hook: IncomingHook) -> PageAfter:
    return PageAfter(at=hook.created_at, id=hook.id)


async def list_hooks(call: ApiCall) -> Answer:
    query = call.query_as(PageQuery)
    data, cursor = page_in_memory(await call.rt.store.list_hooks(call.org.id), query,
                                  _hook_position)
    base = call.rt.settings.base_url
    return Answer(HookPage(data=[hook_view(base, h) for h in data], next_cursor=cursor))


def _event_position(event: AuditEvent) -> PageAfter:
    return PageAfter(at=event.at, id=event.id)


async def list_audit_events(call: ApiCall) -> Answer:
    query = call.query_as(AuditQuery)
    events = await call.rt.store.list_audit_page(call.org.id, subject_id=query.subject_id,
                                                 after=decode_cursor(query.cursor),
                                                 limit=query.limit + 1)
    return Answer(AuditEventPage(data=[audit_view(e) for e in events[:query.limit]],
                                 next_cursor=next_cursor(events, query.limit, _event_position)))


async def get_usage(call: ApiCall) -> Answer:
    rt, org = call.rt, call.org
    plan = rt.plans.get(org.plan)
    period = usage_period(rt.clock.now())
    used = {
        Limit.SCHEDULED_POSTS_PER_MONTH: await rt.store.get_usage(
            org.id, Limit.SCHEDULED_POSTS_PER_MONTH.value, period),
        Limit.CONNECTED_ACCOUNTS: await rt.store.count_connections(org.id),
        Limit.MEMBERS: await rt.store.count_members(org.id),
        Limit.WORKSPACES: await rt.store.count_workspaces(org.id),
        Limit.MEDIA_STORAGE_BYTES: await rt.store.get_usage(org.id, MEDIA_BYTES_METRIC,
                                                            MEDIA_BYTES_PERIOD),
    }
    return Answer(UsageView(plan=plan.key, period=period, metrics=[
        UsageMetric(metric=limit.value, used=count, limit=plan.limits.get(limit))
        for limit, count in used.items()]))


ROUTES = (
    ApiRoute("GET", "/v1/connections", list_connections, ApiScope.CONNECTIONS_READ,
             "List connected accounts", ConnectionPage, query=PageQuery, tag="connections"),
    ApiRoute("GET", "/v1/connections/{connection_id}", get_connection,
             ApiScope.CONNECTIONS_READ, "Get a connected account", ConnectionView,
             tag="connections"),
    ApiRoute("GET", "/v1/connections/{connection_id}/health", get_connection_health,
             ApiScope.CONNECTIONS_READ, "Get a connected account's health",
             ConnectionHealthView, tag="connections"),
    ApiRoute("GET", "/v1/queues/{connection_id}", get_queue, ApiScope.QUEUES_READ,
             "Get an account's queue: slots, caps and the posts holding slots", QueueView,
             tag="queues"),
    ApiRoute("PUT", "/v1/queues/{connection_id}/slots", set_queue_slots, ApiScope.QUEUES_WRITE,
             "Replace an account's queue slots", QueueView, body=QueueSlots, tag="queues",
             description="Posts already queued keep their times."),
    ApiRoute("GET", "/v1/hooks", list_hooks, ApiScope.HOOKS_READ, "List incoming hooks",
             HookPage, query=PageQuery, tag="hooks",
             description="Never their secrets."),
    ApiRoute("GET", "/v1/audit-events", list_audit_events, ApiScope.AUDIT_READ,
             "List audit events", AuditEventPage, query=AuditQuery, tag="audit",
             description="Newest first."),
    ApiRoute("GET", "/v1/usage", get_usage, ApiScope.USAGE_READ,
             "Get the plan's usage this month", UsageView, tag="usage"),
)
