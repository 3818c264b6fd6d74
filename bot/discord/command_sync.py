"""Registering ``/postflow`` with Discord when its definition changed, not at every start.

The payload (:func:`bot.discord.command_tree.command_payload`) is hashed; the digest last
registered is kept in the store per scope (the application's global commands, or one server's
with ``--guild``), so several processes and restarts agree. Only a different digest makes the
bulk overwrite (``PUT /applications/{id}/commands`` or ``.../guilds/{id}/commands``), which
Discord rate-limits; the digest is saved after Discord took it, so a failed registration is
tried again at the next start.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.discord.command_tree import command_payload
from bot.discord.install import require_guild_id
from postflow.errors import ConfigurationError, PostFlowError
from postflow.runtime import Runtime

log = logging.getLogger(__name__)

PLATFORM = "discord"
GLOBAL_SCOPE = "global"
REQUEST_TIMEOUT_SECONDS = 15.0


class RegistrationFailed(PostFlowError):
    """Discord did not take the commands (an answer other than a refusal of the settings)."""

    code = "discord_registration_failed"


@dataclass(frozen=True)
class SyncResult:
    scope: str
    #: True when the commands were sent (the definition changed, or ``force``).
    sent: bool
    digest: str
    commands: int


def scope_of(guild_id: str | None) -> str:
    """``global``, or ``guild:<id>``."""
    return GLOBAL_SCOPE if guild_id is None else f"guild:{guild_id}"


def commands_digest(payload: list[dict[str, Any]]) -> str:
    """The same definition always hashes the same, whatever the order of its keys."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class DiscordApp:
    """The application registering commands: its id and the bot's token, on ``api_url``."""

    application_id: str
    bot_token: str
    api_url: str

    def __repr__(self) -> str:  # never the token
        return f"DiscordApp(application_id={self.application_id!r}, api_url={self.api_url!r})"

    @classmethod
    def from_settings(cls, rt: Runtime, *, needs_application_id: bool = True) -> DiscordApp:
        """The application as configured; the gateway bot may go without the id (``""``),
        learning it when it logs in."""
        settings = rt.settings
        if settings.discord_bot_token is None or (settings.discord_application_id is None
                                                  and needs_application_id):
            raise ConfigurationError(
                "Registering Discord's commands needs POSTFLOW_DISCORD_BOT_TOKEN and "
                "POSTFLOW_DISCORD_APPLICATION_ID (docs/discord.md).",
                details={"setting": "POSTFLOW_DISCORD_APPLICATION_ID"
                         if settings.discord_application_id is None
                         else "POSTFLOW_DISCORD_BOT_TOKEN"})
        return cls(settings.discord_application_id or "",
                   settings.discord_bot_token.get_secret_value(), settings.discord_api_url)


async def sync_commands(rt: Runtime, app: DiscordApp, guild_id: str | None = None, *,
                        force: bool = False,
                        payload: list[dict[str, Any]] | None = None) -> SyncResult:
    """Register the commands in ``guild_id`` (None: globally) unless the digest on record
    says Discord already has them (``force`` sends them anyway)."""
    guild_id = require_guild_id(guild_id)
    commands = command_payload() if payload is None else payload
    scope, digest = scope_of(guild_id), commands_digest(commands)
    if not force and await rt.store.get_chat_commands_digest(PLATFORM, scope) == digest:
        return SyncResult(scope=scope, sent=False, digest=digest, commands=len(commands))
    await _overwrite(app, guild_id, commands)
    await rt.store.set_chat_commands_digest(PLATFORM, scope, digest, rt.clock.now())
    log.info("Discord commands registered (%s, %s)", scope, digest[:12])
    return SyncResult(scope=scope, sent=True, digest=digest, commands=len(commands))


async def _overwrite(app: DiscordApp, guild_id: str | None,
                     commands: list[dict[str, Any]]) -> None:
    path = f"/applications/{app.application_id}"
    if guild_id is not None:
        path += f"/guilds/{guild_id}"
    url = app.api_url.rstrip("/") + path + "/commands"
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    headers = {"Authorization": f"Bot {app.bot_token}", "Content-Type": "application/json"}
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http, http.put(
                url, data=json.dumps(commands), headers=headers) as response:
            status, raw = response.status, await response.read()
    except (aiohttp.ClientError, TimeoutError) as err:
        raise RegistrationFailed(f"Discord could not be reached ({type(err).__name__}); "
                                 "the commands are registered at the next try.") from None
    if status < 300:
        return
    code = _error_code(raw)
    log.warning("Discord refused the commands: HTTP %s, code %s", status, code)
    if status == 401:
        raise ConfigurationError("Discord refused the bot token (POSTFLOW_DISCORD_BOT_TOKEN).",
                                 details={"status": status})
    if status in (403, 404):
        where = f"the server {guild_id}" if guild_id else "this application"
        raise ConfigurationError(
            f"Discord does not let this bot register commands in {where}: check "
            "POSTFLOW_DISCORD_APPLICATION_ID, and that the bot is in the server "
            "(postflow discord install-url).", details={"status": status, "code": code})
    raise RegistrationFailed(f"Discord did not take the commands (HTTP {status}).",
                             details={"status": status, "code": code})


def _error_code(raw: bytes) -> int | None:
    try:
        answer = json.loads(raw)
    except ValueError:
        return None
    code = answer.get("code") if isinstance(answer, dict) else None
    return code if isinstance(code, int) else None
