"""``/readyz`` also fails when the scheduler lags or a queue is deeper than configured."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from composition.hub import build_hub
from postflow.runtime import Runtime
from postflow.usecases.admin import suspend_organization
from postflow.usecases.health import record_canary
from tests.fakes.clock import ManualClock
from tests.hub.conftest import Broker, HubClient, RecordingQueue
from tests.workers.scenario import due_post, sandbox_account

DEPTHS: dict[str, int] = {}


@pytest.fixture
async def ready_client(rt: Runtime, queue: RecordingQueue,
                       broker: Broker) -> AsyncIterator[HubClient]:
    DEPTHS.clear()

    async def depths() -> dict[str, int]:
        return dict(DEPTHS)

    async with TestClient(TestServer(build_hub(rt, queue, broker.ping, depths),
                                     host="127.0.0.1")) as test_client:
        yield test_client


async def test_a_scheduler_lag_past_the_threshold_makes_it_not_ready(
        ready_client: HubClient, rt: Runtime, clock: ManualClock) -> None:
    await due_post(rt, await sandbox_account(rt))
    clock.advance(rt.settings.ready_max_scheduler_lag_seconds + 1)  # type: ignore[operator]
    await record_canary(rt)
    response = await ready_client.get("/readyz")
    assert response.status == 503
    check = (await response.json())["checks"]["scheduler"]
    assert check["ok"] is False
    assert check["lag_seconds"] == rt.settings.ready_max_scheduler_lag_seconds + 1  # type: ignore[operator]


async def test_a_lag_within_the_threshold_is_ready(ready_client: HubClient, rt: Runtime,
                                                  clock: ManualClock) -> None:
    await due_post(rt, await sandbox_account(rt))
    clock.advance(30)
    await record_canary(rt)
    response = await ready_client.get("/readyz")
    assert response.status == 200
    assert (await response.json())["checks"]["scheduler"]["lag_seconds"] == 30


async def test_a_suspended_organizations_waiting_posts_are_no_lag(
        ready_client: HubClient, rt: Runtime, clock: ManualClock) -> None:
    account = await sandbox_account(rt)
    await due_post(rt, account)
    await suspend_organization(rt, account.org.id, "unpaid invoices")
    clock.advance(3600)
    await record_canary(rt)
    assert (await ready_client.get("/readyz")).status == 200


async def test_a_queue_deeper_than_the_threshold_makes_it_not_ready(
        ready_client: HubClient, rt: Runtime) -> None:
    await record_canary(rt)
    DEPTHS.update({"publish": rt.settings.ready_max_queue_depth + 1, "chat": 3})  # type: ignore[operator]
    response = await ready_client.get("/readyz")
    assert response.status == 503
    check = (await response.json())["checks"]["queues"]
    assert check["ok"] is False and check["over"] == ["publish"]


async def test_queues_within_the_threshold_are_ready(ready_client: HubClient,
                                                     rt: Runtime) -> None:
    await record_canary(rt)
    DEPTHS.update({"publish": 10, "chat": 3})
    response = await ready_client.get("/readyz")
    assert response.status == 200
    assert (await response.json())["checks"]["queues"]["depths"] == {"publish": 10, "chat": 3}
