"""Adding the bot to a server through OAuth with a redirect back to PostFlow: what makes
``POSTFLOW_DISCORD_CLIENT_SECRET`` useful, and lets a deployment with the HTTP endpoint only
(no gateway connection, so no GUILD_CREATE) turn a new server into an organization.

1. The hub's ``GET /discord/install`` sends the browser to Discord's authorize URL: the install
   URL of :mod:`bot.discord.install` (scopes ``bot applications.commands``, the bot's
   permissions) plus ``response_type=code``, ``redirect_uri=<POSTFLOW_PUBLIC_URL>/discord/
   oauth/callback`` and a ``state`` (:mod:`postflow.usecases.oauth_states`: signed, expiring
   in 10 minutes, good once, and tied to the browser by a cookie).
2. Discord sends the person back with ``code`` (or ``error`` when they canceled); the code is
   exchanged at Discord's token endpoint with the client secret. For the ``bot`` scope the
   answer names the server (``guild``) the bot was added to.
3. The person who installed it is read with the access token (``GET /users/@me``); the token is
   used for that one call and never stored or logged.
4. The server is recorded exactly as a GUILD_CREATE records it (:func:`~bot.discord.install.
   server_joined`): a new organization with the server's owner as Owner (the installer when
   they own it), or the organization it is already linked to. An installer who does not own
   the server (they had Manage Server, which adding a bot needs) joins as Admin.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
from pydantic import BaseModel, ValidationError

from bot.discord.install import PLATFORM, Server, install_url, server_joined
from postflow.chat_actors import chat_actor
from postflow.chat_installations import ChatInstallation
from postflow.config import Settings
from postflow.errors import BadInput, PostFlowError
from postflow.organizations import ChatIdentity, Role
from postflow.runtime import Runtime
from postflow.usecases.oauth_states import issue_state
from postflow.usecases.organizations import add_member

log = logging.getLogger(__name__)

STATE_PURPOSE = "discord-install"
INSTALL_PATH = "/discord/install"
CALLBACK_PATH = "/discord/oauth/callback"
REQUEST_TIMEOUT_SECONDS = 10.0


class ExchangeRefused(Exception):
    """Discord did not take the code (or answered what PostFlow cannot read): ``error`` is
    Discord's OAuth error (``invalid_grant``) or ``http_<status>``; never a body or a token."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class _Guild(BaseModel):
    id: str
    name: str = ""
    owner_id: str = ""


class _TokenAnswer(BaseModel):
    access_token: str
    token_type: str = ""
    scope: str = ""
    guild: _Guild | None = None


class _User(BaseModel):
    id: str
    username: str = ""
    global_name: str | None = None


@dataclass(frozen=True)
class Installed:
    installation: ChatInstallation
    server_name: str
    organization_name: str


def redirect_uri(settings: Settings) -> str:
    return settings.base_url + CALLBACK_PATH


def authorize_url(rt: Runtime) -> tuple[str, str]:
    """(Discord's authorize URL with a fresh state, that state)."""
    state = issue_state(rt, STATE_PURPOSE)
    query = urlencode({"response_type": "code", "redirect_uri": redirect_uri(rt.settings),
                       "state": state})
    return f"{install_url(rt.settings.discord_application_id)}&{query}", state


async def finish_install(rt: Runtime, code: str) -> Installed:
    """Exchange ``code`` and record the server it added the bot to. Raises ExchangeRefused
    when Discord refuses, aiohttp.ClientError/TimeoutError when it cannot be reached, BadInput
    for an answer PostFlow cannot use (no server in it)."""
    settings = rt.settings
    if settings.discord_client_secret is None or not settings.discord_application_id:
        raise BadInput("The Discord install needs POSTFLOW_DISCORD_APPLICATION_ID and "
                       "POSTFLOW_DISCORD_CLIENT_SECRET.")
    api = settings.discord_api_url.rstrip("/")
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": redirect_uri(settings),
                "client_id": settings.discord_application_id,
                "client_secret": settings.discord_client_secret.get_secret_value()}
        async with http.post(f"{api}/oauth2/token", data=form) as response:
            answer = await _json(response)
            if response.status != 200:
                error = answer.get("error")
                raise ExchangeRefused(error[:40] if isinstance(error, str) and error
                                      else f"http_{response.status}")
        try:
            token = _TokenAnswer.model_validate(answer)
        except ValidationError:
            raise ExchangeRefused("unreadable_answer") from None
        if token.guild is None:
            raise BadInput("Discord's answer named no server: add the bot with the install "
                           "link, which asks for the bot and picks a server.")
        async with http.get(f"{api}/users/@me",
                            headers={"Authorization": f"Bearer {token.access_token}"}
                            ) as response:
            if response.status != 200:
                raise ExchangeRefused(f"http_{response.status}")
            try:
                user = _User.model_validate(await _json(response))
            except ValidationError:
                raise ExchangeRefused("unreadable_user") from None
    guild = token.guild
    joined = await server_joined(rt, Server(guild.id, guild.name, guild.owner_id),
                                 app_id=settings.discord_application_id)
    installation = joined.installation
    if user.id != guild.owner_id and user.id.isascii() and user.id.isdigit():
        await _admit_installer(rt, installation.org_id, guild.id, user)
    org = await rt.store.get_organization(installation.org_id)
    return Installed(installation, guild.name or guild.id, org.name)


async def _admit_installer(rt: Runtime, org_id: str, guild_id: str, user: _User) -> None:
    """The installer who does not own the server joins as Admin (adding a bot takes Manage
    Server); one who is a member already keeps their role."""
    who = ChatIdentity(platform=PLATFORM, workspace_id=guild_id, user_id=user.id)
    if await rt.store.find_member(org_id, PLATFORM, guild_id, user.id) is not None:
        return
    try:
        await add_member(rt, org_id, who, Role.ADMIN, actor=chat_actor(who),
                         display_name=user.global_name or user.username)
    except PostFlowError as err:  # their first interaction added them meanwhile, a limit
        log.info("Discord installer %s not admitted to organization %s: %s", user.id, org_id,
                 err.code)


async def _json(response: aiohttp.ClientResponse) -> dict[str, object]:
    try:
        parsed = await response.json(content_type=None)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
