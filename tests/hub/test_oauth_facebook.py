"""Connecting Facebook Pages through the hub: start link -> its page's Continue -> fake login
dialog -> callback ->
the page that lists the member's Pages -> POST /oauth/facebook/pages -> one connection a Page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

from postflow.config import Settings
from postflow.connections import Connection, ConnectionStatus
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.connections import mark_needs_reconnect, open_tokens
from postflow.usecases.oauth_connect import connect_link
from postflow.usecases.oauth_states import STATE_TTL
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.fakes.facebook_api import FakeFacebook, facebook_settings_fields, running_fake_facebook
from tests.fakes.x_api import FakeX, running_fake_x, x_settings_fields
from tests.hub.conftest import HubClient
from tests.hub.connect_page import consent_location

PICK = "/oauth/facebook/pages"


@pytest.fixture
async def fake_facebook() -> AsyncIterator[FakeFacebook]:
    async with running_fake_facebook() as fake:
        yield fake


@pytest.fixture
async def fake_x() -> AsyncIterator[FakeX]:
    async with running_fake_x() as fake:
        yield fake


@pytest.fixture
def settings(tmp_path: Path, fake_facebook: FakeFacebook, fake_x: FakeX) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,
                    http_port=0, public_url="http://127.0.0.1:8080",
                    **facebook_settings_fields(fake_facebook), **x_settings_fields(fake_x))


def local(url: str) -> str:
    """The path and query of a hub URL (the test server listens on another port)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def choice_page(client: HubClient, rt: Runtime, org: Organization) -> aiohttp.ClientResponse:
    """Start, consent at the fake Facebook, come back: the page listing the Pages."""
    link = await connect_link(rt, org.id, "facebook", actor="cli")
    location = await consent_location(client.session, str(client.make_url("")), link.url)
    async with aiohttp.ClientSession() as session, session.get(
            location, allow_redirects=False) as dialog:
        assert dialog.status == 302
        callback = dialog.headers["Location"]
    return await client.get(local(callback))


def pick_token(html: str) -> str:
    match = re.search(r'name="pick" value="([^"]+)"', html)
    assert match is not None, html
    return unescape(match.group(1))


async def choose(client: HubClient, token: str, *page_ids: str) -> aiohttp.ClientResponse:
    return await client.post(PICK, data=[("pick", token), *(("account", p) for p in page_ids)])


async def test_choosing_two_of_three_pages_connects_those_two_with_sealed_page_tokens(
        client: HubClient, rt: Runtime, org: Organization, fake_facebook: FakeFacebook) -> None:
    page = await choice_page(client, rt, org)
    html = await page.text()
    assert page.status == 200, html
    assert all(p.name in html for p in fake_facebook.pages)
    assert html.count('type="checkbox" name="account"') == 3
    assert f'action="http://127.0.0.1:8080{PICK}"' in html
    assert await rt.store.list_connections(org.id, "facebook") == []

    done = await choose(client, pick_token(html), "101", "103")

    body = await done.text()
    assert done.status == 200, body
    assert "Acme Bakery" in body and "Acme Careers" in body
    connections = sorted(await rt.store.list_connections(org.id, "facebook"),
                         key=lambda c: c.account_id)
    assert [(c.account_id, c.display_name) for c in connections] == [
        ("101", "Acme Bakery"), ("103", "Acme Careers")]
    assert connections[0].avatar_url == "https://scontent.example/acme-bakery.jpg"
    for connection in connections:
        token = open_tokens(rt, connection).access_token.get_secret_value()
        assert fake_facebook.page_tokens[token] == connection.account_id
        assert connection.sealed_tokens is not None and token not in connection.sealed_tokens
        assert connection.token_expires_at is None


async def test_no_facebook_token_or_secret_is_in_the_pages_html(
        client: HubClient, rt: Runtime, org: Organization, fake_facebook: FakeFacebook) -> None:
    page = await choice_page(client, rt, org)
    html = await page.text()
    done = await (await choose(client, pick_token(html), "101")).text()

    secrets_seen = [*fake_facebook.short_tokens, *fake_facebook.long_tokens,
                    *fake_facebook.page_tokens, fake_facebook.app_secret]
    assert secrets_seen
    for secret in secrets_seen:
        assert secret not in html and secret not in done


async def test_a_reused_pick_token_is_refused(client: HubClient, rt: Runtime,
                                              org: Organization) -> None:
    token = pick_token(await (await choice_page(client, rt, org)).text())
    assert (await choose(client, token, "101")).status == 200

    again = await choose(client, token, "102")

    assert again.status == 401
    assert "already chosen" in await again.text()
    assert [c.account_id for c in await rt.store.list_connections(org.id, "facebook")] == ["101"]


async def test_a_tampered_pick_token_is_refused(client: HubClient, rt: Runtime,
                                                org: Organization) -> None:
    token = pick_token(await (await choice_page(client, rt, org)).text())
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")

    page = await choose(client, tampered, "101")

    body = await page.text()
    assert page.status == 401
    assert "not valid" in body and "Traceback" not in body
    assert await rt.store.list_connections(org.id, "facebook") == []


async def test_a_pick_from_another_browser_is_refused(client: HubClient, rt: Runtime,
                                                      org: Organization) -> None:
    token = pick_token(await (await choice_page(client, rt, org)).text())
    client.session.cookie_jar.clear()

    page = await choose(client, token, "101")

    assert page.status == 401
    assert "another browser" in await page.text()
    assert await rt.store.list_connections(org.id, "facebook") == []


async def test_an_expired_pick_token_is_refused(client: HubClient, rt: Runtime,
                                                org: Organization, clock: ManualClock) -> None:
    token = pick_token(await (await choice_page(client, rt, org)).text())
    clock.advance(STATE_TTL.total_seconds() + 1)

    page = await choose(client, token, "101")

    assert page.status == 401
    assert "expired" in await page.text()


async def test_choosing_nothing_connects_nothing_and_lets_the_person_choose_again(
        client: HubClient, rt: Runtime, org: Organization) -> None:
    token = pick_token(await (await choice_page(client, rt, org)).text())

    nothing = await choose(client, token)

    assert nothing.status == 400
    assert "at least one" in await nothing.text()
    assert (await choose(client, token, "102")).status == 200


async def test_a_page_that_was_not_offered_cannot_be_chosen(client: HubClient, rt: Runtime,
                                                            org: Organization) -> None:
    token = pick_token(await (await choice_page(client, rt, org)).text())

    page = await choose(client, token, "101", "999")

    assert page.status == 400
    assert await rt.store.list_connections(org.id, "facebook") == []


async def test_reconnecting_a_page_updates_it_in_place(client: HubClient, rt: Runtime,
                                                       org: Organization) -> None:
    await choose(client, pick_token(await (await choice_page(client, rt, org)).text()), "101")
    [first] = await rt.store.list_connections(org.id, "facebook")
    await mark_needs_reconnect(rt, first, "revoked")

    html = await (await choice_page(client, rt, org)).text()
    assert "connected already" in html
    done = await choose(client, pick_token(html), "101")

    assert done.status == 200
    assert "Reconnected" in await done.text()
    [again] = await rt.store.list_connections(org.id, "facebook")
    assert again.id == first.id
    assert again.status is ConnectionStatus.ACTIVE
    assert open_tokens(rt, again).access_token != open_tokens(rt, first).access_token


async def test_a_declined_consent_connects_nothing(client: HubClient, rt: Runtime,
                                                   org: Organization,
                                                   fake_facebook: FakeFacebook) -> None:
    fake_facebook.deny = True

    page = await choice_page(client, rt, org)

    assert page.status == 400
    assert "did not allow" in await page.text()


async def test_a_reused_callback_is_refused_before_facebook_is_asked(
        client: HubClient, rt: Runtime, org: Organization, fake_facebook: FakeFacebook) -> None:
    link = await connect_link(rt, org.id, "facebook", actor="cli")
    location = await consent_location(client.session, str(client.make_url("")), link.url)
    async with aiohttp.ClientSession() as session, session.get(
            location, allow_redirects=False) as dialog:
        callback = dialog.headers["Location"]
    assert (await client.get(local(callback))).status == 200

    again = await client.get(local(callback))

    assert again.status == 401
    assert "already used" in await again.text()
    assert len(fake_facebook.token_requests) == 2  # the first exchange and its extension only


async def test_x_still_connects_at_once_next_to_facebook(client: HubClient, rt: Runtime,
                                                         org: Organization) -> None:
    link = await connect_link(rt, org.id, "x", actor="cli")
    location = await consent_location(client.session, str(client.make_url("")), link.url)
    async with aiohttp.ClientSession() as session, session.get(
            location, allow_redirects=False) as consent:
        callback = consent.headers["Location"]

    page = await client.get(local(callback))

    assert page.status == 200
    assert "@acme_dev is connected" in await page.text()


async def test_a_grant_without_pages_connects_nothing(client: HubClient, rt: Runtime,
                                                      org: Organization,
                                                      fake_facebook: FakeFacebook) -> None:
    fake_facebook.pages = []

    page = await choice_page(client, rt, org)

    assert page.status == 400
    assert "no account you manage" in await page.text()


async def test_pages_beyond_the_plans_limit_are_named_not_connected(
        client: HubClient, rt: Runtime, org: Organization, sandbox: Connection) -> None:
    token = pick_token(await (await choice_page(client, rt, org)).text())

    done = await choose(client, token, "101", "102", "103")

    body = await done.text()
    assert done.status == 200
    assert "were not connected" in body and "Free plan" in body
    assert sorted(c.account_id for c in await rt.store.list_connections(org.id, "facebook")) \
        == ["101", "102"]


async def test_page_names_are_escaped_and_only_https_pictures_shown(
        client: HubClient, rt: Runtime, org: Organization, fake_facebook: FakeFacebook) -> None:
    fake_facebook.pages[0].name = '<script>alert("x")</script>'
    fake_facebook.pages[1].picture = "javascript:alert(1)"

    html = await (await choice_page(client, rt, org)).text()

    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    assert "javascript:" not in html
