"""Billing end to end in embedded mode (``postflow up``): Stripe's signed events reach the hub,
are recorded, and the ``billing`` actor applies them in the same process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from composition.processes import run_embedded
from composition.runtime import open_runtime
from postflow.billing.events import EventOutcome
from postflow.config import Settings
from postflow.runtime import Runtime
from postflow.usecases.billing.subscription_actions import start_checkout
from postflow.usecases.organizations import create_organization
from tests.fakes.serving import serving
from tests.fakes.stripe_api import FakeStripe
from tests.fakes.stripe_setup import PRICES, billing_settings
from tests.polling import eventually


@pytest.fixture
async def stripe() -> AsyncIterator[FakeStripe]:
    fake = FakeStripe()
    for price_id, (amount, interval) in PRICES.items():
        fake.add_price(price_id, amount, interval)
    async with serving(fake.app()) as url:
        fake.base_url = url
        yield fake


@pytest.fixture
def billed_settings(e2e_settings: Settings, tmp_path: Path, stripe: FakeStripe) -> Settings:
    return billing_settings(e2e_settings, tmp_path, stripe.base_url, stripe)


@pytest.fixture
async def up(billed_settings: Settings, stripe: FakeStripe) -> AsyncIterator[str]:
    """``postflow up`` on the billed settings; the fake Stripe sends its events to it."""
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()
    task = asyncio.create_task(run_embedded(billed_settings, stop, ready.set_result))
    try:
        url = await asyncio.wait_for(ready, timeout=30)
        stripe.webhook_url = f"{url}/stripe/webhook"
        yield url
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


@pytest.fixture
async def billed_rt(billed_settings: Settings) -> AsyncIterator[Runtime]:
    runtime = await open_runtime(billed_settings)
    try:
        yield runtime
    finally:
        if runtime.billing is not None:
            await runtime.billing.close()
        await runtime.store.close()


async def test_a_checkout_puts_the_organization_on_its_plan_through_hub_and_worker(
        up: str, billed_rt: Runtime, stripe: FakeStripe) -> None:
    org = await create_organization(billed_rt, "Acme", actor="test")
    await start_checkout(billed_rt, org.id, "business", success_url="https://a.example/ok",
                         cancel_url="https://a.example/no", actor="test")

    await stripe.complete_checkout(list(stripe.checkout_sessions)[-1])

    assert [sent.status for sent in stripe.emitted] == [200] * len(stripe.emitted)

    async def on_business() -> bool:
        return (await billed_rt.store.get_organization(org.id)).plan == "business"

    await eventually(on_business, what="the organization on the Business plan")

    async def all_applied() -> bool:
        events = await billed_rt.store.list_billing_events()
        return all(e.outcome is not EventOutcome.PENDING for e in events)

    await eventually(all_applied, what="every recorded event applied")
