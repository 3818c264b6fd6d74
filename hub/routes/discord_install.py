"""Adding the Discord bot through the hub (:mod:`bot.discord.oauth_install`), mounted by the
composition root only when ``POSTFLOW_DISCORD_APPLICATION_ID`` and
``POSTFLOW_DISCORD_CLIENT_SECRET`` are set:

- ``GET /discord/install`` redirects to Discord's authorize URL with a fresh ``state``, tied to
  this browser by a cookie;
- ``GET /discord/oauth/callback`` is where Discord sends the person back: the state is checked
  (signed, not expired, not used before, this browser's), the code exchanged, the server
  recorded as an organization. Every refusal (a bad, used or expired state, Discord's error,
  the person canceling) is an HTML page saying so, with nothing recorded; never a trace.
"""

from __future__ import annotations

import logging

import aiohttp
from aiohttp import web

from bot.discord.oauth_install import (
    CALLBACK_PATH,
    INSTALL_PATH,
    STATE_PURPOSE,
    ExchangeRefused,
    authorize_url,
    finish_install,
)
from hub.cookies import delete_cookie, read_cookie, set_cookie
from hub.routes import RUNTIME
from hub.templates import render
from postflow.errors import PostFlowError, Unauthorized
from postflow.secret_compare import same_secret
from postflow.usecases.oauth_states import STATE_TTL, claim_state, read_state

log = logging.getLogger(__name__)

#: Ties the OAuth state to the browser that started the install.
STATE_COOKIE = "postflow_discord_state"
#: Longer than this is not a state PostFlow made (they are a few hundred characters).
MAX_STATE_LENGTH = 1024


def add_routes(app: web.Application) -> None:
    app.router.add_get(INSTALL_PATH, discord_install)
    app.router.add_get(CALLBACK_PATH, discord_oauth_callback)


async def discord_install(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    url, state = authorize_url(rt)
    response = web.HTTPFound(url)
    set_cookie(response, rt.settings, STATE_COOKIE, state,
               max_age=int(STATE_TTL.total_seconds()))
    raise response


async def discord_oauth_callback(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    query = request.query
    state, code = query.get("state", ""), query.get("code", "")
    if query.get("error"):
        # Canceled on Discord's page (access_denied), or Discord's own refusal.
        canceled = query.get("error") == "access_denied"
        return _page("Installation canceled" if canceled else "Installation failed",
                     "PostFlow was not added to a Discord server." + (
                         "" if canceled else " Discord said: "
                         f"{query.get('error', '')[:60]}.") + " Nothing was recorded.",
                     status=400)
    if not code or not state or len(state) > MAX_STATE_LENGTH or len(code) > MAX_STATE_LENGTH:
        return _page("Installation failed", "This page needs the code and state Discord "
                     "sends; start the installation again.", status=400)
    try:
        read = read_state(rt, state, STATE_PURPOSE)
        if not same_secret(read_cookie(request, rt.settings, STATE_COOKIE), state):
            raise Unauthorized("This install was started in another browser. Start the "
                               "installation again here.")
        await claim_state(rt, read)
        installed = await finish_install(rt, code)
    except ExchangeRefused as refused:
        log.info("Discord refused the install's code: %s", refused.error)
        return _page("Installation failed", "Discord refused the installation "
                     f"({refused.error}). Start again.", status=400)
    except (aiohttp.ClientError, TimeoutError) as err:
        log.warning("Discord OAuth exchange failed: %s", type(err).__name__)
        return _page("Installation failed", "PostFlow could not reach Discord. Try again in "
                     "a moment.", status=502)
    except PostFlowError as err:
        return _page("Installation failed", err.message,
                     status=401 if isinstance(err, Unauthorized) else 400)
    response = _page("PostFlow is added", f"PostFlow is in the Discord server "
                     f"{installed.server_name} for the organization "
                     f"{installed.organization_name}. In Discord, type /postflow help.",
                     again=False)
    delete_cookie(response, rt.settings, STATE_COOKIE)
    return response


def _page(title: str, message: str, *, status: int = 200, again: bool = True) -> web.Response:
    return web.Response(text=render("discord_install.html", title=title, message=message,
                                    again=again),
                        status=status, content_type="text/html",
                        headers={"Cache-Control": "no-store"})
