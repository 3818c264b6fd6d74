"""API fixtures: two organizations, each with a sandbox account, a hook and a key with every
scope; a client that sends a key as a bearer token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientResponse

from postflow.api_keys import ApiScope
from postflow.connections import Connection
from postflow.hooks import IncomingHook
from postflow.ids import new_id
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.api_keys import create_api_key
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.hooks import create_hook
from postflow.usecases.organizations import create_organization
from postflow.usecases.webhook_endpoints import add_webhook_endpoint
from postflow.webhooks.event_types import EVENT_TYPES
from postflow.webhooks.records import WebhookEvent
from tests.hub.conftest import HubClient


@dataclass
class Tenant:
    org: Organization
    sandbox: Connection
    hook: IncomingHook
    token: str
    #: An outbound webhook endpoint, and an event recorded for it.
    endpoint_id: str
    event_id: str


@dataclass
class Api:
    """Calls the API with one key."""

    client: HubClient
    token: str

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    async def call(self, method: str, path: str, body: Any = None, *,
                   headers: dict[str, str] | None = None, **params: Any) -> ClientResponse:
        return await self.client.request(method, path, json=body, params=params or None,
                                         headers=self.headers(headers))

    async def get(self, path: str, **params: Any) -> ClientResponse:
        return await self.call("GET", path, **params)

    async def post(self, path: str, body: Any = None, *, key: str | None = None,
                   headers: dict[str, str] | None = None) -> ClientResponse:
        extra = dict(headers or {})
        if key is not None:
            extra["Idempotency-Key"] = key
        return await self.call("POST", path, body, headers=extra)


async def make_tenant(rt: Runtime, name: str,
                      scopes: list[ApiScope] | None = None) -> Tenant:
    org = await create_organization(rt, name, actor="test")
    sandbox = await connect_sandbox(rt, org.id, f"{name.lower()}-sandbox", actor="test")
    hook = (await create_hook(rt, org.id, "CI", actor="test")).hook
    issued = await create_api_key(rt, org.id, "test", scopes or list(ApiScope), actor="test")
    endpoint = await add_webhook_endpoint(rt, org.id, "https://example.com/in",
                                          list(EVENT_TYPES), actor="test")
    event = WebhookEvent(id=new_id("evt"), org_id=org.id, type=EVENT_TYPES[0],
                         created_at=rt.clock.now(), body="{}")
    await rt.store.insert_webhook_event(event, [])
    return Tenant(org, sandbox, hook, issued.token, endpoint.endpoint.id, event.id)


@pytest.fixture
async def acme(rt: Runtime) -> Tenant:
    return await make_tenant(rt, "Acme")


@pytest.fixture
async def globex(rt: Runtime) -> Tenant:
    return await make_tenant(rt, "Globex")


@pytest.fixture
def api(client: HubClient, acme: Tenant) -> Api:
    return Api(client, acme.token)


def post_body(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    return {"text": "Release 1.2 is out", "targets": [tenant.sandbox.id]} | fields


#: A valid body for each operation that takes one, by operation id.
SAMPLE_BODIES: dict[str, Any] = {
    "update_post": {"text": "Release 1.2.1 is out"},
    "reschedule": {"schedule_at": "2026-12-02T09:00:00+00:00"},
    "publish_post_now": {},
    "set_queue_slots": {"slots": [{"weekday": 0, "time": "10:00"}]},
    "create_webhook": {"url": "https://example.org/postflow", "events": ["post.published"]},
    "update_webhook": {"disabled": True},
    "replay_event": {},
}


async def scheduled_post(api: Api, tenant: Tenant) -> str:
    """A post of ``tenant`` scheduled a week ahead; its id."""
    response = await api.post("/v1/posts", post_body(
        tenant, schedule_at="2026-12-02T09:00:00+00:00"))
    assert response.status == 201, await response.text()
    post_id: str = (await response.json())["id"]
    return post_id


def route_path(path: str, tenant: Tenant, post_id: str) -> str:
    """``path`` with its parameters naming ``tenant``'s objects."""
    return path.format(post_id=post_id, connection_id=tenant.sandbox.id,
                       endpoint_id=tenant.endpoint_id, event_id=tenant.event_id)


def body_for(operation_id: str, tenant: Tenant) -> Any:
    if operation_id == "create_post":
        return post_body(tenant, schedule_at="2026-12-02T09:00:00+00:00")
    return SAMPLE_BODIES.get(operation_id)
