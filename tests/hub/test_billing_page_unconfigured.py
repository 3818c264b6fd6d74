"""Without Stripe (no secret key) the billing page still shows the plan and usage, and says how
plans are changed; it offers no buttons."""

from __future__ import annotations

import aiohttp
from aiohttp.test_utils import TestServer

from hub.app import create_app
from postflow.runtime import Runtime
from tests.hub.billing_page import Browser, make_team
from tests.hub.conftest import Broker, RecordingQueue


async def test_without_stripe_the_page_shows_plan_and_usage_and_no_buttons(rt: Runtime) -> None:
    team = await make_team(rt, "Acme")
    async with TestServer(create_app(rt, RecordingQueue(), Broker().ping),
                          host="127.0.0.1") as server, \
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        browser = Browser(server, session)
        page = await browser.open_link(rt, team)

        text = await page.text()
        assert page.status == 200 and '<strong id="current-plan">' in text
        assert "not sold on this PostFlow" in text and "<meter" in text
        assert "<form" not in text and "Stripe cannot be reached" not in text


