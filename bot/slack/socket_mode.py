"""Socket Mode: with ``POSTFLOW_SLACK_APP_TOKEN`` (``xapp-...``) set, PostFlow also opens a
websocket to Slack (``apps.connections.open`` with the app-level token) and receives commands,
button presses and events over it; each envelope is acknowledged over the same socket.

The same bolt ``AsyncApp`` (built once by the hub, :func:`bot.slack.app.build_slack_bot`) serves
both transports, so every listener behaves the same whichever way a request came.
"""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

from bot.slack.app import SLACK_BOT

log = logging.getLogger(__name__)


def socket_mode_handler(web_app: web.Application) -> AsyncSocketModeHandler | None:
    """The Socket Mode handler for the hub's Slack bot; None when the hub serves no Slack or no
    app token is set. Not connected yet: see :func:`start_socket_mode`."""
    bot = web_app.get(SLACK_BOT)
    if bot is None or bot.app_token is None:
        return None
    # The app's own client: Slack's API base URL from the settings (a fake one in tests).
    return AsyncSocketModeHandler(bot.app, app_token=bot.app_token,
                                  logger=logging.getLogger("bot.slack.socket_mode"))


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
