"""Discord's gateway bot in a process: alone (``postflow discord``) or beside the hub, worker
and scheduler (``postflow up`` when ``POSTFLOW_DISCORD_BOT_TOKEN`` is set)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from composition.runtime import open_backends
from postflow.config import Settings
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime
from workers.broker import close_broker, configure_broker
from workers.dramatiq_queue import DramatiqPublishQueue

log = logging.getLogger(__name__)


async def run_discord(settings: Settings, stop: asyncio.Event, *,
                      guild_id: str | None = None) -> None:
    """The gateway bot until ``stop`` is set; its commands registered in ``guild_id`` (None:
    globally) when their definition changed. Raises when the bot cannot run (no token, a
    token Discord refuses)."""
    from bot.discord.command_sync import DiscordApp
    from bot.discord.gateway import GatewayBot, use_api_url
    from bot.discord.install import require_guild_id

    require_guild_id(guild_id)
    broker = configure_broker(settings)
    backends = await open_backends(settings)
    try:
        rt = backends.runtime(read_cache=True)
        app = DiscordApp.from_settings(rt, needs_application_id=False)
        use_api_url(settings.discord_api_url)
        await GatewayBot(rt, DramatiqPublishQueue(), app, guild_id=guild_id).serve(stop)
    finally:
        await backends.close()
        close_broker(broker)


@asynccontextmanager
async def discord_gateway(rt: Runtime, queue: PublishQueue) -> AsyncIterator[None]:
    """The gateway bot running for the body of the block when a bot token is set (commands
    registered globally). A bot that stops on its own is logged; the process goes on."""
    if rt.settings.discord_bot_token is None:
        yield
        return
    from bot.discord.command_sync import DiscordApp
    from bot.discord.gateway import GatewayBot, use_api_url

    use_api_url(rt.settings.discord_api_url)
    bot = GatewayBot(rt, queue, DiscordApp.from_settings(rt, needs_application_id=False))
    stop = asyncio.Event()
    task = asyncio.create_task(bot.serve(stop), name="postflow-discord-gateway")
    task.add_done_callback(_log_failure)
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait({task})


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("The Discord gateway bot stopped: %s", task.exception())
