"""The ``webhooks`` queue in process: a recorded delivery is POSTed by a worker, and the
scheduler's sweep queues what is due."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from postflow.config import Settings
from postflow.runtime import Runtime
from postflow.usecases.organizations import create_organization
from postflow.usecases.webhook_endpoints import add_webhook_endpoint
from postflow.usecases.webhook_events import WebhookEmitter
from postflow.webhooks.event_types import WebhookEventType
from postflow.webhooks.records import DeliveryStatus
from postflow.webhooks.sending import SweptLater
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.polling import eventually
from tests.workers.conftest import RunningWorker
from workers.leader import LocalLeader
from workers.scheduler import Scheduler


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080", allow_private_hosts=True)


@pytest.fixture
async def receiver(clock: ManualClock) -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver(now=clock.now)
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


async def test_a_worker_delivers_a_queued_event(rt: Runtime, running_worker: RunningWorker,
                                                receiver: WebhookReceiver) -> None:
    from workers.webhook_actors import DramatiqWebhookQueue

    org = await create_organization(rt, "Acme", actor="cli")
    created = await add_webhook_endpoint(rt, org.id, receiver.url, ["post.published"],
                                         actor="cli")
    receiver.secret = created.secret

    event = await WebhookEmitter(rt.store, rt.clock, DramatiqWebhookQueue()).emit(
        org.id, WebhookEventType.POST_PUBLISHED, {"object": "post", "id": "post_1"})

    assert event is not None

    async def delivered() -> bool:
        [delivery] = await rt.store.list_webhook_deliveries(org.id)
        return delivery.status is DeliveryStatus.DELIVERED

    await eventually(delivered)
    assert [r.event["id"] for r in receiver.delivered()] == [event.id]


async def test_the_scheduler_sweep_queues_a_delivery_recorded_without_a_worker(
        rt: Runtime, running_worker: RunningWorker, receiver: WebhookReceiver) -> None:
    from workers.webhook_actors import DramatiqWebhookQueue

    org = await create_organization(rt, "Acme", actor="cli")
    created = await add_webhook_endpoint(rt, org.id, receiver.url, ["post.published"],
                                         actor="cli")
    receiver.secret = created.secret
    # As the CLI does: recorded, no message sent.
    await WebhookEmitter(rt.store, rt.clock, SweptLater()).emit(
        org.id, WebhookEventType.POST_PUBLISHED, {"object": "post", "id": "post_1"})

    report = await Scheduler(rt, running_worker.queue, LocalLeader(),
                             webhooks=DramatiqWebhookQueue()).tick()

    assert report.webhooks_queued == 1
    await eventually(lambda: receiver.delivered())
