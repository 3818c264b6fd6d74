"""Outbound webhook fixtures: private hosts allowed (the receiver is on loopback), a receiver
checking signatures, a queue that keeps its messages, and the notices the core sends."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from integrations.webhooks.sender import SafeWebhookSender
from postflow.config import Settings
from postflow.notices.events import Notice
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.organizations import create_organization
from postflow.usecases.webhook_deliveries import AttemptOutcome, attempt_delivery
from postflow.usecases.webhook_endpoints import CreatedEndpoint, add_webhook_endpoint
from postflow.webhooks.sending import REQUEUE_AFTER
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.fakes.webhook_receiver import WebhookReceiver

#: The sender's timeout in these tests (10 s in production).
TEST_TIMEOUT_SECONDS = 0.3


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080", allow_private_hosts=True)


@dataclasses.dataclass
class KeptNotices:
    """The runtime's notices: kept for the test to read."""

    said: list[Notice] = dataclasses.field(default_factory=list)

    async def notify(self, notice: Notice) -> None:
        self.said.append(notice)


@dataclasses.dataclass
class KeptQueue:
    """The ``webhooks`` queue, its messages kept until the test runs them."""

    requeue_after: timedelta = REQUEUE_AFTER
    messages: list[tuple[str, str, int]] = dataclasses.field(default_factory=list)
    failure: Exception | None = None

    async def enqueue_delivery(self, org_id: str, delivery_id: str, version: int) -> None:
        if self.failure is not None:
            raise self.failure
        self.messages.append((org_id, delivery_id, version))

    async def run(self, rt: Runtime) -> list[AttemptOutcome | None]:
        """Consume every message as a worker would, in order."""
        messages, self.messages = self.messages, []
        return [await attempt_delivery(rt, *message) for message in messages]


@pytest.fixture
def notices() -> KeptNotices:
    return KeptNotices()


@pytest.fixture
def queue() -> KeptQueue:
    return KeptQueue()


@pytest.fixture
def wrt(rt: Runtime, notices: KeptNotices) -> Runtime:
    """The runtime with a sender (loopback allowed, a short timeout) and kept notices."""
    return dataclasses.replace(rt, notices=notices, webhook_sender=SafeWebhookSender(
        allow_private_hosts=True, timeout_seconds=TEST_TIMEOUT_SECONDS))


@pytest.fixture
async def receiver(clock: ManualClock) -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver(now=clock.now)
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    return await create_organization(rt, "Acme", actor="cli")


@pytest.fixture
async def endpoint(wrt: Runtime, org: Organization,
                   receiver: WebhookReceiver) -> CreatedEndpoint:
    created = await add_webhook_endpoint(wrt, org.id, receiver.url,
                                         ["post.published", "post.failed"], actor="cli")
    receiver.secret = created.secret
    return created
