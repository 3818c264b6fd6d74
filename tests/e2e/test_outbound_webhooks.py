"""Outbound webhooks in embedded mode (``postflow up``): a post sent through a hook is told to
a receiver as ``post.scheduled`` and ``post.published``, each signed with the endpoint's
secret."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from postflow.config import Settings
from postflow.runtime import Runtime
from postflow.usecases.webhook_endpoints import add_webhook_endpoint
from tests.e2e.conftest import make_sender
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.polling import eventually


@pytest.fixture
def e2e_settings(e2e_settings: Settings) -> Settings:
    """The receiver is on loopback."""
    e2e_settings.allow_private_hosts = True
    return e2e_settings


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver(now=lambda: datetime.fromtimestamp(time.time(), UTC))
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


async def test_a_hook_post_is_told_to_the_receiver_as_scheduled_and_published(
        live_rt: Runtime, embedded: str, receiver: WebhookReceiver) -> None:
    sender = await make_sender(live_rt, embedded)
    created = await add_webhook_endpoint(live_rt, sender.account.org.id, receiver.url,
                                         ["post.scheduled", "post.published"], actor="test")
    receiver.secret = created.secret

    post_id = await sender.send("Hello, receivers")

    def told() -> list[str] | None:
        types = [r.event["type"] for r in receiver.delivered()]
        return types if len(types) >= 2 else None

    # Two deliveries, two messages: a receiver may get them in either order.
    assert sorted(await eventually(told, timeout=20)) == ["post.published", "post.scheduled"]
    assert {r.event["data"]["object"]["id"] for r in receiver.delivered()} == {post_id}
