"""Slack's routes, mounted by the hub factory only when POSTFLOW_SLACK_SIGNING_SECRET is set:

- ``POST /slack/events``: slash commands, button presses and Events API calls (one URL),
  answered within Slack's three seconds whatever is slow (see :mod:`bot.slack.ack_budget`); an
  Events API delivery whose ``event_id`` was seen in the last hour (Slack's retries carry
  ``X-Slack-Retry-Num``) is answered 200 without acting;
- ``GET /slack/install`` and ``GET /slack/oauth_redirect``: the multi-workspace install, only
  when the client id and secret are set. Their failures are HTML pages for a person, never a
  trace.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import secrets
from datetime import timedelta

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.slack.ack_budget import (
    ACK_DEADLINE_SECONDS,
    ANSWER_WITHIN_SECONDS,
    ANSWERED_WITHOUT_ACK,
)
from bot.slack.app import SLACK_BOT, SlackBot, build_slack_bot
from bot.slack.oauth import STATE_PURPOSE, finish_install, install_url
from hub.routes import RUNTIME
from postflow.chatops.oauth_state import STATE_TTL, redeem_state
from postflow.errors import PostFlowError, Unauthorized
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime

log = logging.getLogger(__name__)

#: Listeners still working after their request was answered; awaited when the hub stops.
SLACK_WORK = web.AppKey("slack_work", set[asyncio.Future[BoltResponse]])
#: How long an Events API ``event_id`` is remembered: Slack retries a delivery three times,
#: the last about five minutes after the first.
EVENT_MEMORY = timedelta(hours=1)
#: Seen event ids share the store's single-use id table with OAuth states, under this prefix,
#: so every hub process sees them.
EVENT_ID_PREFIX = "slack-event:"
#: How long a stopping hub lets listeners finish their work before canceling them.
STOP_GRACE_SECONDS = 10.0
#: Ties the OAuth state to the browser that started the install.
STATE_COOKIE = "postflow_slack_state"


def add_routes(app: web.Application, rt: Runtime, queue: PublishQueue | None) -> None:
    bot = build_slack_bot(rt, queue)
    app[SLACK_BOT] = bot
    app[SLACK_WORK] = set()
    app.on_cleanup.append(_finish_work)
    app.router.add_post("/slack/events", slack_events)
    if bot.oauth_client is not None:
        app.router.add_get("/slack/install", slack_install)
        app.router.add_get("/slack/oauth_redirect", slack_oauth_redirect)


async def slack_events(request: web.Request) -> web.Response:
    bot = request.app[SLACK_BOT]
    body = await request.read()
    if not bot.verifier.is_valid(body, request.headers):
        raise Unauthorized("The request's Slack signature is missing, wrong or too old.")
    if await _is_repeated_event(request, body):
        return web.Response(status=200)
    bolt_request = await to_bolt_request(request)
    return await to_aiohttp_response(await _answer_in_time(request.app, bot, bolt_request))


async def _answer_in_time(app: web.Application, bot: SlackBot,
                          bolt_request: AsyncBoltRequest) -> BoltResponse:
    """Bolt's answer when the listener is done; its acknowledgement once that has waited
    ``ANSWER_WITHIN_SECONDS``; an empty 200 at ``ACK_DEADLINE_SECONDS`` whatever happens. The
    listener carries on as a task either way."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    dispatch = asyncio.ensure_future(bot.app.async_dispatch(bolt_request))
    work = app[SLACK_WORK]
    work.add(dispatch)
    dispatch.add_done_callback(work.discard)
    ack = bolt_request.context.ack
    await asyncio.wait({dispatch}, timeout=ANSWER_WITHIN_SECONDS)
    while (not dispatch.done() and ack.response is None
           and loop.time() - started < ACK_DEADLINE_SECONDS):
        await asyncio.wait({dispatch}, timeout=0.01)
    if dispatch.done():
        return dispatch.result()
    if ack.response is not None:
        return ack.response
    bolt_request.context[ANSWERED_WITHOUT_ACK] = True
    log.warning("a Slack listener had not acknowledged after %.1f s; answered 200 for it",
                ACK_DEADLINE_SECONDS)
    return BoltResponse(status=200, body="")


async def _is_repeated_event(request: web.Request, body: bytes) -> bool:
    """True for an Events API delivery whose ``event_id`` was already taken: Slack retries one
    it thinks failed (no 200 within three seconds), and it must have one effect."""
    if request.content_type != "application/json":
        return False
    try:
        payload = json.loads(body)
    except ValueError:
        return False
    if not isinstance(payload, dict) or payload.get("type") != "event_callback":
        return False
    event_id = str(payload.get("event_id") or "")
    if not event_id:
        return False
    rt = request.app[RUNTIME]
    now = rt.clock.now()
    if await rt.store.claim_oauth_state(EVENT_ID_PREFIX + event_id, now + EVENT_MEMORY, now):
        return False
    log.info("Slack event %s delivered again (retry %s, %s): answered without acting",
             event_id, request.headers.get("X-Slack-Retry-Num", "-"),
             request.headers.get("X-Slack-Retry-Reason", "-"))
    return True


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
    response.set_cookie(STATE_COOKIE, state, max_age=int(STATE_TTL.total_seconds()),
                        path="/slack/", httponly=True, samesite="Lax",
                        secure=request.app[RUNTIME].settings.base_url.startswith("https://"))
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
        if not secrets.compare_digest(request.cookies.get(STATE_COOKIE, ""), state):
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
    response.del_cookie(STATE_COOKIE, path="/slack/")
    return response


def _page(title: str, message: str, *, status: int = 200, retry: bool = False) -> web.Response:
    again = '<p><a href="/slack/install">Install PostFlow again</a></p>' if retry else ""
    body = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            f"</title></head><body><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
            f"{again}</body></html>")
    return web.Response(text=body, status=status, content_type="text/html")
