"""X fixtures: the fake X on loopback, and a provider pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from integrations.x import XConfig, XProvider
from tests.fakes.clock import ManualClock
from tests.fakes.x_api import FakeX, running_fake_x


@pytest.fixture
async def fake_x() -> AsyncIterator[FakeX]:
    async with running_fake_x() as fake:
        yield fake


@pytest.fixture
def provider(fake_x: FakeX, clock: ManualClock) -> XProvider:
    return XProvider(XConfig(client_id=fake_x.client_id,
                             client_secret=SecretStr(fake_x.client_secret),
                             api_url=fake_x.base_url, authorize_url=fake_x.authorize_url), clock)
