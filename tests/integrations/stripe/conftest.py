"""The Stripe adapter against the fake Stripe on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from integrations.stripe.gateway import StripeBillingGateway
from tests.fakes.serving import serving
from tests.fakes.stripe_api import FakeStripe
from tests.fakes.stripe_setup import PRICES


@pytest.fixture
async def stripe_fake() -> AsyncIterator[FakeStripe]:
    fake = FakeStripe()
    for price_id, (amount, interval) in PRICES.items():
        fake.add_price(price_id, amount, interval)
    async with serving(fake.app()) as url:
        fake.base_url = url
        yield fake


@pytest.fixture
async def gateway(stripe_fake: FakeStripe) -> AsyncIterator[StripeBillingGateway]:
    opened = StripeBillingGateway(stripe_fake.secret_key, stripe_fake.base_url)
    try:
        yield opened
    finally:
        await opened.close()
