"""The billing page in a real browser (headless Chromium through Playwright) against the hub on
loopback and the fake Stripe: open the link (press Open) and see the plan; upgrade through
Checkout and come back to the new plan; cancel at period end and see it said; a link used twice,
and a Member's link, refused; a phone's width and the keyboard. Screenshots go to a temporary
directory (and docs/images/ on request)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, expect

from hub.app import create_app
from hub.routes import stripe_webhook
from postflow.chatops.billing_link import billing_url
from postflow.config import Settings
from postflow.organizations import Member
from tests.browser.conftest import publish_screenshot
from tests.fakes.clock import ManualClock
from tests.fakes.stripe_setup import BillingKit, billing_kit
from tests.hub.billing_page import InlineBillingJobs, Team, make_team
from tests.hub.conftest import Broker, RecordingQueue

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass(frozen=True)
class Hub:
    kit: BillingKit
    team: Team

    def link(self, member: Member | None = None) -> str:
        return billing_url(self.kit.rt, self.team.org.id, (member or self.team.owner).id)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest_asyncio.fixture(loop_scope="module")
async def hub(settings: Settings, clock: ManualClock, tmp_path: Path) -> AsyncIterator[Hub]:
    """The hub on its public URL (Checkout returns there), the fake Stripe posting its signed
    events to the hub's webhook, and an organization with an Owner and a Member."""
    port = free_port()
    settings = settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})
    async with billing_kit(settings, clock, tmp_path) as kit:
        app = create_app(kit.rt, RecordingQueue(), Broker().ping)
        secret = kit.rt.settings.stripe_webhook_secret
        assert secret is not None
        stripe_webhook.add_routes(app, InlineBillingJobs(kit.rt), secret)
        async with TestServer(app, host="127.0.0.1", port=port) as server:
            kit.stripe.webhook_url = str(server.make_url(stripe_webhook.PATH))
            yield Hub(kit, await make_team(kit.rt, "Acme"))


@pytest_asyncio.fixture(loop_scope="module")
async def page(chromium: Browser) -> AsyncIterator[Page]:
    """A fresh browser context (its own cookies); fails the test on a CSP violation."""
    context = await chromium.new_context(viewport={"width": 1100, "height": 900})
    opened = await context.new_page()
    violations: list[str] = []
    opened.on("console", lambda message: violations.append(message.text)
              if "Content Security Policy" in message.text else None)
    try:
        yield opened
    finally:
        await context.close()
    assert violations == []


async def open_link(page: Page, link: str) -> None:
    """Open a ``/postflow billing`` link and press its Open button."""
    await page.goto(link)
    await page.get_by_role("button", name="Open the billing page").click()


async def upgrade_to_pro(page: Page, hub: Hub) -> None:
    await open_link(page, hub.link())
    await page.get_by_role("button", name="Upgrade to Pro: 29.00 USD a month").click()
    await expect(page.get_by_role("heading", name="Fake Checkout")).to_be_visible()
    await page.get_by_role("button", name="Pay").click()
    await expect(page.locator("#thanks")).to_contain_text("Your plan updates in a moment")


async def test_an_owner_opens_the_link_and_sees_the_plan_and_usage(
        page: Page, hub: Hub, screenshots: Path) -> None:
    await open_link(page, hub.link())

    assert page.url.endswith("/billing")  # the spent token left the address bar
    await expect(page.locator("#current-plan")).to_have_text("Free")
    await expect(page.get_by_role("meter").first).to_be_visible()
    await expect(page.get_by_role("button", name="Upgrade to Business: 99.00 USD a month")) \
        .to_be_visible()
    await page.screenshot(path=screenshots / "billing-free.png", full_page=True)


async def test_upgrading_through_checkout_shows_the_new_plan(
        page: Page, hub: Hub, screenshots: Path) -> None:
    await upgrade_to_pro(page, hub)

    assert page.url.endswith("/billing/thanks")
    await expect(page.locator("#current-plan")).to_have_text("Pro")
    await expect(page.locator("#plan-status")).to_have_text("On trial.")
    await expect(page.get_by_role("link", name="FAKE-0001")).to_be_visible()
    shot = screenshots / "billing-page.png"
    await page.screenshot(path=shot, full_page=True)
    publish_screenshot(shot, "billing-page.png")


async def test_cancel_at_period_end_is_said_and_undone(page: Page, hub: Hub,
                                                       screenshots: Path) -> None:
    await upgrade_to_pro(page, hub)

    await page.get_by_role("button", name="Cancel at the end of the period").click()

    await expect(page.locator("#notice")).to_contain_text("canceled at the end of the period")
    await expect(page.get_by_text("Canceled: the subscription ends on")).to_be_visible()
    await expect(page.locator("#current-plan")).to_have_text("Pro")
    await page.screenshot(path=screenshots / "billing-canceled.png", full_page=True)
    await page.get_by_role("button", name="Keep my subscription").click()
    await expect(page.locator("#notice")).to_contain_text("Your subscription continues")
    await expect(page.get_by_role("button", name="Cancel at the end of the period")) \
        .to_be_visible()


async def test_a_link_opened_twice_is_refused_the_second_time(
        page: Page, chromium: Browser, hub: Hub) -> None:
    link = hub.link()
    await open_link(page, link)
    await expect(page.locator("#current-plan")).to_be_visible()
    other = await chromium.new_context()
    try:
        second = await other.new_page()
        await open_link(second, link)

        await expect(second.locator("#refusal")).to_contain_text("already used")
        await expect(second.locator("#current-plan")).to_have_count(0)
    finally:
        await other.close()


async def test_a_members_link_is_refused(page: Page, hub: Hub) -> None:
    answer = await page.goto(hub.link(hub.team.member))

    assert answer is not None and answer.status == 401
    await expect(page.locator("#refusal")).to_contain_text("no longer an Owner")
    await expect(page.locator("#current-plan")).to_have_count(0)


async def focus_ring(page: Page) -> tuple[str, str]:
    """The focused element's text and its outline style (the keyboard focus ring)."""
    text, style = await page.evaluate(
        "[document.activeElement.textContent.replace(/\\s+/g, ' ').trim(),"
        " getComputedStyle(document.activeElement).outlineStyle]")
    return str(text), str(style)


async def test_the_page_fits_a_phone_and_shows_keyboard_focus(
        chromium: Browser, hub: Hub, screenshots: Path) -> None:
    context = await chromium.new_context(viewport={"width": 375, "height": 740},
                                         is_mobile=True, has_touch=True)
    try:
        phone = await context.new_page()
        await phone.goto(hub.link())
        await phone.keyboard.press("Tab")
        assert await focus_ring(phone) == ("Open the billing page", "solid")
        await phone.keyboard.press("Enter")
        await expect(phone.locator("#current-plan")).to_have_text("Free")
        await phone.keyboard.press("Tab")

        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375
        assert await focus_ring(phone) == ("Upgrade to Pro: 29.00 USD a month", "solid")
        await phone.screenshot(path=screenshots / "billing-phone.png", full_page=True)
    finally:
        await context.close()
