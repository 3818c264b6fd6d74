"""The billing page an Owner's ``/postflow billing`` link opens, and the forms on it.

- ``GET /billing?token=...`` spends nothing (a chat's link previewer may fetch it): it names the
  organization and offers an Open form, tied to this browser (its key cookie, as the connect
  page does). ``POST /billing/open`` spends the link (once) and answers a redirect to
  ``/billing`` that sets the session cookie (:data:`SESSION_COOKIE`, made by
  :mod:`hub.cookies`); the session itself is :mod:`postflow.chatops.billing_session`.
- ``GET /billing`` shows the page; ``GET /billing/thanks`` is Checkout's success URL (the same
  page, read fresh, with a thank-you: Stripe's events may land a moment later).
- ``POST /billing/checkout|change|portal|cancel``: each form carries the session's CSRF token;
  without a valid session the answer says to run ``/postflow billing`` again, with a wrong
  token it is a 403. Checkout and the portal answer a redirect to Stripe.

A person sees every answer, so each is an HTML page (templates/billing*.html), never JSON or a
trace; Stripe being down is said on the page.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from multidict import MultiDictProxy

from hub.cookies import (
    BROWSER_COOKIE,
    BROWSER_COOKIE_MAX_AGE,
    browser_key,
    read_cookie,
    set_cookie,
)
from hub.errors import REQUEST_ID
from hub.forms import read_form
from hub.routes import RUNTIME
from hub.routes.billing_view import STRIPE_DOWN, day, money, page_view, safe_link
from hub.templates import render
from postflow.chatops.billing_link import LINK_TTL, PAGE_PATH
from postflow.chatops.billing_session import (
    SESSION_TTL,
    PageSession,
    csrf_token,
    exchange_link,
    is_csrf_token,
    link_csrf_token,
    read_link,
    resume_session,
)
from postflow.errors import BadInput, BillingUnavailable, Conflict, Unauthorized
from postflow.runtime import Runtime
from postflow.usecases.billing.subscription_actions import (
    cancel_at_period_end,
    change_paid_plan,
    open_portal,
    start_checkout,
)
from postflow.usecases.oauth_states import new_browser_key

log = logging.getLogger(__name__)

SESSION_COOKIE = "postflow_billing"
OPEN_PATH = f"{PAGE_PATH}/open"
THANKS_PATH = f"{PAGE_PATH}/thanks"
CHECKOUT_PATH = f"{PAGE_PATH}/checkout"
CHANGE_PATH = f"{PAGE_PATH}/change"
PORTAL_PATH = f"{PAGE_PATH}/portal"
CANCEL_PATH = f"{PAGE_PATH}/cancel"

#: What a refused link or session means for a person, by the reason the core gives.
REFUSALS = {
    "invalid": "This billing link is not valid.",
    "expired": "This billing link has expired: links work for "
               f"{int(LINK_TTL.total_seconds() // 60)} minutes.",
    "used": "This billing link was already used: each link opens the page once.",
    "browser": "This link was opened in another browser, or the page is too old. Open the "
               "link again in this browser.",
    "not_owner": "Only Owners manage billing, and whoever this link or session was made for "
                 "is no longer an Owner of the organization.",
    "session": "Your billing session has ended (sessions last "
               f"{int(SESSION_TTL.total_seconds() // 60)} minutes), or this browser has none.",
}
#: The line the page shows after a form did its work (``?done=``).
DONE = {
    "changed": "Your plan was changed. Stripe prorates the difference on the next invoice.",
    "canceled": "Your subscription is canceled at the end of the period; the plan stays until "
                "then.",
    "resumed": "Your subscription continues: it will renew as usual.",
    "checkout_canceled": "Checkout was canceled; nothing changed.",
}

Action = Callable[[Runtime, PageSession, MultiDictProxy[str | bytes | bytearray | web.FileField]],
                  Awaitable[str]]


def add_routes(app: web.Application) -> None:
    app.router.add_get(PAGE_PATH, billing_page)
    app.router.add_post(OPEN_PATH, open_session)
    app.router.add_get(THANKS_PATH, thanks_page)
    app.router.add_post(CHECKOUT_PATH, _form(_checkout))
    app.router.add_post(CHANGE_PATH, _form(_change))
    app.router.add_post(PORTAL_PATH, _form(_portal))
    app.router.add_post(CANCEL_PATH, _form(_cancel))


async def billing_page(request: web.Request) -> web.StreamResponse:
    rt = request.app[RUNTIME]
    if "token" in request.query:
        return await _link_page(request, rt, request.query["token"])
    session = await _session(request)
    if isinstance(session, web.Response):
        return session
    done = DONE.get(request.query.get("done", ""))
    return await _page(rt, session, notice=done)


async def thanks_page(request: web.Request) -> web.StreamResponse:
    session = await _session(request)
    if isinstance(session, web.Response):
        # Checkout can outlast the session: thank them anyway, without showing any state.
        return _html("billing_refused.html", status=200, title="Thanks for subscribing",
                     message="Thanks! Your plan updates in a moment, as soon as Stripe "
                             "confirms the payment. Your billing session has ended, so this "
                             "page cannot show it.")
    return await _page(request.app[RUNTIME], session, thanks=True)


async def _link_page(request: web.Request, rt: Runtime, token: str) -> web.StreamResponse:
    """What the link is for, and its Open form; nothing is spent yet."""
    try:
        access = await read_link(rt, token)
    except Unauthorized as err:
        return _refused(str(err.details.get("reason", "invalid")), 401)
    key = browser_key(request, rt.settings) or new_browser_key()
    response = _html("billing_open.html", org=access.org, owner=access.member.display_name,
                     token=token, csrf=link_csrf_token(rt, token, key), action=OPEN_PATH,
                     minutes=int(SESSION_TTL.total_seconds() // 60))
    set_cookie(response, rt.settings, BROWSER_COOKIE, key, max_age=BROWSER_COOKIE_MAX_AGE)
    return response


async def open_session(request: web.Request) -> web.StreamResponse:
    """The link page's Open: spend the link, start the session."""
    rt = request.app[RUNTIME]
    form = await read_form(request)
    try:
        session = await exchange_link(rt, str(form.get("token", "")),
                                      csrf=str(form.get("csrf", "")),
                                      browser_key=browser_key(request, rt.settings))
    except Unauthorized as err:
        reason = str(err.details.get("reason", "invalid"))
        return _refused(reason, 403 if reason == "browser" else 401)
    # POST-redirect-GET: reloading the page never sends the spent link again.
    response = _see_other(PAGE_PATH)
    set_cookie(response, rt.settings, SESSION_COOKIE, session.token,
               max_age=int(SESSION_TTL.total_seconds()))
    return response


async def _session(request: web.Request) -> PageSession | web.Response:
    rt = request.app[RUNTIME]
    try:
        return await resume_session(rt, read_cookie(request, rt.settings, SESSION_COOKIE))
    except Unauthorized as err:
        return _refused(str(err.details.get("reason", "session")), 401)


def _form(action: Action) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A POST handler: the session, then its CSRF token, then ``action`` (which answers where
    to send the browser); refusals and failures as pages."""

    async def handler(request: web.Request) -> web.StreamResponse:
        rt = request.app[RUNTIME]
        session = await _session(request)
        if isinstance(session, web.Response):
            return session
        form = await read_form(request)
        if not is_csrf_token(rt, session, str(form.get("csrf", ""))):
            return _html("billing_refused.html", status=403, title="Form refused",
                         message="This form did not come from your billing page (or the page "
                                 "is from an older session). Reload the billing page and "
                                 "try again.")
        try:
            target = await action(rt, session, form)
        except BillingUnavailable:
            return await _page(rt, session, error=STRIPE_DOWN, status=503)
        except (BadInput, Conflict) as err:
            return await _page(rt, session, error=err.message,
                               status=400 if isinstance(err, BadInput) else 409)
        except Exception:
            log.exception("billing page action failed (request %s)", request[REQUEST_ID])
            return await _page(rt, session, status=500, error="Something went wrong on our "
                               f"side; nothing was changed (reference {request[REQUEST_ID]}).")
        return _see_other(target)

    return handler


def _actor(session: PageSession) -> str:
    return f"billing-page:{session.access.member.id}"


def _price(form: MultiDictProxy[str | bytes | bytearray | web.FileField]) -> str | None:
    return str(form.get("price", "")) or None


async def _checkout(rt: Runtime, session: PageSession,
                    form: MultiDictProxy[str | bytes | bytearray | web.FileField]) -> str:
    base = rt.settings.base_url
    return await start_checkout(rt, session.access.org.id, str(form.get("plan", "")),
                                success_url=base + THANKS_PATH,
                                cancel_url=f"{base}{PAGE_PATH}?done=checkout_canceled",
                                actor=_actor(session), price_id=_price(form))


async def _change(rt: Runtime, session: PageSession,
                  form: MultiDictProxy[str | bytes | bytearray | web.FileField]) -> str:
    await change_paid_plan(rt, session.access.org.id, str(form.get("plan", "")),
                           actor=_actor(session), price_id=_price(form))
    return f"{PAGE_PATH}?done=changed"


async def _portal(rt: Runtime, session: PageSession,
                  form: MultiDictProxy[str | bytes | bytearray | web.FileField]) -> str:
    return await open_portal(rt, session.access.org.id,
                             return_url=rt.settings.base_url + PAGE_PATH, actor=_actor(session))


async def _cancel(rt: Runtime, session: PageSession,
                  form: MultiDictProxy[str | bytes | bytearray | web.FileField]) -> str:
    cancel = form.get("cancel", "yes") != "no"
    await cancel_at_period_end(rt, session.access.org.id, actor=_actor(session), cancel=cancel)
    return f"{PAGE_PATH}?done={'canceled' if cancel else 'resumed'}"


async def _page(rt: Runtime, session: PageSession, *, status: int = 200,
                notice: str | None = None, error: str | None = None,
                thanks: bool = False) -> web.Response:
    view = await page_view(rt, session.access.org.id)
    return _html("billing.html", status=status, view=view, org=view.overview.org,
                 owner=session.access.member.display_name, csrf=csrf_token(rt, session),
                 notice=notice, error=error or (STRIPE_DOWN if view.stripe_down else None),
                 thanks=thanks, day=day, money=money, safe_link=safe_link,
                 paths={"checkout": CHECKOUT_PATH, "change": CHANGE_PATH, "portal": PORTAL_PATH,
                        "cancel": CANCEL_PATH, "page": PAGE_PATH})


def _refused(reason: str, status: int) -> web.Response:
    return _html("billing_refused.html", status=status, title="Billing page refused",
                 message=REFUSALS.get(reason, REFUSALS["invalid"]))


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


def _html(template: str, *, status: int = 200, **values: object) -> web.Response:
    response = web.Response(text=render(template, **values),
                            status=status, content_type="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response
