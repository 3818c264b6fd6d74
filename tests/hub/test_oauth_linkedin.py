"""Connecting LinkedIn through the hub: start link -> its page's Continue -> fake LinkedIn
consent -> callback; with Page scopes, the shared account-picking page -> POST the chosen
member and Pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

from postflow.config import Settings
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.connections import open_tokens
from postflow.usecases.oauth_connect import connect_link
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.linkedin_api import FakeLinkedIn, linkedin_settings_fields, running_fake_linkedin
from tests.hub.conftest import HubClient
from tests.hub.connect_page import consent_location


@pytest.fixture
async def fake_linkedin() -> AsyncIterator[FakeLinkedIn]:
    async with running_fake_linkedin() as fake:
        yield fake


@pytest.fixture(params=[True, False], ids=["pages", "member-only"])
def pages(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def settings(tmp_path: Path, fake_linkedin: FakeLinkedIn, pages: bool) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080",
                    **linkedin_settings_fields(fake_linkedin, pages=pages))


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


async def callback_page(client: HubClient, rt: Runtime, org: Organization) -> str:
    link = await connect_link(rt, org.id, "linkedin", actor="cli")
    location = await consent_location(client.session, str(client.make_url("")), link.url)
    async with aiohttp.ClientSession() as session, session.get(
            location, allow_redirects=False) as consent:
        assert consent.status == 302
        callback = consent.headers["Location"]
    page = await client.get(local(callback))
    body = await page.text()
    assert page.status == 200, body
    return body


async def test_the_member_and_the_chosen_pages_are_connected(
        client: HubClient, rt: Runtime, org: Organization, fake_linkedin: FakeLinkedIn,
        pages: bool) -> None:
    body = await callback_page(client, rt, org)

    if pages:
        assert "Jane Doe" in body and "Devtestco" in body
        pick = re.search(r'name="pick" value="([^"]+)"', body)
        assert pick is not None
        done = await client.post("/oauth/linkedin/pages", data=[
            ("pick", pick.group(1)), ("account", "urn:li:person:782bbtaQ"),
            ("account", "urn:li:organization:2414183")])
        assert done.status == 200, await done.text()
    else:
        assert "Jane Doe is connected to Acme" in body
    connections = await rt.store.list_connections(org.id, "linkedin")
    assert sorted(c.account_id for c in connections) == (
        ["urn:li:organization:2414183", "urn:li:person:782bbtaQ"] if pages
        else ["urn:li:person:782bbtaQ"])
    for connection in connections:
        access = open_tokens(rt, connection).access_token.get_secret_value()
        assert access in fake_linkedin.access_tokens and access not in body
        assert connection.token_expires_at is not None
