"""The Facebook page-picking token is checked against the browser before it is spent: a pick
sent from another browser is refused and leaves the token to the browser that consented."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html import unescape
from pathlib import Path

import aiohttp
import pytest

from postflow.config import Settings
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.oauth_connect import connect_link
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.facebook_api import FakeFacebook, facebook_settings_fields, running_fake_facebook
from tests.hub import conftest as hub_fixtures
from tests.hub.conftest import HubClient
from tests.hub.connect_page import on_hub, open_link, press_continue

client, org, queue, broker = (hub_fixtures.client, hub_fixtures.org, hub_fixtures.queue,
                              hub_fixtures.broker)
PICK = "/oauth/facebook/pages"


@pytest.fixture
async def fake_facebook() -> AsyncIterator[FakeFacebook]:
    async with running_fake_facebook() as fake:
        yield fake


@pytest.fixture
def settings(tmp_path: Path, fake_facebook: FakeFacebook) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080",
                    **facebook_settings_fields(fake_facebook))


async def choice_page(browser: aiohttp.ClientSession, hub: str, rt: Runtime,
                      org: Organization) -> str:
    """The browser opens a connect link, consents at the fake Facebook, comes back: the page
    listing the Pages, with its pick token."""
    link = (await connect_link(rt, org.id, "facebook", actor="cli")).url
    async with browser.get(on_hub(link, hub), allow_redirects=False) as opened:
        redirect = opened.headers.get("Location") if opened.status == 302 else None
    if redirect is None:  # the link opens a page first; its Continue goes on to the network
        redirect = (await press_continue(browser, hub, await open_link(browser, hub, link))
                    ).headers["Location"]
    async with aiohttp.ClientSession() as network, network.get(
            redirect, allow_redirects=False) as dialog:
        callback = dialog.headers["Location"]
    async with browser.get(on_hub(callback, hub)) as page:
        html = await page.text()
        assert page.status == 200, html
        return html


def pick_token(html: str) -> str:
    match = re.search(r'name="pick" value="([^"]+)"', html)
    assert match is not None, html
    return unescape(match.group(1))


async def choose(browser: aiohttp.ClientSession, hub: str, token: str,
                 page_id: str) -> tuple[int, str]:
    async with browser.post(hub + PICK, data=[("pick", token), ("account", page_id)]) as answer:
        return answer.status, await answer.text()


async def test_a_pick_from_another_browser_does_not_spend_the_token(
        client: HubClient, rt: Runtime, org: Organization) -> None:
    hub = str(client.make_url("")).rstrip("/")
    token = pick_token(await choice_page(client.session, hub, rt, org))

    async with aiohttp.ClientSession() as other:
        refused = await choose(other, hub, token, "101")
    done = await choose(client.session, hub, token, "101")

    assert refused[0] == 401 and "another browser" in refused[1]
    assert done[0] == 200, done[1]
    assert [c.account_id for c in await rt.store.list_connections(org.id, "facebook")] == ["101"]


async def test_a_pick_with_another_browsers_cookie_does_not_spend_the_token(
        client: HubClient, rt: Runtime, org: Organization) -> None:
    hub = str(client.make_url("")).rstrip("/")
    token = pick_token(await choice_page(client.session, hub, rt, org))

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        await choice_page(other, hub, rt, org)  # its own consent, its own cookie
        refused = await choose(other, hub, token, "102")
    done = await choose(client.session, hub, token, "101")

    assert refused[0] == 401 and "another browser" in refused[1]
    assert done[0] == 200, done[1]
