"""The webhook sender: public addresses only (checked where it connects), redirects checked
hop by hop, the timeout, the answer cut to a kilobyte."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from integrations.webhooks.sender import SafeWebhookSender
from tests.fakes.clock import ManualClock
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.integrations.media.test_fetch import StaticResolver, loopback_is_public

BODY = b'{"id":"evt_1"}'
HEADERS = {"Content-Type": "application/json"}


@pytest.fixture
async def receiver(clock: ManualClock) -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver(now=clock.now, secret="whsec_test")
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


def strict(**options: object) -> SafeWebhookSender:
    """Private hosts refused: the production default."""
    return SafeWebhookSender(allow_private_hosts=False, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.8", "169.254.169.254", "[::1]",
                                  "[::ffff:127.0.0.1]", "192.168.1.10", "100.64.0.1"])
async def test_a_private_address_is_refused_before_connecting(host: str) -> None:
    answer = await strict().send(f"http://{host}:9/in", BODY, HEADERS)

    assert answer.status_code is None and "refused" in answer.error
    assert not answer.delivered


async def test_the_loopback_receiver_is_refused_by_default(receiver: WebhookReceiver) -> None:
    answer = await strict().send(receiver.url, BODY, HEADERS)

    assert "loopback" in answer.error and receiver.received == []


async def test_a_name_resolving_to_a_private_address_is_refused_at_connect_time(
        receiver: WebhookReceiver) -> None:
    # The DNS answer the connection would use is the one checked: no rebinding between the two.
    sender = strict(resolver=StaticResolver({"hooks.example.test": "127.0.0.1"}))

    answer = await sender.send(f"http://hooks.example.test:{receiver.port}/hooks/postflow",
                               BODY, HEADERS)

    assert "resolves to a loopback address" in answer.error and receiver.received == []


async def test_a_redirect_to_a_private_address_is_refused(receiver: WebhookReceiver) -> None:
    sender = strict(address_policy=loopback_is_public)

    answer = await sender.send(
        f"http://127.0.0.1:{receiver.port}/moved?to=http://169.254.169.254/latest/meta-data",
        BODY, HEADERS)

    assert answer.status_code is None and "refused: http://169.254.169.254" in answer.error


async def test_a_redirect_to_a_name_resolving_privately_is_refused(
        receiver: WebhookReceiver) -> None:
    sender = strict(address_policy=loopback_is_public,
                    resolver=StaticResolver({"internal.example.test": "10.0.0.7"}))

    answer = await sender.send(
        f"http://127.0.0.1:{receiver.port}/moved?to=http://internal.example.test/in",
        BODY, HEADERS)

    assert answer.status_code is None and "private" in answer.error


async def test_a_307_to_a_public_address_is_followed_with_the_body(
        receiver: WebhookReceiver) -> None:
    sender = strict(address_policy=loopback_is_public)
    target = f"http://127.0.0.1:{receiver.port}/hooks/postflow"

    answer = await sender.send(f"http://127.0.0.1:{receiver.port}/moved?to={target}", BODY,
                               HEADERS)

    assert answer.status_code == 400  # the receiver got the body (unsigned here: refused)
    assert [r.body for r in receiver.received] == [BODY]


async def test_private_hosts_allowed_reach_the_loopback_receiver(
        receiver: WebhookReceiver) -> None:
    answer = await SafeWebhookSender(allow_private_hosts=True).send(receiver.url, BODY, HEADERS)

    assert answer.status_code == 400 and len(answer.answer.encode()) <= 1024


async def test_no_answer_within_the_timeout_is_an_error(receiver: WebhookReceiver) -> None:
    receiver.delay = 1.0
    sender = SafeWebhookSender(allow_private_hosts=True, timeout_seconds=0.2)

    answer = await sender.send(receiver.url, BODY, HEADERS)

    assert answer.status_code is None and answer.error == "no answer within 0.2 s"


async def test_a_closed_port_is_an_error_not_an_exception() -> None:
    answer = await SafeWebhookSender(allow_private_hosts=True).send("http://127.0.0.1:9/in",
                                                                     BODY, HEADERS)

    assert answer.status_code is None and "could not reach" in answer.error
