"""``admit_request``: the one call an authenticated route makes (hooks now, API keys at merge):
a suspended organization is refused with 403, a request over the key's or the organization's
rate with 429 and the rate fields, and the route's handler is not run."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hub import rate_limiting
from hub.admission import admit_request
from hub.errors import error_middleware
from postflow.organizations import Organization
from postflow.rate_limits import RateScope
from postflow.runtime import Runtime
from postflow.usecases.admin import suspend_organization
from tests.hub.conftest import HubClient

CALLS: list[str] = []


@pytest.fixture
async def api_client(rt: Runtime, org: Organization) -> AsyncIterator[HubClient]:
    """A stand-in for a /v1 route authenticated by an API key ``key_1`` of ``org``."""
    CALLS.clear()

    async def handler(request: web.Request) -> web.Response:
        await admit_request(request, rt, org.id, RateScope.API_KEY, "key_1")
        CALLS.append("ran")
        return web.json_response({"ok": True})

    app = web.Application(middlewares=[error_middleware])
    rate_limiting.install(app)
    app.router.add_get("/v1/things", handler)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


async def test_an_api_key_gets_its_plans_60_a_minute_then_429(api_client: HubClient) -> None:
    answers = [await api_client.get("/v1/things") for _ in range(61)]
    assert [a.status for a in answers[:60]] == [200] * 60
    refused = answers[60]
    assert refused.status == 429
    assert refused.headers["RateLimit-Policy"] == '"api_key";q=60;w=60'
    assert refused.headers["Retry-After"] == "1"
    assert len(CALLS) == 60  # the refused request ran nothing
    assert answers[0].headers["RateLimit"] == '"api_key";r=59;t=1, "organization";r=119;t=1'


async def test_a_suspended_organizations_key_is_refused_before_anything_runs(
        api_client: HubClient, rt: Runtime, org: Organization) -> None:
    await suspend_organization(rt, org.id, "unpaid invoices")
    response = await api_client.get("/v1/things")
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "organization_suspended"
    assert CALLS == []
