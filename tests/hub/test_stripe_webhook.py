"""``POST /stripe/webhook``: verified on the raw body (forged, tampered, unsigned and stale
events refused with nothing recorded), recorded before the 2xx, handed to the billing job once
per event id."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from composition.hub import build_hub
from hub.app import create_app
from hub.routes import stripe_webhook
from postflow.billing.events import EventOutcome
from postflow.config import Settings
from postflow.runtime import Runtime
from postflow.usecases.billing.event_application import apply_recorded_event
from postflow.usecases.billing.subscription_actions import start_checkout
from postflow.usecases.organizations import create_organization
from tests.fakes.clock import ManualClock
from tests.fakes.stripe_api import FakeStripe, Sent, signature_header
from tests.fakes.stripe_setup import BillingKit, billing_kit
from tests.hub.conftest import Broker, RecordingQueue

HubClient = TestClient[web.Request, web.Application]


@dataclass
class BillingJobs:
    sent: list[str] = field(default_factory=list)

    async def enqueue_billing_event(self, event_id: str) -> None:
        self.sent.append(event_id)


@pytest.fixture
async def kit(settings: Settings, clock: ManualClock, tmp_path: Path) -> AsyncIterator[BillingKit]:
    async with billing_kit(settings, clock, tmp_path) as opened:
        yield opened


@pytest.fixture
def jobs() -> BillingJobs:
    return BillingJobs()


@pytest.fixture
async def hub(kit: BillingKit, jobs: BillingJobs) -> AsyncIterator[HubClient]:
    """The hub app with the webhook route sending to ``jobs``; the fake Stripe posts to it."""
    app = create_app(kit.rt, RecordingQueue(), Broker().ping)
    secret = kit.rt.settings.stripe_webhook_secret
    assert secret is not None
    stripe_webhook.add_routes(app, jobs, secret)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        kit.stripe.webhook_url = str(client.make_url(stripe_webhook.PATH))
        yield client


async def an_event(stripe: FakeStripe) -> Sent:
    """A checkout completed, its events kept (not sent): the last one is the checkout's."""
    url = stripe.webhook_url
    stripe.webhook_url = None
    stripe.checkout_sessions["cs_1"] = {
        "id": "cs_1", "object": "checkout.session", "url": "", "success_url": "https://a/ok",
        "client_reference_id": "org_1", "mode": "subscription",
        "_params": {"mode": "subscription", "client_reference_id": "org_1",
                    "line_items": [{"price": "price_business_month", "quantity": "1"}],
                    "subscription_data": {"metadata": {"postflow_org_id": "org_1"}}}}
    await stripe.complete_checkout("cs_1")
    stripe.webhook_url = url
    return stripe.emitted[-1]


async def recorded(rt: Runtime) -> list[str]:
    return [e.id for e in await rt.store.list_billing_events()]


async def test_a_signed_event_is_recorded_and_handed_to_the_job(
        hub: HubClient, kit: BillingKit, jobs: BillingJobs) -> None:
    sent = await an_event(kit.stripe)

    assert await kit.stripe.deliver(sent) == 200

    record = await kit.rt.store.get_billing_event(sent.event["id"])
    assert record.type == "checkout.session.completed"
    assert record.org_hint == "org_1"
    assert record.subscription_id == kit.stripe.latest_subscription()["id"]
    assert record.outcome is EventOutcome.PENDING
    assert jobs.sent == [record.id]


async def test_an_event_signed_with_another_secret_is_refused_and_not_recorded(
        hub: HubClient, kit: BillingKit, jobs: BillingJobs) -> None:
    sent = await an_event(kit.stripe)

    status = await kit.stripe.deliver(sent, secret="whsec_forged")

    assert status == 400
    assert await recorded(kit.rt) == [] and jobs.sent == []


async def test_a_tampered_body_is_refused(hub: HubClient, kit: BillingKit) -> None:
    sent = await an_event(kit.stripe)
    header = signature_header(sent.body, kit.stripe.webhook_secret)
    tampered = sent.body.replace(b"org_1", b"org_2")

    answer = await hub.post(stripe_webhook.PATH, data=tampered,
                            headers={"Stripe-Signature": header})

    assert answer.status == 400
    assert (await answer.json())["error"]["code"] == "bad_signature"
    assert await recorded(kit.rt) == []


async def test_an_unsigned_event_is_refused(hub: HubClient, kit: BillingKit) -> None:
    sent = await an_event(kit.stripe)

    answer = await hub.post(stripe_webhook.PATH, data=sent.body)

    assert answer.status == 400
    assert await recorded(kit.rt) == []


async def test_an_event_signed_outside_the_tolerance_is_refused(
        hub: HubClient, kit: BillingKit) -> None:
    sent = await an_event(kit.stripe)

    status = await kit.stripe.deliver(sent, timestamp=int(time.time()) - 1000)

    assert status == 400
    assert await recorded(kit.rt) == []


async def test_a_replayed_event_is_answered_but_recorded_and_sent_once(
        hub: HubClient, kit: BillingKit, jobs: BillingJobs) -> None:
    sent = await an_event(kit.stripe)
    await kit.stripe.deliver(sent)

    answer = await hub.post(stripe_webhook.PATH, data=sent.body, headers={
        "Stripe-Signature": signature_header(sent.body, kit.stripe.webhook_secret)})

    assert answer.status == 200
    assert (await answer.json()) == {"received": True, "duplicate": True}
    assert await recorded(kit.rt) == [sent.event["id"]]
    assert jobs.sent == [sent.event["id"]]


async def test_a_signed_body_that_is_not_an_event_is_refused(
        hub: HubClient, kit: BillingKit) -> None:
    body = json.dumps({"hello": "world"}).encode()

    answer = await hub.post(stripe_webhook.PATH, data=body, headers={
        "Stripe-Signature": signature_header(body, kit.stripe.webhook_secret)})

    assert answer.status == 400
    assert await recorded(kit.rt) == []


async def test_checkout_through_the_webhook_puts_the_organization_on_its_plan(
        hub: HubClient, kit: BillingKit, jobs: BillingJobs) -> None:
    org = await create_organization(kit.rt, "Acme", actor="test")
    await start_checkout(kit.rt, org.id, "business", cancel_url="https://a/no", actor="test",
                         success_url="https://a/ok?s={CHECKOUT_SESSION_ID}")
    session_id = list(kit.stripe.checkout_sessions)[-1]

    success = await kit.stripe.complete_checkout(session_id)
    for event_id in jobs.sent:  # the billing job
        await apply_recorded_event(kit.rt, event_id)

    assert success == f"https://a/ok?s={session_id}"
    assert all(s.status == 200 for s in kit.stripe.emitted)
    assert (await kit.rt.store.get_organization(org.id)).plan == "business"


async def test_the_route_is_served_only_with_a_webhook_secret(rt: Runtime) -> None:
    app = build_hub(rt, RecordingQueue(), Broker().ping)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        answer = await client.post(stripe_webhook.PATH, data=b"{}")

    assert answer.status in (404, 405)


async def test_the_composed_hub_serves_the_route_when_the_secret_is_set(kit: BillingKit) -> None:
    app = build_hub(kit.rt, RecordingQueue(), Broker().ping)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        answer = await client.post(stripe_webhook.PATH, data=b"{}")
        body = await answer.json()

    assert answer.status == 400
    assert body["error"]["code"] == "bad_signature"
