"""API conventions: cursor pagination (over 1,000 posts, stable under inserts), Idempotency-Key
on POSTs, ETags with If-None-Match, and the gates every request passes."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from hub.api.call import API_GATES, ApiCall
from hub.errors import HubError
from postflow.posts import Post, PostSource, PostStatus, PostTarget
from postflow.runtime import Runtime
from postflow.usecases.admin import suspend_organization
from tests.hub.api.conftest import Api, Tenant, post_body, scheduled_post
from tests.hub.conftest import HubClient, error_code


async def _insert_posts(rt: Runtime, tenant: Tenant, count: int) -> list[str]:
    """``count`` posts written straight to the store, three a second (the id breaks ties);
    their ids in list order: newest first, then the greater id first."""
    start = rt.clock.now()
    posts = []
    for i in range(count):
        at = start - timedelta(seconds=i // 3)
        post = Post(id=f"post_{i:05d}", org_id=tenant.org.id, text=f"Post {i}",
                    targets=[PostTarget(connection_id=tenant.sandbox.id, network="sandbox")],
                    status=PostStatus.SCHEDULED, source=PostSource(kind="test"),
                    created_at=at, updated_at=at)
        await rt.store.insert_post(post)
        posts.append(post)
    return [p.id for p in sorted(posts, key=lambda p: (p.created_at, p.id), reverse=True)]


async def _all_pages(api: Api, limit: int) -> tuple[list[str], int]:
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": str(limit)} | ({"cursor": cursor} if cursor else {})
        body = await (await api.get("/v1/posts", **params)).json()
        pages += 1
        seen += [p["id"] for p in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages


async def test_paging_1000_posts_returns_each_once_newest_first(rt: Runtime, api: Api,
                                                                 acme: Tenant) -> None:
    ids = await _insert_posts(rt, acme, 1000)

    seen, pages = await _all_pages(api, 100)

    assert pages == 10
    assert seen == ids


async def test_posts_inserted_while_paging_do_not_shift_the_next_pages(
        rt: Runtime, api: Api, acme: Tenant) -> None:
    ids = await _insert_posts(rt, acme, 30)
    first = await (await api.get("/v1/posts", limit="10")).json()
    rt.clock.advance(1)  # type: ignore[attr-defined]
    await scheduled_post(api, acme)

    second = await (await api.get("/v1/posts", limit="10",
                                  cursor=first["next_cursor"])).json()

    assert [p["id"] for p in first["data"]] == ids[:10]
    assert [p["id"] for p in second["data"]] == ids[10:20]


async def test_the_default_page_holds_20(rt: Runtime, api: Api, acme: Tenant) -> None:
    await _insert_posts(rt, acme, 25)

    body = await (await api.get("/v1/posts")).json()

    assert len(body["data"]) == 20
    assert body["next_cursor"] is not None


async def test_limits_outside_1_to_100_and_bad_cursors_are_422(api: Api) -> None:
    for params in ({"limit": "0"}, {"limit": "101"}, {"limit": "ten"},
                   {"cursor": "not-a-cursor"}, {"cursor": "W10"}):
        response = await api.get("/v1/posts", **params)
        assert response.status == 422, params
        assert await error_code(response) == "bad_input"


# -- idempotency ------------------------------------------------------------------------------

async def test_same_key_same_body_replays_the_first_answer(rt: Runtime, api: Api,
                                                           acme: Tenant) -> None:
    body = post_body(acme, schedule_at="2026-12-02T09:00:00+00:00")

    first = await api.post("/v1/posts", body, key="k-1")
    again = await api.post("/v1/posts", body, key="k-1")

    assert (first.status, again.status) == (201, 201)
    assert await again.json() == await first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(await rt.store.list_posts(acme.org.id)) == 1


async def test_same_key_other_body_is_409(rt: Runtime, api: Api, acme: Tenant) -> None:
    await api.post("/v1/posts", post_body(acme, schedule_at="2026-12-02T09:00:00+00:00"),
                   key="k-1")

    other = await api.post("/v1/posts", post_body(acme, text="Other"), key="k-1")

    assert other.status == 409
    assert await error_code(other) == "idempotency_key_reused"
    assert len(await rt.store.list_posts(acme.org.id)) == 1


async def test_same_key_on_another_path_is_409(api: Api, acme: Tenant) -> None:
    post_id = await scheduled_post(api, acme)
    await api.post(f"/v1/posts/{post_id}/cancel", key="k-2")

    other = await api.post(f"/v1/posts/{post_id}/publish-now", key="k-2")

    assert other.status == 409


async def test_a_failed_request_frees_its_key(api: Api, acme: Tenant) -> None:
    refused = await api.post("/v1/posts", post_body(acme, schedule_at="2020-01-01T00:00:00Z"),
                             key="k-3")
    fixed = await api.post("/v1/posts", post_body(acme, schedule_at="2020-01-01T00:00:00Z"),
                           key="k-3")

    assert (refused.status, fixed.status) == (422, 422)
    assert "Idempotent-Replayed" not in fixed.headers


async def test_keys_are_per_organization(client: HubClient, acme: Tenant,
                                         globex: Tenant) -> None:
    mine = await Api(client, acme.token).post("/v1/posts", post_body(acme), key="shared")
    theirs = await Api(client, globex.token).post("/v1/posts", post_body(globex), key="shared")

    assert (mine.status, theirs.status) == (201, 201)
    assert (await mine.json())["id"] != (await theirs.json())["id"]


async def test_a_replayed_cancel_answers_as_the_first_did(api: Api, acme: Tenant) -> None:
    post_id = await scheduled_post(api, acme)

    first = await api.post(f"/v1/posts/{post_id}/cancel", key="c-1")
    again = await api.post(f"/v1/posts/{post_id}/cancel", key="c-1")
    unkeyed = await api.post(f"/v1/posts/{post_id}/cancel")

    assert (first.status, again.status, unkeyed.status) == (200, 200, 409)


# -- ETags ------------------------------------------------------------------------------------

async def test_reads_carry_an_etag_and_if_none_match_answers_304(api: Api,
                                                                 acme: Tenant) -> None:
    post_id = await scheduled_post(api, acme)
    first = await api.get(f"/v1/posts/{post_id}")
    etag = first.headers["ETag"]

    same = await api.call("GET", f"/v1/posts/{post_id}", headers={"If-None-Match": etag})
    listed = await api.call("GET", "/v1/posts", headers={"If-None-Match": f'W/{etag}, "x"'})

    assert same.status == 304
    assert same.headers["ETag"] == etag
    assert await same.read() == b""
    assert listed.status == 200


async def test_a_changed_object_answers_200_with_a_new_etag(api: Api, acme: Tenant) -> None:
    post_id = await scheduled_post(api, acme)
    etag = (await api.get(f"/v1/posts/{post_id}")).headers["ETag"]
    await api.call("PATCH", f"/v1/posts/{post_id}", {"text": "Changed"})

    after = await api.call("GET", f"/v1/posts/{post_id}", headers={"If-None-Match": etag})

    assert after.status == 200
    assert after.headers["ETag"] != etag


# -- gates ------------------------------------------------------------------------------------

async def test_a_gate_refuses_before_the_handler_with_its_headers(
        rt: Runtime, client: HubClient, acme: Tenant) -> None:
    seen: list[str] = []

    async def suspended(call: ApiCall) -> None:
        seen.append(call.org.id)
        call.response_headers["X-Gate"] = "refused"
        raise HubError(403, "gate_refused", "A gate refused this request.")

    app: web.Application = client.server.app  # type: ignore[assignment]
    app[API_GATES].append(suspended)

    response = await Api(client, acme.token).post("/v1/posts", post_body(acme))

    assert response.status == 403
    assert await error_code(response) == "gate_refused"
    assert response.headers["X-Gate"] == "refused"
    assert seen == [acme.org.id]
    assert await rt.store.list_posts(acme.org.id) == []


async def test_a_gates_headers_reach_a_served_answer(client: HubClient, acme: Tenant) -> None:
    async def counted(call: ApiCall) -> None:
        call.response_headers["X-Gate"] = "counted"

    app: web.Application = client.server.app  # type: ignore[assignment]
    app[API_GATES].append(counted)

    response = await Api(client, acme.token).get("/v1/posts")

    assert response.status == 200
    assert response.headers["X-Gate"] == "counted"


async def test_a_suspended_organizations_key_is_refused_and_nothing_is_created(
        rt: Runtime, client: HubClient, acme: Tenant) -> None:
    await suspend_organization(rt, acme.org.id, "unpaid invoices")

    response = await Api(client, acme.token).post("/v1/posts", post_body(acme))

    assert response.status == 403
    assert await error_code(response) == "organization_suspended"
    assert await rt.store.list_posts(acme.org.id) == []


async def test_a_key_over_its_plans_rate_is_refused_with_retry_after_and_nothing_created(
        rt: Runtime, client: HubClient, acme: Tenant) -> None:
    api = Api(client, acme.token)
    per_minute = rt.plans.get(acme.org.plan).rate_limits.api_key
    assert per_minute is not None
    for _ in range(per_minute):
        assert (await api.get("/v1/usage")).status == 200

    response = await api.post("/v1/posts", post_body(acme))

    assert response.status == 429
    assert await error_code(response) == "rate_limited"
    assert int(response.headers["Retry-After"]) >= 1
    assert "RateLimit" in response.headers and "RateLimit-Policy" in response.headers
    assert await rt.store.list_posts(acme.org.id) == []


async def test_an_idempotency_key_that_is_not_printable_ascii_is_422(api: Api,
                                                                    acme: Tenant) -> None:
    response = await api.post("/v1/posts", post_body(acme), key="clé-1")

    assert response.status == 422
    assert "Idempotency-Key" in (await response.json())["error"]["message"]


async def test_an_id_that_is_not_ascii_is_404(api: Api) -> None:
    response = await api.get("/v1/posts/post_%FF%FE")

    assert response.status == 404
