"""Every route, probed from the route table: a key lacking the route's scope is refused 403
naming it, and a key of another organization finds none of this one's objects (404)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.api.routes import API_ROUTES
from hub.api.table import ApiRoute
from postflow.api_keys import ApiScope
from postflow.posts import PostSource
from postflow.runtime import Runtime
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.hub.api.conftest import (
    Api,
    Tenant,
    body_for,
    make_tenant,
    post_body,
    route_path,
    scheduled_post,
)
from tests.hub.conftest import HubClient, error_code

ROUTE_IDS = [f"{r.method} {r.path}" for r in API_ROUTES]
WITH_IDS = [r for r in API_ROUTES if "{" in r.path]


async def own_post(rt: Runtime, tenant: Tenant) -> str:
    """A scheduled post of ``tenant``, made without its key (which may lack posts:write)."""
    post = await submit_post(rt, tenant.org.id, PostRequest(
        text="Hello", targets=[tenant.sandbox.id],
        schedule_at=datetime(2026, 12, 2, 9, tzinfo=UTC)), source=PostSource(kind="test"),
        actor="test", review_required=False)
    return post.id


@pytest.mark.parametrize("route", API_ROUTES, ids=ROUTE_IDS)
async def test_a_key_without_the_routes_scope_is_refused_403_naming_it(
        rt: Runtime, client: HubClient, route: ApiRoute) -> None:
    narrow = await make_tenant(rt, "Narrow", scopes=[s for s in ApiScope if s is not route.scope])
    path = route_path(route.path, narrow, await own_post(rt, narrow))

    response = await Api(client, narrow.token).call(route.method, path,
                                                    body_for(route.operation_id, narrow))

    assert response.status == 403
    assert await error_code(response) == "insufficient_scope"
    body = await response.json()
    assert body["error"]["details"]["needed_scope"] == route.scope.value
    assert route.scope.value in body["error"]["message"]
    assert f'scope="{route.scope.value}"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("route", API_ROUTES, ids=ROUTE_IDS)
async def test_a_key_with_the_routes_scope_alone_is_served(
        rt: Runtime, client: HubClient, route: ApiRoute) -> None:
    only = await make_tenant(rt, "Only", scopes=[route.scope])
    path = route_path(route.path, only, await own_post(rt, only))

    response = await Api(client, only.token).call(route.method, path,
                                                  body_for(route.operation_id, only))

    assert response.status == route.status, await response.text()


@pytest.mark.parametrize("route", WITH_IDS, ids=[f"{r.method} {r.path}" for r in WITH_IDS])
async def test_another_organizations_object_is_404_as_if_it_did_not_exist(
        client: HubClient, acme: Tenant, globex: Tenant, route: ApiRoute) -> None:
    theirs = await scheduled_post(Api(client, globex.token), globex)
    path = route_path(route.path, globex, theirs)

    response = await Api(client, acme.token).call(route.method, path,
                                                  body_for(route.operation_id, acme))
    missing = await Api(client, acme.token).call(
        route.method, route_path(route.path, globex, "post_doesnotexist0000000").replace(
            globex.sandbox.id, "conn_doesnotexist0000000"), body_for(route.operation_id, acme))

    assert response.status == 404, await response.text()
    assert (await response.json())["error"]["code"] == (await missing.json())["error"]["code"]
    after = await Api(client, globex.token).get(f"/v1/posts/{theirs}")
    assert (await after.json())["status"] == "scheduled"  # untouched


LISTS = {"/v1/posts": "id", "/v1/connections": "id", "/v1/hooks": "id",
         "/v1/audit-events": "id"}


@pytest.mark.parametrize("path", sorted(LISTS))
async def test_lists_show_only_the_keys_own_organization(client: HubClient, acme: Tenant,
                                                         globex: Tenant, path: str) -> None:
    theirs = await scheduled_post(Api(client, globex.token), globex)
    mine = await scheduled_post(Api(client, acme.token), acme)

    response = await Api(client, acme.token).get(path, limit=100)
    text = await response.text()

    assert response.status == 200
    for foreign in (theirs, globex.sandbox.id, globex.hook.id, globex.org.id):
        assert foreign not in text
    assert mine in text or path in ("/v1/connections", "/v1/hooks")


async def test_usage_counts_only_the_keys_own_organization(client: HubClient, acme: Tenant,
                                                           globex: Tenant) -> None:
    await scheduled_post(Api(client, globex.token), globex)

    body = await (await Api(client, acme.token).get("/v1/usage")).json()

    posts = next(m for m in body["metrics"] if m["metric"] == "scheduled_posts_per_month")
    assert posts["used"] == 0


async def test_a_post_to_another_organizations_account_is_refused_as_to_none(
        client: HubClient, acme: Tenant, globex: Tenant) -> None:
    api = Api(client, acme.token)

    theirs = await api.post("/v1/posts", {"text": "Hi", "targets": [globex.sandbox.id]})
    nobodys = await api.post("/v1/posts", {"text": "Hi", "targets": ["conn_doesnotexist00000"]})

    assert (theirs.status, nobodys.status) == (422, 422)
    assert (await theirs.json())["error"]["message"].replace(globex.sandbox.id, "X") == \
        (await nobodys.json())["error"]["message"].replace("conn_doesnotexist00000", "X")


async def test_an_idempotency_key_of_another_organization_replays_nothing(
        client: HubClient, acme: Tenant, globex: Tenant) -> None:
    await Api(client, globex.token).post("/v1/posts", post_body(globex), key="k")

    mine = await Api(client, acme.token).post("/v1/posts", post_body(acme), key="k")

    assert mine.status == 201
    assert "Idempotent-Replayed" not in mine.headers
    assert (await mine.json())["targets"][0]["connection_id"] == acme.sandbox.id
