"""The gateway bot (``postflow discord``, and ``postflow up`` with a bot token): discord.py's
``Client`` connected to Discord's gateway, serving the same handlers as the HTTP endpoint.

Every INTERACTION_CREATE (command, button, form, autocomplete) is taken from discord.py's
gateway parsers **as the raw payload**, before discord.py builds its own objects from it, and
handed to :func:`~bot.discord.interactions.read_interaction` and
:func:`~bot.discord.interactions.answer_interaction`, the functions the hub's
``POST /discord/interactions`` calls; the answer is posted as the interaction's callback
(``POST /interactions/{id}/{token}/callback``). So a behaviour written for one path works in
the other, and the ``CommandTree`` (built from :mod:`bot.discord.command_tree`) never answers.

discord.py keeps the connection: heartbeats, RESUME after a dropped socket, a fresh IDENTIFY
when Discord says the session is gone. The bot asks for the ``guilds`` intent only (no
privileged intent): it reads servers joined and left, and interactions, which need none.
At start (``setup_hook``) the commands are registered when their definition changed
(:mod:`bot.discord.command_sync`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from typing import Any
from urllib.parse import quote

import aiohttp
import discord

from bot.discord.command_sync import DiscordApp, RegistrationFailed, sync_commands
from bot.discord.command_tree import build_command_tree
from bot.discord.install import Server, removal_message, server_joined, server_removed
from bot.discord.interactions import MalformedInteraction, answer_interaction, read_interaction
from postflow.errors import ConfigurationError
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime

log = logging.getLogger(__name__)

INTERACTION_CREATE = "INTERACTION_CREATE"
CALLBACK_TIMEOUT_SECONDS = 10.0
#: How long ``close`` lets interactions in flight finish.
CLOSE_GRACE_SECONDS = 5.0


def gateway_intents() -> discord.Intents:
    """Servers joined and left; nothing privileged (no members, presences, message content)."""
    return discord.Intents(guilds=True)


class GatewayBot(discord.Client):
    """A ``discord.Client`` whose interactions are PostFlow's shared handlers'."""

    def __init__(self, rt: Runtime, queue: PublishQueue | None, app: DiscordApp, *,
                 guild_id: str | None = None, **options: Any) -> None:
        super().__init__(intents=gateway_intents(), **options)
        self.tree = build_command_tree(self)
        self._rt, self._queue, self._app, self._guild_id = rt, queue, app, guild_id
        self._in_flight: set[asyncio.Task[None]] = set()
        self._callbacks: aiohttp.ClientSession | None = None
        #: Set once the bot is connected and has seen its servers (``on_ready``).
        self.ready = asyncio.Event()

    async def setup_hook(self) -> None:
        # The parsers dict is the one the gateway socket reads each event's handler from.
        self._connection.parsers[INTERACTION_CREATE] = self._interaction_received
        self._callbacks = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=CALLBACK_TIMEOUT_SECONDS))
        if not self._app.application_id and self.application_id is not None:
            # Not configured: the id login read from Discord (GET /oauth2/applications/@me).
            self._app = dataclasses.replace(self._app, application_id=str(self.application_id))
        try:
            await sync_commands(self._rt, self._app, self._guild_id)
        except RegistrationFailed as err:
            # Discord has the commands of the last registration; the next start tries again.
            log.warning("Discord commands not registered this time: %s", err.message)

    def _interaction_received(self, payload: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._answer(payload))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _answer(self, payload: dict[str, Any]) -> None:
        try:
            interaction = read_interaction(payload)
        except MalformedInteraction as err:
            log.warning("Discord interaction over the gateway not read: %s", err.code)
            return
        try:
            answer = await answer_interaction(self._rt, self._queue, interaction)
            await self._post_callback(payload, answer)
        except Exception:
            log.exception("Discord interaction over the gateway not answered")

    async def _post_callback(self, payload: dict[str, Any], answer: dict[str, Any]) -> None:
        interaction_id, token = str(payload.get("id", "")), str(payload.get("token", ""))
        if not (interaction_id.isdigit() and token):
            log.warning("Discord interaction without an id or token: not answered")
            return
        url = (f"{self._app.api_url.rstrip('/')}/interactions/{interaction_id}/"
               f"{quote(token, safe='')}/callback")
        assert self._callbacks is not None
        # No Authorization: the interaction's token is what Discord checks here.
        async with self._callbacks.post(url, data=json.dumps(answer),
                                        headers={"Content-Type": "application/json"}
                                        ) as response:
            if response.status >= 300:
                code = _error_code(await response.read())
                log.warning("Discord refused the answer to interaction %s: HTTP %s, code %s",
                            interaction_id, response.status, code)

    async def on_ready(self) -> None:
        log.info("Discord gateway connected as %s, in %d servers", self.user, len(self.guilds))
        self.ready.set()

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self._joined(guild)

    async def on_guild_available(self, guild: discord.Guild) -> None:
        # A server listed in READY: added while PostFlow was not running, or known already.
        await self._joined(guild)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        # Only a removal: a server that is merely unavailable (an outage) is not this event.
        removed = await server_removed(self._rt, str(guild.id))
        if removed is None:
            return
        log.info("Discord server %s removed the bot", guild.id)
        if removed.installer_user_id:
            await self._tell_owner(removed.installer_user_id,
                                   await removal_message(self._rt, removed))

    async def _tell_owner(self, user_id: str, text: str) -> None:
        """A direct message, where Discord allows one (they share another server with the
        bot and accept its messages); the notice router has said it already either way."""
        try:
            channel = await self.create_dm(discord.Object(id=int(user_id)))
            await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as err:
            log.info("Discord owner %s not told of the removal in direct messages: code %s",
                     user_id, err.code)

    async def _joined(self, guild: discord.Guild) -> None:
        owner_id = "" if guild.owner_id is None else str(guild.owner_id)
        user = self.user
        await server_joined(self._rt, Server(str(guild.id), guild.name, owner_id),
                            app_id=self._app.application_id,
                            bot_user_id="" if user is None else str(user.id))

    async def serve(self, stop: asyncio.Event) -> None:
        """Connect and serve until ``stop`` is set; a connection that ends on its own (a
        refused token, a bug) raises here."""
        started = asyncio.create_task(self.start(self._app.bot_token), name="postflow-discord")
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({started, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            await self.close()
            if not started.done():
                await asyncio.wait({started})
        if not stop.is_set():
            try:
                started.result()
            except discord.LoginFailure:
                raise ConfigurationError("Discord refused the bot token "
                                         "(POSTFLOW_DISCORD_BOT_TOKEN).") from None
            raise RuntimeError("The Discord gateway connection stopped on its own.")

    async def close(self) -> None:
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=CLOSE_GRACE_SECONDS)
        if self._callbacks is not None:
            await self._callbacks.close()
        await super().close()


def _error_code(raw: bytes) -> int | None:
    try:
        answer = json.loads(raw)
    except ValueError:
        return None
    code = answer.get("code") if isinstance(answer, dict) else None
    return code if isinstance(code, int) else None


def use_api_url(api_url: str) -> None:
    """Point discord.py's REST calls at ``POSTFLOW_DISCORD_API_URL`` (a class attribute: there
    is no per-client option for it)."""
    discord.http.Route.BASE = api_url.rstrip("/")
