"""``/healthz`` says the process answers; ``/readyz`` checks the store, broker and workers."""

from __future__ import annotations

from postflow.runtime import Runtime
from postflow.usecases.health import record_canary
from tests.fakes.clock import ManualClock
from tests.hub.conftest import Broker, HubClient


async def test_healthz_is_ok(client: HubClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_readyz_is_503_until_a_worker_consumed_a_canary(client: HubClient) -> None:
    response = await client.get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["worker"] == {"ok": False, "last_consumed_at": None}
    assert body["checks"]["store"] == body["checks"]["broker"] == {"ok": True}


async def test_readyz_is_200_after_a_canary(client: HubClient, rt: Runtime) -> None:
    await record_canary(rt)
    response = await client.get("/readyz")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ready"
    assert all(check["ok"] for check in body["checks"].values())


async def test_readyz_is_503_when_the_canary_is_old(client: HubClient, rt: Runtime,
                                                    clock: ManualClock) -> None:
    await record_canary(rt)
    clock.advance(rt.settings.canary_window_seconds + 1)
    assert (await client.get("/readyz")).status == 503


async def test_readyz_names_a_failing_broker_without_its_message(
        client: HubClient, rt: Runtime, broker: Broker) -> None:
    await record_canary(rt)
    broker.failure = ConnectionError("redis://:secret-xyz@10.0.0.5:6379 refused")
    response = await client.get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["checks"]["broker"] == {"ok": False, "error": "ConnectionError"}
    assert "secret-xyz" not in await response.text()
