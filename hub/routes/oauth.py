"""Connecting social accounts through their consent screens, for every network that has one:

- ``GET /oauth/{network}/start?state=...``: the single-use link from ``postflow connect`` (or
  the chat ``connect`` command) opens a page naming the organization, the network and who
  asked, with a Continue button; it spends nothing, and sets the browser's key cookie;
- ``POST /oauth/{network}/start``: the Continue form (CSRF token tied to the link and the
  browser's key) spends the link and redirects to the network's consent screen;
- ``GET /oauth/{network}/callback``: where the network sends the person back; accepted only in
  the browser that pressed Continue; stores the account.

A person sees these, so every answer is an HTML page (templates/), never JSON or a trace.
"""

from __future__ import annotations

import logging

from aiohttp import web

from hub.cookies import BROWSER_COOKIE, BROWSER_COOKIE_MAX_AGE, browser_key, set_cookie
from hub.errors import REQUEST_ID, status_for
from hub.forms import read_form
from hub.routes import RUNTIME, account_picking
from hub.templates import render
from postflow.errors import Forbidden, LimitReached, PostFlowError, Unauthorized
from postflow.providers import ProviderError
from postflow.runtime import Runtime
from postflow.usecases.account_picking import picks_accounts
from postflow.usecases.oauth_connect import (
    START_PATH,
    begin_consent,
    finish_consent,
    link_csrf_token,
    open_link,
)
from postflow.usecases.oauth_states import STATE_TTL, new_browser_key

log = logging.getLogger(__name__)

NETWORK = "{network:[a-z0-9_-]{1,40}}"
#: What a refused state means for a person, by the reason the core gives.
STATE_REFUSALS = {
    "invalid": "This connect link is not valid.",
    "expired": "This connect link has expired: links work for "
               f"{int(STATE_TTL.total_seconds() // 60)} minutes.",
    "used": "This connect link was already used: each link works once.",
    "browser": "This connection was started in another browser, or its link is too old. "
               "Open a new link here.",
    "csrf": "This page was opened in another browser, or is too old. Open the link again "
            "and press Continue.",
}


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"/oauth/{NETWORK}/start", oauth_start)
    app.router.add_post(f"/oauth/{NETWORK}/start", oauth_continue)
    app.router.add_get(f"/oauth/{NETWORK}/callback", oauth_callback)
    account_picking.add_routes(app)  # POST /oauth/{network}/pages


async def oauth_start(request: web.Request) -> web.Response:
    """The link's page: what it asks, and the Continue form; nothing is spent yet."""
    rt = request.app[RUNTIME]
    network = request.match_info["network"]
    state = request.query.get("state", "")
    if not state:
        return _page(rt, network, "Connection failed", "This link lacks its state; "
                     "ask for a new link.", status=400, again=True)
    try:
        asked = await open_link(rt, network, state)
    except PostFlowError as err:
        return _refusal(rt, network, err)
    key = browser_key(request, rt.settings) or new_browser_key()
    response = web.Response(text=render(
        "connect_page.html", request=asked, state=state,
        csrf=link_csrf_token(rt, state, key), action=START_PATH.format(network=network),
        expires=asked.expires_at.strftime("%Y-%m-%d %H:%M")),
        content_type="text/html", headers={"Cache-Control": "no-store"})
    set_cookie(response, rt.settings, BROWSER_COOKIE, key, max_age=BROWSER_COOKIE_MAX_AGE)
    return response


async def oauth_continue(request: web.Request) -> web.Response:
    """The page's Continue: spend the link, go to the network's consent screen."""
    rt = request.app[RUNTIME]
    network = request.match_info["network"]
    form = await read_form(request)
    state, csrf = str(form.get("state", "")), str(form.get("csrf", ""))
    if not state:
        return _page(rt, network, "Connection failed", "This form lacks its link; open the "
                     "link again.", status=400, again=True)
    try:
        redirect = await begin_consent(rt, network, state, csrf_token=csrf,
                                       browser_key=browser_key(request, rt.settings))
    except PostFlowError as err:
        return _refusal(rt, network, err)
    raise web.HTTPSeeOther(redirect.url, headers={"Cache-Control": "no-store"})


async def oauth_callback(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    network = request.match_info["network"]
    name = _network_name(rt, network)
    query = request.query
    if query.get("error"):
        declined = query["error"] == "access_denied"
        return _page(rt, network, "Not connected",
                     f"You did not allow PostFlow to post to this {name} account; nothing was "
                     "connected." if declined else
                     f"{name} did not connect the account ({query['error'][:80]}).",
                     status=400, again=True)
    state, code = query.get("state", ""), query.get("code", "")
    if not state or not code:
        return _page(rt, network, "Connection failed", f"This page needs the code and "
                     f"state {name} sends back; start again.", status=400, again=True)
    key = browser_key(request, rt.settings)
    try:
        if picks_accounts(rt, network):  # several accounts: the person picks them first
            return await account_picking.offer_page(rt, network, state, code, browser_key=key)
        outcome = await finish_consent(rt, network, state, code, browser_key=key)
    except ProviderError as err:
        log.warning("%s code exchange refused: %s (%s)", network, err.kind.value,
                    err.platform_code)
        return _page(rt, network, "Connection failed",
                     f"{name} refused the connection: {err.message}", status=502, again=True)
    except PostFlowError as err:
        return _refusal(rt, network, err)
    except Exception:
        log.exception("connecting a %s account failed (request %s)", network,
                      request[REQUEST_ID])
        return _page(rt, network, "Connection failed", "Something went wrong on our "
                     "side; nothing was connected.", status=500, again=True,
                     reference=request[REQUEST_ID])
    connection = outcome.connection
    verb = "reconnected" if outcome.reconnected else "connected"
    return _page(
        rt, network, f"{name} account {verb}",
        f"@{connection.display_name} is {verb} to {outcome.org_name}"
        + (": its posts and queue are unchanged." if outcome.reconnected else ".")
        + " You can close this page.",
        avatar_url=connection.avatar_url, missing_scopes=list(outcome.missing_scopes))


def _refusal(rt: Runtime, network: str, err: PostFlowError) -> web.Response:
    if isinstance(err, Unauthorized | Forbidden):
        message = STATE_REFUSALS.get(str(err.details.get("reason")), STATE_REFUSALS["invalid"])
        return _page(rt, network, "Connection failed", message, status=status_for(err),
                     again=True)
    status = status_for(err) if status_for(err) in (402, 404) else 400
    return _page(rt, network, "Connection failed", err.message, status=status,
                 again=not isinstance(err, LimitReached))


def _network_name(rt: Runtime, network: str) -> str:
    return rt.providers.get(network).display_name if network in rt.providers.networks() \
        else network


def _page(rt: Runtime, network: str, title: str, message: str, *,
          status: int = 200, again: bool = False, avatar_url: str | None = None,
          missing_scopes: list[str] | None = None, reference: str | None = None) -> web.Response:
    body = render("oauth_page.html",
                  title=title, message=message, network=network,
                  network_name=_network_name(rt, network), again=again,
                  avatar_url=(avatar_url if avatar_url and avatar_url.startswith("https://")
                              else None),
                  missing_scopes=missing_scopes or [], reference=reference)
    return web.Response(text=body, status=status, content_type="text/html",
                        headers={"Cache-Control": "no-store"})
