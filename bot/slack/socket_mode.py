"""Socket Mode: with ``POSTFLOW_SLACK_APP_TOKEN`` (``xapp-...``) set, PostFlow also opens a
websocket to Slack (``apps.connections.open`` with the app-level token) and receives commands,
button presses and events over it; each envelope is acknowledged over the same socket.

The same bolt ``AsyncApp`` (built once by the hub, :func:`bot.slack.app.build_slack_bot`) serves
both transports, so every listener behaves the same whichever way a request came.
"""

from __future__ import annotations

import asyncio
import logging
from time import time

from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import send_async_response
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient as SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.slack.app import SLACK_BOT, SlackBot
from bot.slack.dispatch import SlackWork, answer_in_time, is_repeated_event

log = logging.getLogger(__name__)

#: How long a stopping process lets Socket Mode listeners finish their work.
STOP_GRACE_SECONDS = 10.0


def socket_mode_handler(web_app: web.Application) -> AsyncSocketModeHandler | None:
    """The Socket Mode handler for the hub's Slack bot; None when the hub serves no Slack or no
    app token is set. Not connected yet: see :func:`start_socket_mode`."""
    bot = web_app.get(SLACK_BOT)
    if bot is None or bot.app_token is None:
        return None
    # The app's own client: Slack's API base URL from the settings (a fake one in tests).
    return PostFlowSocketModeHandler(bot, logger=logging.getLogger("bot.slack.socket_mode"))


class PostFlowSocketModeHandler(AsyncSocketModeHandler):
    """Bolt's handler, answering each envelope like ``/slack/events`` answers a request: the
    acknowledgement goes back within Slack's three seconds while a slow listener carries on
    (bolt's own handler acks only once the listener is done), and an Events API delivery Slack
    repeats is acknowledged without acting."""

    def __init__(self, bot: SlackBot, *, logger: logging.Logger) -> None:
        super().__init__(bot.app, app_token=bot.app_token, logger=logger)
        self._bot = bot
        self._work: SlackWork = set()

    async def handle(self, client: SocketModeClient,
                     req: SocketModeRequest) -> None:
        start = time()
        rt = self._bot.runtime
        if (req.type == "events_api" and rt is not None
                and await is_repeated_event(rt, req.payload,
                                            str(req.retry_attempt or "-"))):
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        bolt_request = AsyncBoltRequest(mode="socket_mode", body=req.payload,
                                        headers=build_headers(req))
        answer = await answer_in_time(self._work, self._bot.app, bolt_request)
        await send_async_response(client, req, answer, start)

    async def finish_work(self, grace_seconds: float) -> None:
        """Let listeners still working finish for a while, then cancel the rest."""
        work = self._work.copy()
        if not work:
            return
        _, late = await asyncio.wait(work, timeout=grace_seconds)
        for task in late:
            task.cancel()


async def start_socket_mode(web_app: web.Application) -> AsyncSocketModeHandler | None:
    """Connect to Slack over Socket Mode when configured; the handler to stop, or None."""
    handler = socket_mode_handler(web_app)
    if handler is None:
        return None
    await handler.connect_async()  # type: ignore[no-untyped-call]
    log.info("Slack Socket Mode connected")
    return handler


async def stop_socket_mode(handler: AsyncSocketModeHandler | None) -> None:
    """Close the socket (no more envelopes are taken); safe with None."""
    if handler is not None:
        await handler.close_async()  # type: ignore[no-untyped-call]
        if isinstance(handler, PostFlowSocketModeHandler):
            await handler.finish_work(STOP_GRACE_SECONDS)
