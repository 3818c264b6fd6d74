"""Connecting an X account through the hub: start link -> its page's Continue -> fake X
consent -> callback."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from postflow.config import Settings
from postflow.connections import ConnectionStatus
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.connections import mark_needs_reconnect, open_tokens
from postflow.usecases.oauth_connect import connect_link
from postflow.usecases.oauth_states import STATE_TTL
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.fakes.x_api import FakeX, running_fake_x, x_settings_fields
from tests.hub.conftest import HubClient
from tests.hub.connect_page import open_link, press_continue


@pytest.fixture
async def fake_x() -> AsyncIterator[FakeX]:
    async with running_fake_x() as fake:
        yield fake


@pytest.fixture
def settings(tmp_path: Path, fake_x: FakeX) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080", **x_settings_fields(fake_x))


def local(url: str) -> str:
    """The path and query of a hub URL (the test server listens on another port)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def start(client: HubClient, link: str) -> aiohttp.ClientResponse:
    """Open the link's page and press Continue: the hub's answer (a redirect to X)."""
    hub = str(client.make_url(""))
    return await press_continue(client.session, hub, await open_link(client.session, hub, link))


async def consent_at_x(location: str) -> str:
    """Follow the consent redirect to the fake X; the callback URL it sends the browser to."""
    async with aiohttp.ClientSession() as session, session.get(
            location, allow_redirects=False) as answer:
        assert answer.status == 302
        return answer.headers["Location"]


async def connect(client: HubClient, rt: Runtime, org: Organization) -> aiohttp.ClientResponse:
    link = await connect_link(rt, org.id, "x", actor="cli")
    started = await start(client, link.url)
    assert started.status == 303
    return await client.get(local(await consent_at_x(started.headers["Location"])))


async def test_the_round_trip_stores_the_account_with_sealed_tokens(
        client: HubClient, rt: Runtime, org: Organization, fake_x: FakeX) -> None:
    page = await connect(client, rt, org)

    body = await page.text()
    assert page.status == 200, body
    assert "@acme_dev is connected to Acme" in body
    [conn] = await rt.store.list_connections(org.id, "x")
    assert (conn.account_id, conn.display_name) == (fake_x.user_id, fake_x.username)
    assert conn.avatar_url == fake_x.avatar_url
    assert set(conn.scopes) == {"tweet.read", "tweet.write", "users.read", "offline.access",
                                "media.write"}
    tokens = open_tokens(rt, conn)
    access = tokens.access_token.get_secret_value()
    assert access in fake_x.access_tokens
    assert conn.sealed_tokens is not None and access not in conn.sealed_tokens
    assert access not in body
    [event] = [e for e in await rt.store.list_audit(org.id) if e.action == "connection.added"]
    assert event.actor == "cli"


async def test_the_consent_carries_a_pkce_s256_challenge_of_the_verifier_sent_later(
        client: HubClient, rt: Runtime, org: Organization, fake_x: FakeX) -> None:
    await connect(client, rt, org)

    [asked] = fake_x.consent_requests
    verifier = fake_x.token_requests[0]["code_verifier"]
    assert asked["code_challenge_method"] == "S256"
    assert asked["code_challenge"] == base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    assert asked["redirect_uri"] == "http://127.0.0.1:8080/oauth/x/callback"
    assert verifier not in asked.values()


async def test_a_reused_callback_is_refused(client: HubClient, rt: Runtime,
                                            org: Organization) -> None:
    link = await connect_link(rt, org.id, "x", actor="cli")
    callback = await consent_at_x((await start(client, link.url)).headers["Location"])
    assert (await client.get(local(callback))).status == 200

    again = await client.get(local(callback))

    assert again.status == 401
    assert "already used" in await again.text()


async def test_a_start_link_works_once(client: HubClient, rt: Runtime,
                                       org: Organization) -> None:
    link = await connect_link(rt, org.id, "x", actor="cli")
    assert (await start(client, link.url)).status == 303

    again = await start(client, link.url)

    assert again.status == 401
    assert "already used" in await again.text()


async def test_an_expired_start_link_is_refused(client: HubClient, rt: Runtime,
                                                org: Organization, clock: ManualClock) -> None:
    link = await connect_link(rt, org.id, "x", actor="cli")
    clock.advance(STATE_TTL.total_seconds() + 1)

    page = await client.get(local(link.url), allow_redirects=False)

    assert page.status == 401
    assert "expired" in await page.text()


async def test_an_expired_consent_is_refused(client: HubClient, rt: Runtime,
                                             org: Organization, clock: ManualClock) -> None:
    link = await connect_link(rt, org.id, "x", actor="cli")
    callback = await consent_at_x((await start(client, link.url)).headers["Location"])
    clock.advance(STATE_TTL.total_seconds() + 1)

    page = await client.get(local(callback))

    assert page.status == 401
    assert "expired" in await page.text()
    assert await rt.store.list_connections(org.id, "x") == []


async def test_a_forged_state_is_refused_without_a_trace(client: HubClient, rt: Runtime,
                                                         org: Organization) -> None:
    link = await connect_link(rt, org.id, "x", actor="cli")
    callback = await consent_at_x((await start(client, link.url)).headers["Location"])
    state = parse_qs(urlsplit(callback).query)["state"][0]
    forged = state[:-1] + ("0" if state[-1] != "0" else "1")
    client.session.cookie_jar.clear()

    page = await client.get("/oauth/x/callback", params={"state": forged, "code": "c"})

    body = await page.text()
    assert page.status == 401
    assert "not valid" in body
    assert "Traceback" not in body
    assert page.content_type == "text/html"


async def test_a_callback_in_another_browser_is_refused(client: HubClient, rt: Runtime,
                                                        org: Organization) -> None:
    link = await connect_link(rt, org.id, "x", actor="cli")
    callback = await consent_at_x((await start(client, link.url)).headers["Location"])
    client.session.cookie_jar.clear()

    page = await client.get(local(callback))

    assert page.status == 401
    assert "another browser" in await page.text()


async def test_a_declined_consent_connects_nothing(client: HubClient, rt: Runtime,
                                                   org: Organization, fake_x: FakeX) -> None:
    fake_x.deny = True

    page = await connect(client, rt, org)

    assert page.status == 400
    assert "did not allow" in await page.text()
    assert await rt.store.list_connections(org.id, "x") == []


async def test_missing_scopes_are_named_on_the_page(client: HubClient, rt: Runtime,
                                                    org: Organization, fake_x: FakeX) -> None:
    fake_x.granted_scopes = ["tweet.read", "users.read", "offline.access"]

    page = await connect(client, rt, org)

    body = await page.text()
    assert page.status == 200
    assert "<code>tweet.write</code>" in body and "<code>media.write</code>" in body
    [conn] = await rt.store.list_connections(org.id, "x")
    assert "tweet.write" not in conn.scopes


async def test_reconnecting_updates_the_same_connection(client: HubClient, rt: Runtime,
                                                        org: Organization,
                                                        fake_x: FakeX) -> None:
    await connect(client, rt, org)
    [first] = await rt.store.list_connections(org.id, "x")
    await mark_needs_reconnect(rt, first, "revoked")
    first_refresh = open_tokens(rt, first).refresh_token
    fake_x.omit_refresh_token = True

    page = await connect(client, rt, org)

    assert page.status == 200
    assert "reconnected" in await page.text()
    [again] = await rt.store.list_connections(org.id, "x")
    assert again.id == first.id
    assert again.status is ConnectionStatus.ACTIVE
    tokens = open_tokens(rt, again)
    assert tokens.access_token != open_tokens(rt, first).access_token
    assert first_refresh is not None and tokens.refresh_token == first_refresh


async def test_a_network_that_is_not_configured_is_refused(client: HubClient) -> None:
    page = await client.get("/oauth/linkedin/start", params={"state": "a.1.b"})

    assert page.status == 400
    assert "linkedin" in await page.text()
