"""The billing page's forms against the fake Stripe: upgrade through Checkout, change plan,
Manage billing (the portal), cancel at period end and undo; Stripe down and billing off said on
the page; a session acts on its own organization only."""

from __future__ import annotations

from tests.fakes.clock import ManualClock
from tests.fakes.stripe_setup import BillingKit
from tests.hub.billing_page import (
    Browser,
    BrowserFactory,
    Team,
    acme,
    browser,
    kit,
    make_team,
    new_browser,
    server,
    subscribe,
)

__all__ = ["acme", "browser", "kit", "new_browser", "server"]


async def test_the_page_shows_plan_usage_and_plans_with_prices(
        browser: Browser, kit: BillingKit, acme: Team) -> None:
    page = await browser.open_link(kit.rt, acme)

    text = await page.text()
    assert page.status == 200
    assert '<strong id="current-plan">Free</strong>' in text and "No subscription." in text
    assert '<meter aria-labelledby="usage-' in text and "2 of 15" not in text
    assert "0 of 2" in text  # connected accounts, on Free
    assert "29.00 USD a month" in text and "290.00 USD a year" in text
    assert "99.00 USD a month" in text
    assert "Upgrade to Pro" in text and "Starts with a 14-day free trial." in text


async def test_upgrading_goes_through_checkout_and_returns_to_thanks(
        browser: Browser, kit: BillingKit, acme: Team) -> None:
    await browser.open_link(kit.rt, acme)

    answer = await browser.post("/billing/checkout", {"csrf": await browser.csrf(),
                                                      "plan": "pro", "price": "price_pro_year"})

    assert answer.status == 303
    [session] = kit.stripe.checkout_sessions.values()
    assert answer.headers["Location"] == session["url"]
    assert session["client_reference_id"] == acme.org.id
    assert session["_params"]["line_items"][0]["price"] == "price_pro_year"
    assert session["success_url"] == "http://127.0.0.1:8080/billing/thanks"
    thanks = await browser.get(await kit.stripe.complete_checkout(session["id"]))
    text = await thanks.text()
    assert thanks.status == 200 and "Your plan updates in a moment" in text
    assert '<strong id="current-plan">Pro</strong>' in text and "On trial." in text
    assert "The trial ends on" in text and "FAKE-0001" in text


async def test_checkout_outlasting_the_session_still_thanks_without_showing_state(
        browser: Browser, kit: BillingKit, acme: Team, clock: ManualClock) -> None:
    await browser.open_link(kit.rt, acme)
    answer = await browser.post("/billing/checkout", {"csrf": await browser.csrf(),
                                                      "plan": "pro"})
    session_id = answer.headers["Location"].rsplit("/", 1)[-1]
    clock.advance(31 * 60)

    thanks = await browser.get(await kit.stripe.complete_checkout(session_id))

    text = await thanks.text()
    assert thanks.status == 200 and "Your plan updates in a moment" in text
    assert "/postflow billing" in text and "current-plan" not in text


async def test_changing_plan_moves_the_subscription_to_the_new_price(
        browser: Browser, kit: BillingKit, acme: Team) -> None:
    await browser.open_link(kit.rt, acme)
    await subscribe(browser, kit)

    answer = await browser.post("/billing/change", {"csrf": await browser.csrf(),
                                                    "plan": "business",
                                                    "price": "price_business_month"})

    assert answer.status == 303 and answer.headers["Location"] == "/billing?done=changed"
    [item] = kit.stripe.latest_subscription()["items"]["data"]
    assert item["price"]["id"] == "price_business_month"
    text = await (await browser.get(answer.headers["Location"])).text()
    assert '<strong id="current-plan">Business</strong>' in text and "Your plan was changed" in text


async def test_cancel_at_period_end_is_said_and_can_be_undone(
        browser: Browser, kit: BillingKit, acme: Team) -> None:
    await browser.open_link(kit.rt, acme)
    await subscribe(browser, kit)

    canceled = await browser.post("/billing/cancel", {"csrf": await browser.csrf(),
                                                      "cancel": "yes"})

    assert kit.stripe.latest_subscription()["cancel_at_period_end"] is True
    text = await (await browser.get(canceled.headers["Location"])).text()
    assert "Canceled: the subscription ends on" in text and "Keep my subscription" in text
    assert '<strong id="current-plan">Pro</strong>' in text
    await browser.post("/billing/cancel", {"csrf": await browser.csrf(), "cancel": "no"})
    assert kit.stripe.latest_subscription()["cancel_at_period_end"] is False


async def test_manage_billing_opens_the_portal_returning_to_the_page(
        browser: Browser, kit: BillingKit, acme: Team) -> None:
    await browser.open_link(kit.rt, acme)
    await subscribe(browser, kit)

    answer = await browser.post("/billing/portal", {"csrf": await browser.csrf()})

    [portal] = kit.stripe.portal_sessions.values()
    assert answer.status == 303 and answer.headers["Location"] == portal["url"]
    assert portal["return_url"] == "http://127.0.0.1:8080/billing"


async def test_a_past_due_subscription_is_said_plainly_with_its_grace(
        browser: Browser, kit: BillingKit, acme: Team) -> None:
    await browser.open_link(kit.rt, acme)
    await subscribe(browser, kit, "business", "price_business_month")

    await kit.stripe.set_status(kit.stripe.latest_subscription()["id"], "past_due",
                                invoice_status="open")

    text = await (await browser.get("/billing")).text()
    assert "A payment failed" in text and "(the grace period)" in text


async def test_stripe_down_is_said_on_the_page_without_a_trace(
        browser: Browser, kit: BillingKit, acme: Team) -> None:
    await browser.open_link(kit.rt, acme)
    csrf = await browser.csrf()
    kit.stripe.fail_next = 100

    page = await browser.get("/billing")
    answer = await browser.post("/billing/checkout", {"csrf": csrf, "plan": "pro"})

    for shown in (page, answer):
        text = await shown.text()
        assert "Stripe cannot be reached right now" in text and "Traceback" not in text
        assert '<strong id="current-plan">Free</strong>' in text
    assert page.status == 200 and answer.status == 503


async def test_a_plan_not_for_sale_is_refused_on_the_page(browser: Browser, kit: BillingKit,
                                                          acme: Team) -> None:
    await browser.open_link(kit.rt, acme)

    answer = await browser.post("/billing/checkout", {"csrf": await browser.csrf(),
                                                      "plan": "free"})

    assert answer.status == 400 and "not for sale" in await answer.text()
    assert kit.stripe.checkout_sessions == {}


async def test_a_session_acts_on_its_own_organization_only(
        new_browser: BrowserFactory, kit: BillingKit, acme: Team) -> None:
    globex = await make_team(kit.rt, "Globex")
    acme_owner, globex_owner = await new_browser(), await new_browser()
    await acme_owner.open_link(kit.rt, acme)
    await globex_owner.open_link(kit.rt, globex)
    await subscribe(globex_owner, kit, "business", "price_business_month")
    theirs = kit.stripe.latest_subscription()

    answer = await acme_owner.post("/billing/cancel", {"csrf": await acme_owner.csrf(),
                                                       "org": globex.org.id,
                                                       "subscription": theirs["id"]})

    assert answer.status == 409 and "no running subscription" in await answer.text()
    assert theirs["cancel_at_period_end"] is False
    page = await (await acme_owner.get("/billing")).text()
    assert "FAKE-0001" not in page and "Manage billing" not in page
