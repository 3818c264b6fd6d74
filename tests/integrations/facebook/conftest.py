"""Facebook fixtures: the fake Graph API on loopback, and a provider pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from integrations.facebook import FacebookConfig, FacebookProvider
from tests.fakes.clock import ManualClock
from tests.fakes.facebook_api import VERSION, FakeFacebook, running_fake_facebook


@pytest.fixture
async def fake_facebook() -> AsyncIterator[FakeFacebook]:
    async with running_fake_facebook() as fake:
        yield fake


@pytest.fixture
def provider(fake_facebook: FakeFacebook, clock: ManualClock) -> FacebookProvider:
    return FacebookProvider(FacebookConfig(
        app_id=fake_facebook.app_id, app_secret=SecretStr(fake_facebook.app_secret),
        graph_url=fake_facebook.graph_url, dialog_url=fake_facebook.base_url,
        api_version=VERSION), clock)
