"""``/v1/posts``: create, read, edit, cancel, publish now and reschedule through the API."""

from __future__ import annotations

from postflow.posts import PostStatus
from postflow.runtime import Runtime
from tests.hub.api.conftest import Api, Tenant, post_body, scheduled_post
from tests.hub.conftest import RecordingQueue, error_code


async def test_create_answers_201_with_the_post_and_its_location(api: Api,
                                                                 acme: Tenant) -> None:
    response = await api.post("/v1/posts", post_body(
        acme, schedule_at="2026-12-01T09:00:00+01:00", variants={"sandbox": "Sandbox text"}))

    assert response.status == 201
    body = await response.json()
    assert response.headers["Location"] == f"/v1/posts/{body['id']}"
    assert body["status"] == "scheduled"
    assert body["scheduled_at"] == "2026-12-01T08:00:00Z"
    assert body["source"] == "api"
    assert body["targets"] == [{"connection_id": acme.sandbox.id, "network": "sandbox",
                                "status": "pending", "url": None, "published_at": None,
                                "error": None}]


async def test_create_without_a_time_hands_the_post_to_a_worker(api: Api, acme: Tenant,
                                                                queue: RecordingQueue) -> None:
    response = await api.post("/v1/posts", post_body(acme))

    body = await response.json()
    assert body["status"] == "queued"
    assert [p[1] for p in queue.published] == [body["id"]]


async def test_create_refuses_unknown_fields_and_wrong_types(api: Api, acme: Tenant) -> None:
    unknown = await api.post("/v1/posts", post_body(acme, colour="red"))
    wrong = await api.post("/v1/posts", post_body(acme, text=5))

    assert (unknown.status, wrong.status) == (422, 422)
    paths = [e["path"] for e in (await unknown.json())["error"]["details"]["errors"]]
    assert paths == ["colour"]


async def test_malformed_json_is_400(api: Api) -> None:
    response = await api.client.post("/v1/posts", data=b"{nope",
                                     headers=api.headers({"Content-Type": "application/json"}))

    assert response.status == 400
    assert await error_code(response) == "malformed_json"


async def test_get_shows_targets_attempts_and_audit(api: Api, acme: Tenant) -> None:
    post_id = await scheduled_post(api, acme)

    body = await (await api.get(f"/v1/posts/{post_id}")).json()

    assert body["id"] == post_id
    assert body["attempts"] == []
    assert [e["action"] for e in body["audit"]] == ["post.created"]
    assert body["audit"][0]["actor"].startswith("api_key:key_")


async def test_patch_edits_text_and_time_while_scheduled(api: Api, acme: Tenant) -> None:
    post_id = await scheduled_post(api, acme)

    response = await api.call("PATCH", f"/v1/posts/{post_id}", {
        "text": "Release 1.2.1", "schedule_at": "2026-12-03T10:00:00+00:00"})

    body = await response.json()
    assert response.status == 200
    assert (body["text"], body["scheduled_at"]) == ("Release 1.2.1", "2026-12-03T10:00:00Z")


async def test_patch_of_a_post_no_longer_editable_is_409(api: Api, acme: Tenant) -> None:
    post_id = await scheduled_post(api, acme)
    await api.post(f"/v1/posts/{post_id}/cancel")

    response = await api.call("PATCH", f"/v1/posts/{post_id}", {"text": "Too late"})

    assert response.status == 409
    assert await error_code(response) == "invalid_transition"


async def test_patch_needs_an_offset_on_the_time(api: Api, acme: Tenant) -> None:
    post_id = await scheduled_post(api, acme)

    response = await api.call("PATCH", f"/v1/posts/{post_id}",
                              {"schedule_at": "2026-12-03T10:00:00"})

    assert response.status == 422


async def test_cancel_cancels(rt: Runtime, api: Api, acme: Tenant) -> None:
    post_id = await scheduled_post(api, acme)

    response = await api.post(f"/v1/posts/{post_id}/cancel")

    assert (response.status, (await response.json())["status"]) == (200, "canceled")
    assert (await rt.store.get_post(acme.org.id, post_id)).status is PostStatus.CANCELED


async def test_publish_now_answers_202_and_enqueues(api: Api, acme: Tenant,
                                                    queue: RecordingQueue) -> None:
    post_id = await scheduled_post(api, acme)

    response = await api.post(f"/v1/posts/{post_id}/publish-now")

    assert response.status == 202
    assert (await response.json())["status"] == "queued"
    assert [(p[1], p[3]) for p in queue.published] == [(post_id, "publish_now")]


async def test_reschedule_moves_the_time(api: Api, acme: Tenant) -> None:
    post_id = await scheduled_post(api, acme)

    response = await api.post(f"/v1/posts/{post_id}/reschedule",
                              {"schedule_at": "2026-12-05T08:30:00-05:00"})

    assert (await response.json())["scheduled_at"] == "2026-12-05T13:30:00Z"


async def test_a_body_on_a_route_that_takes_none_is_400(api: Api, acme: Tenant) -> None:
    post_id = await scheduled_post(api, acme)

    response = await api.post(f"/v1/posts/{post_id}/cancel", {"why": "because"})

    assert response.status == 400


async def test_list_filters_by_status_network_and_time(api: Api, acme: Tenant) -> None:
    later = await scheduled_post(api, acme)
    canceled = await scheduled_post(api, acme)
    await api.post(f"/v1/posts/{canceled}/cancel")

    async def ids(**params: str) -> list[str]:
        response = await api.get("/v1/posts", **params)
        assert response.status == 200, await response.text()
        return [p["id"] for p in (await response.json())["data"]]

    assert await ids(status="canceled") == [canceled]
    assert sorted(await ids(status="scheduled,canceled")) == sorted([later, canceled])
    assert sorted(await ids(network="sandbox")) == sorted([later, canceled])
    assert await ids(network="sandbox", status="scheduled") == [later]
    assert len(await ids(scheduled_from="2026-12-02T09:00:00Z")) == 2
    assert await ids(scheduled_before="2026-12-02T09:00:00Z") == []
    assert await ids(created_before="2026-11-25T12:00:00+00:00") == []


async def test_list_refuses_unknown_statuses_networks_and_parameters(api: Api) -> None:
    for params in ({"status": "sent"}, {"network": "myspace"}, {"colour": "red"},
                   {"created_from": "yesterday"}, {"created_from": "2026-11-25T12:00:00"}):
        response = await api.get("/v1/posts", **params)
        assert response.status == 422, params
