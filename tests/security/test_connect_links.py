"""Connect links open a page naming who asked, for which organization and network; only its
Continue button (a POST with a CSRF token, in the browser that opened the page) goes on to the
network, once, within 10 minutes; the consent comes back only to that browser."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

from postflow.chatops.commands import run_command
from postflow.config import Settings
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.oauth_connect import connect_link
from postflow.usecases.oauth_states import STATE_TTL
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.fakes.x_api import FakeX, running_fake_x, x_settings_fields
from tests.hub import conftest as hub_fixtures
from tests.hub.conftest import HubClient
from tests.hub.connect_page import continue_form, on_hub, open_link, press_continue
from tests.postflow.chatops import conftest as chatops_fixtures
from tests.postflow.chatops.conftest import Team

team = chatops_fixtures.team
client, org, queue, broker = (hub_fixtures.client, hub_fixtures.org, hub_fixtures.queue,
                              hub_fixtures.broker)
PUBLIC_URL = "http://127.0.0.1:8080"


@pytest.fixture
async def fake_x() -> AsyncIterator[FakeX]:
    async with running_fake_x() as fake:
        yield fake


@pytest.fixture
def public_url() -> str:
    return PUBLIC_URL


@pytest.fixture
def settings(tmp_path: Path, fake_x: FakeX, public_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url=public_url, **x_settings_fields(fake_x))


def hub(client: HubClient) -> str:
    return str(client.make_url(""))


async def new_browser() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_opening_a_link_shows_the_organization_network_and_asker_and_goes_nowhere(
        client: HubClient, rt: Runtime, team: Team, fake_x: FakeX) -> None:
    reply = await run_command(rt, None, team.admin, "connect x")
    [link] = [w for w in reply.text.split() if "/oauth/x/start" in w]

    page = await client.get(urlsplit(link).path + "?" + urlsplit(link).query,
                            allow_redirects=False)

    html = await page.text()
    assert page.status == 200, html
    assert page.content_type == "text/html"
    assert "Location" not in page.headers
    assert "Acme" in html and "X" in html and team.admin.display_name in html
    action, fields = continue_form(html)
    assert urlsplit(action).path == "/oauth/x/start"
    assert set(fields) >= {"state", "csrf"}
    assert fake_x.consent_requests == []


async def test_continue_goes_to_the_network_once(client: HubClient, rt: Runtime,
                                                 org: Organization, fake_x: FakeX) -> None:
    link = await connect_link(rt, org.id, "x", actor="cli")
    html = await open_link(client.session, hub(client), link.url)

    first = await press_continue(client.session, hub(client), html)
    again = await press_continue(client.session, hub(client), html)

    assert first.status == 303
    assert first.headers["Location"].startswith(fake_x.authorize_url)
    assert again.status == 401
    assert "already used" in await again.text()


async def test_continue_without_the_pages_csrf_token_is_refused(
        client: HubClient, rt: Runtime, org: Organization) -> None:
    link = await connect_link(rt, org.id, "x", actor="cli")
    action, fields = continue_form(await open_link(client.session, hub(client), link.url))

    forged = await client.post(urlsplit(action).path, data={**fields, "csrf": "forged"},
                               allow_redirects=False)
    missing = await client.post(urlsplit(action).path, data={"state": fields["state"]},
                                allow_redirects=False)

    assert (forged.status, missing.status) == (403, 403)
    assert "Location" not in forged.headers and "Location" not in missing.headers
    # A refused Continue spends nothing: the real form still works.
    assert (await press_continue(client.session, hub(client),
                                 await open_link(client.session, hub(client), link.url))
            ).status == 303


async def test_continue_from_another_browser_than_the_page_is_refused(
        client: HubClient, rt: Runtime, org: Organization) -> None:
    link = await connect_link(rt, org.id, "x", actor="cli")
    html = await open_link(client.session, hub(client), link.url)

    async with await new_browser() as other:
        answer = await press_continue(other, hub(client), html)

    assert answer.status == 403
    assert "Location" not in answer.headers


async def test_a_link_expires_after_ten_minutes(client: HubClient, rt: Runtime,
                                                org: Organization, clock: ManualClock) -> None:
    link = await connect_link(rt, org.id, "x", actor="cli")
    assert STATE_TTL.total_seconds() == 600
    clock.advance(601)

    page = await client.get(on_hub(link.url, ""), allow_redirects=False)

    assert page.status == 401
    assert "expired" in await page.text()


async def test_the_callback_refuses_a_consent_started_in_another_browser(
        client: HubClient, rt: Runtime, org: Organization, fake_x: FakeX) -> None:
    """The sender starts, consents with their account, and sends the callback to a victim."""
    link = await connect_link(rt, org.id, "x", actor="cli")
    async with await new_browser() as sender:
        started = await press_continue(sender, hub(client),
                                       await open_link(sender, hub(client), link.url))
        async with sender.get(started.headers["Location"], allow_redirects=False) as consent:
            callback = consent.headers["Location"]
    async with await new_browser() as victim:
        # The victim's browser has a connect cookie of its own, from another link.
        await open_link(victim, hub(client),
                        (await connect_link(rt, org.id, "x", actor="cli")).url)
        async with victim.get(on_hub(callback, hub(client))) as page:
            body = await page.text()
            status = page.status

    assert status == 401
    assert "another browser" in body
    assert await rt.store.list_connections(org.id, "x") == []
    assert fake_x.token_requests == []


async def test_the_same_browser_completes_the_connection(
        client: HubClient, rt: Runtime, org: Organization) -> None:
    link = await connect_link(rt, org.id, "x", actor="cli")
    started = await press_continue(client.session, hub(client),
                                   await open_link(client.session, hub(client), link.url))
    async with aiohttp.ClientSession() as network, network.get(
            started.headers["Location"], allow_redirects=False) as consent:
        callback = consent.headers["Location"]

    page = await client.get(on_hub(callback, ""))

    assert page.status == 200, await page.text()
    assert len(await rt.store.list_connections(org.id, "x")) == 1


@pytest.mark.parametrize("public_url", ["https://postflow.example"])
async def test_on_https_the_browser_cookie_is_a_host_cookie(client: HubClient, rt: Runtime,
                                                            org: Organization) -> None:
    link = await connect_link(rt, org.id, "x", actor="cli")

    page = await client.get(on_hub(link.url, ""), allow_redirects=False)

    assert page.status == 200
    [cookie] = page.headers.getall("Set-Cookie")
    name, attributes = cookie.split("=", 1)[0], [a.strip().lower() for a in cookie.split(";")]
    assert name.startswith("__Host-")
    assert {"secure", "httponly", "path=/", "samesite=lax"} <= set(attributes)
    assert not any(a.startswith("domain=") for a in attributes)


async def test_on_http_the_browser_cookie_has_no_host_prefix(client: HubClient, rt: Runtime,
                                                             org: Organization) -> None:
    link = await connect_link(rt, org.id, "x", actor="cli")

    page = await client.get(on_hub(link.url, ""), allow_redirects=False)

    [cookie] = page.headers.getall("Set-Cookie")
    attributes = [a.strip().lower() for a in cookie.split(";")]
    assert not cookie.startswith("__Host-")
    assert {"httponly", "samesite=lax"} <= set(attributes) and "secure" not in attributes
