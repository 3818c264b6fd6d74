"""Billing page fixtures: the hub (with the Stripe webhook, its events applied at once) over a
runtime on the fake Stripe, organizations with an Owner and a Member, and a browser-like client
per person (its own cookie jar)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from hub.app import create_app
from hub.routes import stripe_webhook
from postflow.chatops.billing_link import billing_url
from postflow.config import Settings
from postflow.organizations import ChatIdentity, Member, Organization, Role
from postflow.runtime import Runtime
from postflow.usecases.billing.event_application import apply_recorded_event
from postflow.usecases.organizations import add_member, create_organization
from tests.fakes.clock import ManualClock
from tests.fakes.stripe_setup import BillingKit, billing_kit
from tests.hub.conftest import Broker, RecordingQueue

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
TOKEN = re.compile(r'name="token" value="([^"]+)"')


@dataclass
class InlineBillingJobs:
    """The billing queue of a test hub: each recorded event is applied at once."""

    rt: Runtime

    async def enqueue_billing_event(self, event_id: str) -> None:
        await apply_recorded_event(self.rt, event_id)


@dataclass(frozen=True)
class Team:
    org: Organization
    owner: Member
    member: Member


@dataclass
class Browser:
    """One person's browser on the hub: its own cookies, no redirect followed unless asked."""

    server: TestServer
    session: aiohttp.ClientSession

    def url(self, path: str) -> str:
        parts = urlsplit(path)
        local = parts.path + (f"?{parts.query}" if parts.query else "")
        return str(self.server.make_url(local))

    async def get(self, path: str, *, follow: bool = False) -> aiohttp.ClientResponse:
        answer = await self.session.get(self.url(path), allow_redirects=follow)
        await answer.read()
        return answer

    async def post(self, path: str, data: dict[str, str]) -> aiohttp.ClientResponse:
        answer = await self.session.post(self.url(path), data=data, allow_redirects=False)
        await answer.read()
        return answer

    async def open_link(self, rt: Runtime, team: Team, member: Member | None = None
                        ) -> aiohttp.ClientResponse:
        """Open a fresh ``/postflow billing`` link, press Open, and land on the page."""
        return await self.use_link(billing_url(rt, team.org.id, (member or team.owner).id))

    async def use_link(self, link: str) -> aiohttp.ClientResponse:
        """Open ``link`` and press its Open button (the answer to the link when refused)."""
        opened = await self.get(link)
        if opened.status != 200:
            return opened
        answer = await self.press_open(await opened.text())
        return await self.get(answer.headers["Location"]) if answer.status == 303 else answer

    async def press_open(self, link_page: str) -> aiohttp.ClientResponse:
        """POST the Open form of a link's page (not following the redirect)."""
        token, csrf = TOKEN.search(link_page), CSRF.search(link_page)
        assert token is not None and csrf is not None, "the link's page has no Open form"
        return await self.post("/billing/open", {"token": token.group(1),
                                                 "csrf": csrf.group(1)})

    async def csrf(self) -> str:
        """The CSRF token the page's forms carry in this browser's session."""
        page = await self.get("/billing")
        found = CSRF.search(await page.text())
        assert found is not None, "the page has no form"
        return found.group(1)


@pytest.fixture
async def kit(settings: Settings, clock: ManualClock, tmp_path: Path) -> AsyncIterator[BillingKit]:
    async with billing_kit(settings, clock, tmp_path) as opened:
        yield opened


@pytest.fixture
async def server(kit: BillingKit) -> AsyncIterator[TestServer]:
    """The hub app on loopback; the fake Stripe sends its events to its webhook."""
    app = create_app(kit.rt, RecordingQueue(), Broker().ping)
    secret = kit.rt.settings.stripe_webhook_secret
    assert secret is not None
    stripe_webhook.add_routes(app, InlineBillingJobs(kit.rt), secret)
    async with TestServer(app, host="127.0.0.1") as served:
        kit.stripe.webhook_url = str(served.make_url(stripe_webhook.PATH))
        yield served


BrowserFactory = Callable[[], Awaitable[Browser]]


@pytest.fixture
async def new_browser(server: TestServer) -> AsyncIterator[BrowserFactory]:
    sessions: list[aiohttp.ClientSession] = []

    async def make() -> Browser:
        sessions.append(aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)))
        return Browser(server, sessions[-1])

    yield make
    for session in sessions:
        await session.close()


@pytest.fixture
async def browser(new_browser: BrowserFactory) -> Browser:
    return await new_browser()


async def make_team(rt: Runtime, name: str) -> Team:
    org = await create_organization(rt, name, actor="test")
    workspace = f"T{name.upper()}"
    owner = await add_member(rt, org.id, ChatIdentity(platform="slack", workspace_id=workspace,
                                                      user_id="UOWNER"),
                             Role.OWNER, actor="test", display_name=f"{name} owner")
    member = await add_member(rt, org.id, ChatIdentity(platform="slack", workspace_id=workspace,
                                                       user_id="UMEMBER"),
                              Role.MEMBER, actor="test", display_name=f"{name} member")
    return Team(org=org, owner=owner, member=member)


@pytest.fixture
async def acme(kit: BillingKit) -> Team:
    return await make_team(kit.rt, "Acme")


async def subscribe(browser: Browser, kit: BillingKit, plan: str = "pro",
                    price: str = "price_pro_month") -> aiohttp.ClientResponse:
    """Upgrade from the page through the fake Checkout; the page Checkout returns to."""
    answer = await browser.post("/billing/checkout",
                                {"csrf": await browser.csrf(), "plan": plan, "price": price})
    assert answer.status == 303, await answer.text()
    session_id = answer.headers["Location"].rsplit("/", 1)[-1]
    success = await kit.stripe.complete_checkout(session_id)
    return await browser.get(success)
