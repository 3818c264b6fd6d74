"""The hub's application with the chat adapters this process serves.

Slack's routes (and slack-bolt with them) load only when ``POSTFLOW_SLACK_SIGNING_SECRET`` is set,
Discord's interactions endpoint only when ``POSTFLOW_DISCORD_PUBLIC_KEY`` is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from composition.billing import billing_event_queue
from composition.chat import chat_deliveries, chat_outbox
from hub.app import create_app
from hub.routes import RUNTIME, BrokerPing, QueueDepths, no_queue_depths
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler


def build_hub(rt: Runtime, queue: PublishQueue, broker_ping: BrokerPing,
              queue_depths: QueueDepths = no_queue_depths) -> web.Application:
    """The hub serving ``rt`` (built with the read cache in a hub process), with Slack mounted
    at ``/slack/events`` and Discord at ``/discord/interactions`` when configured; the caller
    owns ``rt``, ``queue`` and the broker."""
    app = create_app(rt, queue, broker_ping, queue_depths)
    settings = rt.settings
    if settings.slack_signing_secret is not None:
        from hub.routes import slack

        outbox = chat_outbox(settings, chat_deliveries(settings, rt.store, rt.vault))
        slack.add_routes(app, rt, queue, outbox)
    if settings.discord_public_key is not None:
        from hub.routes import discord

        discord.add_routes(app, rt, settings.discord_public_key)
    if settings.discord_application_id and settings.discord_client_secret is not None:
        from hub.routes import discord_install

        discord_install.add_routes(app)
    if settings.stripe_webhook_secret is not None:
        from hub.routes import stripe_webhook

        stripe_webhook.add_routes(app, billing_event_queue(settings),
                                  settings.stripe_webhook_secret)
    return app


async def connect_slack_socket(app: web.Application) -> AsyncSocketModeHandler | None:
    """Connect to Slack over Socket Mode when the hub serves Slack and an app token is set;
    the handler to close with :func:`close_slack_socket`, or None."""
    settings = app[RUNTIME].settings
    if settings.slack_signing_secret is None or settings.slack_app_token is None:
        return None
    from bot.slack.socket_mode import start_socket_mode

    return await start_socket_mode(app)


async def close_slack_socket(handler: AsyncSocketModeHandler | None) -> None:
    """Close the socket and let its listeners finish; safe with None."""
    if handler is None:
        return
    from bot.slack.socket_mode import stop_socket_mode

    await stop_socket_mode(handler)
