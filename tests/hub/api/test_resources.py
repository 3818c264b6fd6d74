"""Connections, queues, hooks, audit events and usage through the API."""

from __future__ import annotations

from postflow.runtime import Runtime
from postflow.usecases.connections import mark_needs_reconnect
from tests.hub.api.conftest import Api, Tenant, scheduled_post


async def test_connections_are_listed_and_read_without_tokens(api: Api, acme: Tenant) -> None:
    listed = await (await api.get("/v1/connections")).json()
    one = await (await api.get(f"/v1/connections/{acme.sandbox.id}")).json()

    assert [c["id"] for c in listed["data"]] == [acme.sandbox.id]
    assert one == listed["data"][0]
    assert "sealed_tokens" not in one
    assert one["status"] == "active"


async def test_health_says_a_broken_connection_is_unhealthy(rt: Runtime, api: Api,
                                                            acme: Tenant) -> None:
    healthy = await (await api.get(f"/v1/connections/{acme.sandbox.id}/health")).json()
    await mark_needs_reconnect(rt, acme.sandbox, "token revoked")

    broken = await (await api.get(f"/v1/connections/{acme.sandbox.id}/health")).json()

    assert healthy["healthy"] is True
    assert (broken["healthy"], broken["status"]) == (False, "needs_reconnect")


async def test_queue_slots_are_replaced_and_read_back(api: Api, acme: Tenant) -> None:
    response = await api.call("PUT", f"/v1/queues/{acme.sandbox.id}/slots", {
        "slots": [{"weekday": 4, "time": "16:30"}, {"weekday": 0, "time": "08:00"}],
        "timezone": "Europe/Paris", "max_per_day": 2})

    assert response.status == 200
    body = await (await api.get(f"/v1/queues/{acme.sandbox.id}")).json()
    assert body["slots"] == [{"weekday": 0, "time": "08:00"}, {"weekday": 4, "time": "16:30"}]
    assert (body["timezone"], body["max_per_day"]) == ("Europe/Paris", 2)


async def test_bad_queue_slots_are_422(api: Api, acme: Tenant) -> None:
    for slots in ([], [{"weekday": 7, "time": "08:00"}], [{"weekday": 1, "time": "25:00"}]):
        response = await api.call("PUT", f"/v1/queues/{acme.sandbox.id}/slots",
                                  {"slots": slots})
        assert response.status == 422, slots


async def test_queued_posts_show_in_the_queue(api: Api, acme: Tenant) -> None:
    response = await api.post("/v1/posts", {"text": "Queued", "targets": [acme.sandbox.id],
                                            "queue": True})
    post_id = (await response.json())["id"]

    body = await (await api.get(f"/v1/queues/{acme.sandbox.id}")).json()

    assert [p["post_id"] for p in body["upcoming"]] == [post_id]


async def test_hooks_are_listed_without_secrets(api: Api, acme: Tenant) -> None:
    body = await (await api.get("/v1/hooks")).json()

    assert [h["id"] for h in body["data"]] == [acme.hook.id]
    assert body["data"][0]["url"].endswith(f"/v1/hooks/{acme.hook.id}")
    assert "sealed_secret" not in body["data"][0]
    assert acme.hook.sealed_secret not in str(body)


async def test_audit_events_page_newest_first_and_filter_by_subject(api: Api,
                                                                    acme: Tenant) -> None:
    first = await scheduled_post(api, acme)
    second = await scheduled_post(api, acme)

    page = await (await api.get("/v1/audit-events", limit="1")).json()
    rest = await (await api.get("/v1/audit-events", limit="100",
                                cursor=page["next_cursor"])).json()
    about = await (await api.get("/v1/audit-events", subject_id=first)).json()

    assert page["data"][0]["subject_id"] == second
    assert first in [e["subject_id"] for e in rest["data"]]
    assert {e["subject_id"] for e in about["data"]} == {first}


async def test_usage_counts_this_months_posts_against_the_plan(api: Api, acme: Tenant) -> None:
    await scheduled_post(api, acme)

    body = await (await api.get("/v1/usage")).json()

    metrics = {m["metric"]: m for m in body["metrics"]}
    assert (body["plan"], body["period"]) == ("free", "2026-11")
    assert metrics["scheduled_posts_per_month"]["used"] == 1
    assert metrics["connected_accounts"] == {"metric": "connected_accounts", "used": 1,
                                             "limit": 3}
