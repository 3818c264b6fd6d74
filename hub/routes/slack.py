"""Slack's routes, mounted by the hub factory only when POSTFLOW_SLACK_SIGNING_SECRET is set:

- ``POST /slack/events``: slash commands, button presses and Events API calls (one URL),
  answered within Slack's three seconds whatever is slow (see :mod:`bot.slack.ack_budget`); an
  Events API delivery whose ``event_id`` was seen in the last hour (Slack's retries carry
  ``X-Slack-Retry-Num``) is answered 200 without acting, and so is any request whose signature
  was already seen (a replay: Slack signs each delivery anew);
- ``GET /slack/install`` and ``GET /slack/oauth_redirect``: the multi-workspace install, only
  when the client id and secret are set. Their failures are HTML pages for a person, never a
  trace.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.slack.app import SLACK_BOT, build_slack_bot
from bot.slack.dispatch import SlackWork, answer_in_time, is_repeated_event
from bot.slack.oauth import STATE_PURPOSE, finish_install, install_url
from bot.slack.signing import TOLERANCE_SECONDS, signed_by
from hub.cookies import delete_cookie, read_cookie, set_cookie
from hub.request_body import read_body
from hub.routes import RUNTIME
from postflow.chat.delivery import ChatOutbox
from postflow.errors import PostFlowError, Unauthorized
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime
from postflow.secret_compare import same_secret
from postflow.usecases.oauth_states import STATE_TTL, redeem_state
from postflow.usecases.seen_signatures import SLACK_SCOPE, first_sight

log = logging.getLogger(__name__)

#: Listeners still working after their request was answered; awaited when the hub stops.
SLACK_WORK = web.AppKey("slack_work", SlackWork)
#: How long a stopping hub lets listeners finish their work before canceling them.
STOP_GRACE_SECONDS = 10.0
#: Ties the OAuth state to the browser that started the install.
STATE_COOKIE = "postflow_slack_state"


def add_routes(app: web.Application, rt: Runtime, queue: PublishQueue | None,
               outbox: ChatOutbox) -> None:
    """Serve Slack for ``rt``; notices its buttons update go through ``outbox``."""
    bot = build_slack_bot(rt, queue, outbox)
    app[SLACK_BOT] = bot
    app[SLACK_WORK] = set()
    app.on_cleanup.append(_finish_work)
    app.router.add_post("/slack/events", slack_events)
    if bot.oauth_client is not None:
        app.router.add_get("/slack/install", slack_install)
        app.router.add_get("/slack/oauth_redirect", slack_oauth_redirect)


async def slack_events(request: web.Request) -> web.Response:
    bot = request.app[SLACK_BOT]
    rt = request.app[RUNTIME]
    body = await read_body(request, None, rt.settings.http_body_timeout_seconds)
    if not bot.verifier.is_valid(body, request.headers):
        raise Unauthorized("The request's Slack signature is missing, wrong or too old.")
    signature, signed_at = signed_by(request.headers)
    # A replay of a request already acted on: Slack (or whoever replays it) gets the empty 200
    # that ends a delivery, and no listener runs again.
    if not await first_sight(rt, SLACK_SCOPE, signature, signed_at, TOLERANCE_SECONDS):
        return web.Response(status=200)
    if await _is_repeated_event(request, body):
        return web.Response(status=200)
    bolt_request = await to_bolt_request(request)
    return await to_aiohttp_response(
        await answer_in_time(request.app[SLACK_WORK], bot.app, bolt_request))


async def _is_repeated_event(request: web.Request, body: bytes) -> bool:
    if request.content_type != "application/json":
        return False
    try:
        payload = json.loads(body)
    except ValueError:
        return False
    retry = (f"{request.headers.get('X-Slack-Retry-Num', '-')}, "
             f"{request.headers.get('X-Slack-Retry-Reason', '-')}")
    return await is_repeated_event(request.app[RUNTIME], payload, retry)


async def _finish_work(app: web.Application) -> None:
    """Let listeners still working finish (a little while), then cancel the rest."""
    work = app[SLACK_WORK].copy()
    if not work:
        return
    _, late = await asyncio.wait(work, timeout=STOP_GRACE_SECONDS)
    for task in late:
        task.cancel()
    if late:
        log.warning("canceled %d Slack listeners still working at shutdown", len(late))


async def slack_install(request: web.Request) -> web.Response:
    bot = request.app[SLACK_BOT]
    assert bot.oauth_client is not None
    url, state = install_url(request.app[RUNTIME], bot.oauth_client[0])
    response = web.HTTPFound(url)
    set_cookie(response, request.app[RUNTIME].settings, STATE_COOKIE, state,
               max_age=int(STATE_TTL.total_seconds()))
    raise response


async def slack_oauth_redirect(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    bot = request.app[SLACK_BOT]
    assert bot.oauth_client is not None
    query = request.query
    if query.get("error"):
        return _page("Installation canceled", "PostFlow was not installed. You can close "
                     "this page, or start again.", status=400, retry=True)
    state, code = query.get("state", ""), query.get("code", "")
    if not code or not state:
        return _page("Installation failed", "This page needs the code and state Slack sends; "
                     "start the installation again.", status=400, retry=True)
    try:
        if not same_secret(read_cookie(request, rt.settings, STATE_COOKIE), state):
            raise Unauthorized("This install was started in another browser. Start the "
                               "installation again here.")
        await redeem_state(rt, state, STATE_PURPOSE)
        linked, team_name = await finish_install(rt, bot.api_url, *bot.oauth_client, code=code)
    except SlackApiError as err:
        return _page("Installation failed", "Slack refused the installation "
                     f"({err.response.get('error', 'unknown error')}). Start again.",
                     status=400, retry=True)
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as err:
        log.warning("Slack OAuth exchange failed: %s", type(err).__name__)
        return _page("Installation failed", "PostFlow could not reach Slack. Try again in a "
                     "moment.", status=502, retry=True)
    except PostFlowError as err:
        return _page("Installation failed", err.message,
                     status=401 if isinstance(err, Unauthorized) else 400, retry=True)
    response = _page("PostFlow is installed",
                     f"PostFlow is installed in {team_name or 'your workspace'} for the "
                     f"organization {linked.org.name}. In Slack, type /postflow help.")
    delete_cookie(response, rt.settings, STATE_COOKIE)
    return response


def _page(title: str, message: str, *, status: int = 200, retry: bool = False) -> web.Response:
    again = '<p><a href="/slack/install">Install PostFlow again</a></p>' if retry else ""
    body = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            f"</title></head><body><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
            f"{again}</body></html>")
    return web.Response(text=body, status=status, content_type="text/html")
