"""The billing page's session: the ``/postflow billing`` link's page spends nothing; its Open
form (from the browser that opened it) spends the link once for a short HttpOnly, SameSite=Lax
cookie (``__Host-`` on https), re-checked at every request; every form needs the session's CSRF
token."""

from __future__ import annotations

from postflow.chatops.billing_link import billing_url
from postflow.organizations import Role
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
)

__all__ = ["acme", "browser", "kit", "new_browser", "server"]


async def test_opening_the_link_spends_nothing(new_browser: BrowserFactory, kit: BillingKit,
                                               acme: Team) -> None:
    """A chat's link previewer fetching the link leaves it working for the Owner."""
    link = billing_url(kit.rt, acme.org.id, acme.owner.id)
    previewer = await new_browser()
    for _ in range(2):
        page = await previewer.get(link)
        assert page.status == 200 and "Open the billing page" in await page.text()
        assert "postflow_billing=" not in page.headers.get("Set-Cookie", "")

    assert (await (await new_browser()).use_link(link)).status == 200


async def test_the_open_form_exchanges_the_link_for_a_session_cookie(
        browser: Browser, kit: BillingKit, acme: Team) -> None:
    link_page = await browser.get(billing_url(kit.rt, acme.org.id, acme.owner.id))

    answer = await browser.press_open(await link_page.text())

    assert answer.status == 303 and answer.headers["Location"] == "/billing"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("postflow_billing=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Max-Age=1800" in cookie
    page = await browser.get("/billing")
    assert page.status == 200 and "Billing of Acme" in await page.text()


async def test_a_link_opens_the_page_once(new_browser: BrowserFactory, kit: BillingKit,
                                          acme: Team) -> None:
    link = billing_url(kit.rt, acme.org.id, acme.owner.id)
    first, second = await new_browser(), await new_browser()
    second_page = await (await second.get(link)).text()
    assert (await first.use_link(link)).status == 200

    again = await second.press_open(second_page)

    assert again.status == 401 and "already used" in await again.text()
    assert "postflow_billing=" not in again.headers.get("Set-Cookie", "")
    assert (await second.get("/billing")).status == 401
    assert (await first.use_link(link)).status == 401


async def test_the_open_form_works_only_in_the_browser_that_opened_the_link(
        new_browser: BrowserFactory, kit: BillingKit, acme: Team) -> None:
    """Nobody can make a victim's browser spend a link (theirs or the victim's) from elsewhere."""
    link = billing_url(kit.rt, acme.org.id, acme.owner.id)
    opener, other = await new_browser(), await new_browser()
    page = await (await opener.get(link)).text()
    await other.get(billing_url(kit.rt, acme.org.id, acme.owner.id))  # a browser key of its own

    answer = await other.press_open(page)
    bare = await other.post("/billing/open", {"token": link.rsplit("=", 1)[1]})

    assert answer.status == 403 and "another browser" in await answer.text()
    assert bare.status == 403
    assert (await opener.press_open(page)).status == 303  # nothing was spent


async def test_a_members_link_is_refused(browser: Browser, kit: BillingKit, acme: Team) -> None:
    answer = await browser.open_link(kit.rt, acme, acme.member)

    text = await answer.text()
    assert answer.status == 401 and "no longer an Owner" in text
    assert "Set-Cookie" not in answer.headers and "Billing of Acme" not in text


async def test_a_refused_open_spends_nothing(browser: Browser, kit: BillingKit,
                                             acme: Team) -> None:
    """Refusing a link never spends it: only links that open a session are claimed."""
    link = billing_url(kit.rt, acme.org.id, acme.owner.id)
    page = await (await browser.get(link)).text()
    await kit.rt.store.update_member(acme.owner.model_copy(update={"role": Role.ADMIN}))
    assert (await browser.press_open(page)).status == 401
    await kit.rt.store.update_member(acme.owner)

    assert (await browser.press_open(page)).status == 303


async def test_without_a_session_the_page_says_to_run_the_command_again(
        browser: Browser) -> None:
    page = await browser.get("/billing")

    text = await page.text()
    assert page.status == 401 and "session has ended" in text and "/postflow billing" in text


async def test_a_forged_cookie_is_no_session(browser: Browser, kit: BillingKit,
                                             acme: Team) -> None:
    await browser.open_link(kit.rt, acme)
    [cookie] = [c for c in browser.session.cookie_jar if c.key == "postflow_billing"]
    browser.session.cookie_jar.clear()
    forged = cookie.value[:-2] + ("AA" if not cookie.value.endswith("AA") else "BB")

    for value in (forged, cookie.value + "x", "", "a.b.c"):
        answer = await browser.session.get(browser.url("/billing"),
                                           headers={"Cookie": f"postflow_billing={value}"})
        assert answer.status == 401, value
    honest = await browser.session.get(browser.url("/billing"),
                                       headers={"Cookie": f"postflow_billing={cookie.value}"})
    assert honest.status == 200


async def test_the_session_ends_after_thirty_minutes(browser: Browser, kit: BillingKit,
                                                     acme: Team, clock: ManualClock) -> None:
    await browser.open_link(kit.rt, acme)
    clock.advance(29 * 60)
    assert (await browser.get("/billing")).status == 200
    clock.advance(61)

    page = await browser.get("/billing")

    assert page.status == 401 and "/postflow billing" in await page.text()


async def test_the_session_ends_when_the_owner_is_demoted(browser: Browser, kit: BillingKit,
                                                          acme: Team) -> None:
    await browser.open_link(kit.rt, acme)
    await kit.rt.store.update_member(acme.owner.model_copy(update={"role": Role.ADMIN}))

    page = await browser.get("/billing")
    form = await browser.post("/billing/cancel", {"csrf": "x"})

    assert page.status == 401 and "no longer an Owner" in await page.text()
    assert form.status == 401


async def test_a_form_without_the_csrf_token_is_refused(browser: Browser, kit: BillingKit,
                                                        acme: Team) -> None:
    await browser.open_link(kit.rt, acme)
    before = len(kit.stripe.requests)

    for data in ({"plan": "pro"}, {"plan": "pro", "csrf": ""}, {"plan": "pro", "csrf": "nope"}):
        answer = await browser.post("/billing/checkout", data)
        assert answer.status == 403, data
        assert "did not come from your billing page" in await answer.text()

    assert len(kit.stripe.requests) == before and kit.stripe.checkout_sessions == {}


async def test_another_sessions_csrf_token_is_refused(new_browser: BrowserFactory,
                                                      kit: BillingKit, acme: Team) -> None:
    mine, theirs = await new_browser(), await new_browser()
    await mine.open_link(kit.rt, acme)
    await theirs.open_link(kit.rt, acme)

    answer = await mine.post("/billing/checkout", {"csrf": await theirs.csrf(), "plan": "pro"})

    assert answer.status == 403 and kit.stripe.checkout_sessions == {}


async def test_a_form_without_a_session_says_to_run_the_command_again(
        browser: Browser, new_browser: BrowserFactory, kit: BillingKit, acme: Team) -> None:
    owner = await new_browser()
    await owner.open_link(kit.rt, acme)

    answer = await browser.post("/billing/checkout", {"csrf": await owner.csrf(), "plan": "pro"})

    assert answer.status == 401 and "/postflow billing" in await answer.text()
    assert kit.stripe.checkout_sessions == {}


async def test_a_session_shows_its_own_organization_only(new_browser: BrowserFactory,
                                                         kit: BillingKit, acme: Team) -> None:
    globex = await make_team(kit.rt, "Globex")
    mine, theirs = await new_browser(), await new_browser()
    await mine.open_link(kit.rt, acme)
    await theirs.open_link(kit.rt, globex)

    text = await (await mine.get("/billing?org=" + globex.org.id)).text()

    assert "Billing of Acme" in text and "Globex" not in text


async def test_two_links_made_at_the_same_moment_each_open_once(
        new_browser: BrowserFactory, kit: BillingKit, acme: Team) -> None:
    """Links carry a nonce: spending one never spends another made in the same second."""
    first = billing_url(kit.rt, acme.org.id, acme.owner.id)
    second = billing_url(kit.rt, acme.org.id, acme.owner.id)

    assert first != second
    assert (await (await new_browser()).use_link(first)).status == 200
    assert (await (await new_browser()).use_link(second)).status == 200
