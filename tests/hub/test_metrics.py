"""``GET /metrics``: loopback clients only without a token; counters move as the hub works;
the values measured at scrape time (queues, scheduler lag, connections) are there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from unittest.mock import Mock

import pytest
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY

from composition.hub import build_hub
from hub.errors import HubError
from hub.routes import RUNTIME
from hub.routes.metrics import _direct_loopback, metrics
from postflow.connections import Connection
from postflow.runtime import Runtime
from tests.fakes.clock import ManualClock
from tests.hub.conftest import Broker, HubClient, RecordingQueue, Sender
from tests.workers.scenario import due_post, sandbox_account

HOOK_ROUTE = "/v1/hooks/{hook_id}"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_loopback_client_gets_the_metrics_without_a_token(client: HubClient) -> None:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"] == CONTENT_TYPE_LATEST
    text = await response.text()
    assert "postflow_http_requests_total" in text
    assert "postflow_scheduler_lag_seconds 0.0" in text


async def test_a_forwarded_request_is_refused_without_a_token(client: HubClient) -> None:
    # A reverse proxy on the same machine connects from loopback: its header gives it away.
    response = await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.status == 403
    assert "postflow_" not in await response.text()


def _request_from(host: str) -> Mock:
    transport = Mock()
    transport.get_extra_info.return_value = (host, 40000)
    return make_mocked_request("GET", "/metrics", transport=transport)


@pytest.mark.parametrize("host", ["10.0.0.5", "203.0.113.9", "::ffff:10.0.0.5"])
def test_a_remote_peer_is_not_loopback(host: str) -> None:
    assert not _direct_loopback(_request_from(host))


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_a_loopback_peer_is_loopback(host: str) -> None:
    assert _direct_loopback(_request_from(host))


async def test_a_remote_client_is_refused_without_a_token(rt: Runtime) -> None:
    request = _request_from("10.0.0.5")
    request.app[RUNTIME] = rt
    with pytest.raises(HubError) as refused:
        await metrics(request)
    assert refused.value.status == 403


async def test_a_received_hook_moves_the_request_counter_and_the_ingest_histogram(
        sender: Sender, client: HubClient) -> None:
    requests_before = sample("postflow_http_requests_total", route=HOOK_ROUTE, method="POST",
                             status="202")
    ingest_before = sample("postflow_hook_ingest_seconds_count", status="202")
    assert (await sender.post()).status == 202
    assert sample("postflow_http_requests_total", route=HOOK_ROUTE, method="POST",
                  status="202") == requests_before + 1
    assert sample("postflow_hook_ingest_seconds_count", status="202") == ingest_before + 1
    text = await (await client.get("/metrics")).text()
    assert sender.hook.hook.id not in text  # the route's pattern, never the raw path


async def test_a_refused_request_counts_under_its_status(sender: Sender) -> None:
    before = sample("postflow_http_requests_total", route=HOOK_ROUTE, method="POST",
                    status="401")
    assert (await sender.post(unsigned=True)).status == 401
    assert sample("postflow_http_requests_total", route=HOOK_ROUTE, method="POST",
                  status="401") == before + 1


async def test_an_unknown_path_counts_as_unmatched(client: HubClient) -> None:
    before = sample("postflow_http_requests_total", route="unmatched", method="GET",
                    status="404")
    assert (await client.get("/no/such/page/12345")).status == 404
    assert sample("postflow_http_requests_total", route="unmatched", method="GET",
                  status="404") == before + 1


@pytest.fixture
async def measured_client(rt: Runtime, queue: RecordingQueue,
                          broker: Broker) -> AsyncIterator[HubClient]:
    async def depths() -> dict[str, int]:
        return {"publish": 7, "chat": 0}

    app = build_hub(rt, queue, broker.ping, depths)
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


async def test_queue_depths_lag_and_connections_are_measured_at_scrape(
        measured_client: HubClient, rt: Runtime, clock: ManualClock,
        sandbox: Connection) -> None:
    account = await sandbox_account(rt)
    await due_post(rt, account)
    clock.advance(42)
    text = await (await measured_client.get("/metrics")).text()
    assert 'postflow_queue_depth{queue="publish"} 7.0' in text
    assert "postflow_scheduler_lag_seconds 42.0" in text
    assert 'postflow_connections{network="sandbox",status="active"} 2.0' in text


async def test_made_up_methods_count_as_one_label(client: HubClient) -> None:
    before = sample("postflow_http_requests_total", route="unmatched", method="OTHER",
                    status="404")
    for method in ("PROPFIND", "MKCOL", "LOCK"):  # methods the HTTP parser knows
        assert (await client.request(method, "/nowhere")).status == 404
    after = sample("postflow_http_requests_total", route="unmatched", method="OTHER",
                   status="404")
    assert after - before == 3
    assert "PROPFIND" not in await (await client.get("/metrics")).text()
