"""LinkedIn fixtures: the fake LinkedIn on loopback, and a provider pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from integrations.linkedin import LinkedInConfig, LinkedInProvider
from tests.fakes.clock import ManualClock
from tests.fakes.linkedin_api import FakeLinkedIn, running_fake_linkedin

PAGE_SCOPES = ("openid", "profile", "w_member_social", "r_organization_admin",
               "w_organization_social")


@pytest.fixture
async def fake_linkedin() -> AsyncIterator[FakeLinkedIn]:
    async with running_fake_linkedin() as fake:
        yield fake


@pytest.fixture
def provider(fake_linkedin: FakeLinkedIn, clock: ManualClock) -> LinkedInProvider:
    return LinkedInProvider(LinkedInConfig(
        client_id=fake_linkedin.client_id, client_secret=SecretStr(fake_linkedin.client_secret),
        api_url=fake_linkedin.base_url, auth_url=fake_linkedin.auth_url, scopes=PAGE_SCOPES),
        clock)
