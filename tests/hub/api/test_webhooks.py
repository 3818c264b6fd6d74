"""``/v1/webhooks``: outbound webhook endpoints, their deliveries, and replay."""

from __future__ import annotations

from postflow.runtime import Runtime
from tests.hub.api.conftest import Api, Tenant
from tests.hub.conftest import error_code


async def test_an_endpoint_is_added_with_its_secret_shown_once(api: Api) -> None:
    created = await api.post("/v1/webhooks", {"url": "https://example.org/in",
                                              "events": ["post.published", "post.failed"]})
    body = await created.json()

    listed = await (await api.get("/v1/webhooks", limit="100")).text()
    one = await (await api.get(f"/v1/webhooks/{body['id']}")).json()

    assert created.status == 201
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["post.published", "post.failed"]
    assert body["secret"] not in listed and "secret" not in one
    assert one["id"] == body["id"]


async def test_a_private_or_plain_http_url_is_refused(api: Api) -> None:
    for url in ("http://example.org/in", "https://127.0.0.1/in", "https://localhost/in"):
        response = await api.post("/v1/webhooks", {"url": url, "events": ["post.published"]})
        assert response.status == 422, url


async def test_an_unknown_event_type_is_refused(api: Api) -> None:
    response = await api.post("/v1/webhooks", {"url": "https://example.org/in",
                                                "events": ["post.exploded"]})

    assert response.status == 422
    assert await error_code(response) == "bad_input"


async def test_disable_then_delete(api: Api, acme: Tenant) -> None:
    disabled = await api.call("PATCH", f"/v1/webhooks/{acme.endpoint_id}", {"disabled": True})
    deleted = await api.call("DELETE", f"/v1/webhooks/{acme.endpoint_id}")
    gone = await api.get(f"/v1/webhooks/{acme.endpoint_id}")

    assert (await disabled.json())["disabled"] is True
    assert (deleted.status, await deleted.read()) == (204, b"")
    assert gone.status == 404


async def test_replay_records_a_delivery_listed_with_the_endpoint(rt: Runtime, api: Api,
                                                                  acme: Tenant) -> None:
    replayed = await api.post(f"/v1/webhook-events/{acme.event_id}/replay",
                              {"endpoint_id": acme.endpoint_id})

    deliveries = await (await api.get(f"/v1/webhooks/{acme.endpoint_id}/deliveries")).json()

    assert replayed.status == 202
    [delivery] = (await replayed.json())["data"]
    assert (delivery["event_id"], delivery["replay"]) == (acme.event_id, True)
    assert [d["id"] for d in deliveries["data"]] == [delivery["id"]]
