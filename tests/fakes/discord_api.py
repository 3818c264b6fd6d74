"""A fake Discord on loopback, for ``POSTFLOW_DISCORD_API_URL`` and for discord.py itself.

REST under ``/api/v10``, answered the way Discord answers (JSON with exactly
``Content-Type: application/json``, errors as ``{"message", "code"}``):
users/@me (``Authorization: Bot <token>``, 401 otherwise), oauth2/applications/@me, application
commands (bulk overwrite and list, global and per guild; the definitions are kept), interaction
callbacks (one per interaction, within ``ack_within`` seconds of its creation), the interaction
webhooks (follow-ups; reading, editing and deleting ``@original`` or a follow-up, for
``token_life`` seconds), channel messages (post and edit), threads started from a message, and
DM channels. Refusals use Discord's codes: 401 (bad token; 50027 expired interaction token),
403 50001 (``forbidden_channels``, a server the bot left), 403 50007 (``dms_closed``),
404 10003/10008/10015/10062 (unknown channel, message, webhook, interaction or a late ack),
400 40060 (an interaction answered twice).
In HTTP mode the endpoint's response is the callback (tests post it to the callback route); a
webhook edit that arrives before it waits for it, up to 2 s, as Discord applies the answer
first. ``add_attachment`` serves a file as a command's attachment (outside ``/api``, as
Discord's CDN does), counting downloads.
Every answer carries ``X-RateLimit-Limit/Remaining/Reset-After/Bucket``; ``rate_limit`` makes the
next N calls on a route answer 429 ``{"retry_after", "global": false}`` (with the ``Via``
header discord.py needs to retry instead of assuming a ban); with ``is_global`` they are
Discord's global limit (``"global": true`` and ``X-RateLimit-Global: true``).

The gateway (``/gateway``, tests/fakes/discord_gateway.py) speaks HELLO, heartbeats, IDENTIFY ->
READY + GUILD_CREATE, RESUME -> RESUMED; the test sends RECONNECT, drops sockets, adds and
removes the bot from servers (``join_guild``/``remove_guild``: GUILD_CREATE/GUILD_DELETE) and
dispatches INTERACTION_CREATE (built by ``slash_command``/``button_press``/``modal_submit``).
Point discord.py here with ``discord.http.Route.BASE = fake.api_url`` and
``DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)``.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from tests.fakes.discord_gateway import FakeGateway, guild_create

API = "/api/v10"
JSON_TYPE = "application/json"  # exactly: discord.py parses nothing else as JSON
#: Message flags: ephemeral, and "the bot is thinking" (a deferred answer not yet edited).
EPHEMERAL, LOADING = 64, 128
#: What each REST request carried: its parsed body, and the names of the files it uploaded.
BODY: web.RequestKey[Any] = web.RequestKey("body", object)
FILES = web.RequestKey("files", list[str])


@dataclass
class DiscordCall:
    method: str
    #: The route template without the API prefix, e.g. ``/channels/{channel_id}/messages``.
    route: str
    path: str
    params: dict[str, str]
    body: Any
    #: The Authorization header as sent ("" for none: interaction callbacks and webhooks).
    auth: str

    @property
    def key(self) -> str:
        return f"{self.method} {self.route}"


@dataclass
class FakeGuild:
    id: str
    name: str = "Acme"
    owner_id: str = "1000"
    #: Text channels: id -> name.
    channels: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeMessage:
    id: str
    channel_id: str
    #: The message as Discord would return it now (after edits).
    data: dict[str, Any]
    #: Every body that created or edited it, in order.
    bodies: list[dict[str, Any]] = field(default_factory=list)
    #: Attachment file names uploaded with it (multipart posts).
    files: list[str] = field(default_factory=list)


@dataclass
class FakeInteraction:
    id: str
    token: str
    payload: dict[str, Any]
    created: float
    #: The callback body accepted (Discord takes one, within ``ack_within`` s).
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    #: Callback bodies refused: too late (10062) or a second answer (40060).
    refused: list[dict[str, Any]] = field(default_factory=list)
    #: The ``@original`` response message, once a callback or an edit made one.
    original: FakeMessage | None = None
    followups: list[FakeMessage] = field(default_factory=list)
    #: Set once the interaction is answered (its callback taken).
    answered: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class RateLimit:
    times: int
    retry_after: float
    #: Discord's global limit (``X-RateLimit-Global``, ``"global": true``), not the route's.
    is_global: bool = False


@dataclass
class FakeDiscord:
    """State the test arranges (token, guilds, users) and what the server saw."""

    bot_token: str = "fake-discord-bot-token"
    application_id: str = "777000000000000001"
    bot_user_id: str = "777000000000000002"
    bot_name: str = "PostFlow"
    client_secret: str = "fake-discord-client-secret"
    guilds: dict[str, FakeGuild] = field(default_factory=dict)
    #: Servers the bot was removed from (``remove_guild``).
    removed_guilds: dict[str, FakeGuild] = field(default_factory=dict)
    #: Users known for DMs: id -> username.
    users: dict[str, str] = field(default_factory=dict)
    #: Users whose DMs are closed to the bot: sends to their DM channel answer 403 50007.
    dms_closed: set[str] = field(default_factory=set)
    #: Channels the bot may not post in (403 50001 Missing Access).
    forbidden_channels: set[str] = field(default_factory=set)
    calls: list[DiscordCall] = field(default_factory=list)
    #: Command definitions by guild id (None: global), as last overwritten.
    commands: dict[str | None, list[dict[str, Any]]] = field(default_factory=dict)
    interactions: dict[str, FakeInteraction] = field(default_factory=dict)
    messages: dict[str, FakeMessage] = field(default_factory=dict)
    #: Threads started from a message: thread id (= the message id, as Discord does) -> name.
    threads: dict[str, str] = field(default_factory=dict)
    #: DM channel id -> user id.
    dm_channels: dict[str, str] = field(default_factory=dict)
    #: Route key ("POST /channels/{channel_id}/messages") -> the next calls answered 429.
    rate_limits: dict[str, RateLimit] = field(default_factory=dict)
    #: The X-RateLimit-* every bucket announces; calls beyond ``bucket_limit`` within
    #: ``bucket_reset_after`` s show Remaining 0 (the fake does not refuse them for it).
    bucket_limit: int = 50
    bucket_reset_after: float = 1.0
    #: Discord's interaction deadlines: the first answer within 3 s, the token valid 15 min.
    ack_within: float = 3.0
    token_life: float = 900.0
    clock: Callable[[], float] = time.monotonic
    base_url: str = ""
    gateway: FakeGateway = field(default_factory=FakeGateway)
    #: Files served as Discord attachments: attachment id -> (content type, bytes), and the
    #: ids downloaded, in order.
    attachments: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    attachment_downloads: list[str] = field(default_factory=list)
    _ids: itertools.count[int] = field(
        default_factory=lambda: itertools.count(900_000_000_000_000_001))
    _windows: dict[str, tuple[float, int]] = field(default_factory=dict)

    # -- what tests use ------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"{self.base_url}{API}"

    @property
    def gateway_url(self) -> str:
        return self.base_url.replace("http://", "ws://", 1) + "/gateway"

    def new_id(self) -> str:
        return str(next(self._ids))

    def add_guild(self, guild_id: str, name: str = "Acme", *, owner_id: str = "1000",
                  channels: dict[str, str] | None = None) -> FakeGuild:
        """A server the bot is in: sent in READY and as GUILD_CREATE to every IDENTIFY."""
        guild = FakeGuild(guild_id, name, owner_id, dict(channels or {"1100": "general"}))
        self.guilds[guild_id] = guild
        return guild

    async def join_guild(self, guild_id: str, name: str = "Acme", *, owner_id: str = "1000",
                         channels: dict[str, str] | None = None) -> FakeGuild:
        """The bot is added to a server while connected: GUILD_CREATE on the live gateway."""
        guild = self.add_guild(guild_id, name, owner_id=owner_id, channels=channels)
        await self.gateway.dispatch("GUILD_CREATE", guild_create(guild, joined=True))
        return guild

    async def remove_guild(self, guild_id: str) -> None:
        """The bot is removed from a server (kicked, or the server deleted): GUILD_DELETE
        without ``unavailable``; calls about that server answer 403 Missing Access from then on."""
        self.removed_guilds[guild_id] = self.guilds.pop(guild_id)
        await self.gateway.dispatch("GUILD_DELETE", {"id": guild_id})

    def rate_limit(self, route: str, times: int = 1, retry_after: float = 0.1, *,
                   is_global: bool = False) -> None:
        """Answer the next ``times`` calls on ``route`` ("POST /channels/{channel_id}/messages")
        with 429 and ``retry_after`` seconds (as Discord's global limit with ``is_global``)."""
        self.rate_limits[route] = RateLimit(times, retry_after, is_global)

    def calls_to(self, route: str) -> list[DiscordCall]:
        return [c for c in self.calls if c.key == route]

    def messages_in(self, channel_id: str) -> list[FakeMessage]:
        return [m for m in self.messages.values() if m.channel_id == channel_id]

    def bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_user_id, "username": self.bot_name, "discriminator": "0",
                "global_name": None, "avatar": None, "bot": True}

    def slash_command(self, guild_id: str, user_id: str, subcommand: str,
                      options: list[dict[str, Any]] | None = None, *, channel_id: str = "1100",
                      name: str = "postflow", permissions: str = "0") -> dict[str, Any]:
        """The INTERACTION_CREATE payload of ``/postflow <subcommand> [options]``."""
        data = {"id": "1", "name": name, "type": 1,
                "options": [{"name": subcommand, "type": 1, "options": options or []}]}
        return self._interaction(2, data, guild_id, user_id, channel_id, permissions)

    def button_press(self, guild_id: str, user_id: str, custom_id: str, *,
                     channel_id: str = "1100", message: dict[str, Any] | None = None,
                     permissions: str = "0") -> dict[str, Any]:
        """The INTERACTION_CREATE payload of a button press (without ``message``: as a
        persistent view matches it)."""
        payload = self._interaction(3, {"custom_id": custom_id, "component_type": 2},
                                    guild_id, user_id, channel_id, permissions)
        if message is not None:
            payload["message"] = message
        return payload

    def modal_submit(self, guild_id: str, user_id: str, custom_id: str,
                     fields: dict[str, str], *, channel_id: str = "1100",
                     permissions: str = "0") -> dict[str, Any]:
        """The INTERACTION_CREATE payload of a submitted modal (one text input per row)."""
        rows = [{"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
                for key, value in fields.items()]
        return self._interaction(5, {"custom_id": custom_id, "components": rows},
                                 guild_id, user_id, channel_id, permissions)

    def add_attachment(self, filename: str, content_type: str, data: bytes) -> dict[str, Any]:
        """A file uploaded as a command's attachment option: its resolved attachment object
        (``data.resolved.attachments``), served at its ``url``."""
        attachment_id = self.new_id()
        self.attachments[attachment_id] = (content_type, data)
        url = f"{self.base_url}/attachments/{attachment_id}/{filename}"
        return {"id": attachment_id, "filename": filename, "size": len(data),
                "content_type": content_type, "url": url, "proxy_url": url,
                "ephemeral": True}

    def _interaction(self, kind: int, data: dict[str, Any], guild_id: str, user_id: str,
                     channel_id: str, permissions: str) -> dict[str, Any]:
        interaction_id = self.new_id()
        token = f"itoken-{secrets.token_hex(8)}"
        user = {"id": user_id, "username": self.users.get(user_id, f"user{user_id}"),
                "discriminator": "0", "global_name": None, "avatar": None}
        payload: dict[str, Any] = {
            "id": interaction_id, "application_id": self.application_id, "type": kind,
            "token": token, "version": 1, "attachment_size_limit": 10_485_760, "data": data,
            "guild_id": guild_id, "channel_id": channel_id,
            "channel": {"id": channel_id, "type": 0},
            "member": {"user": user, "roles": [], "flags": 0, "permissions": permissions,
                       "joined_at": _iso_now(), "deaf": False, "mute": False},
            "app_permissions": "0", "locale": "en-US", "guild_locale": "en-US",
            "entitlements": [], "authorizing_integration_owners": {"0": guild_id}, "context": 0}
        self.interactions[interaction_id] = FakeInteraction(interaction_id, token, payload,
                                                            self.clock())
        return payload

    # -- the server ----------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record_and_limit])
        add = app.router.add_route
        add("GET", f"{API}/users/@me", self._me)
        add("GET", f"{API}/oauth2/applications/@me", self._application)
        for scope in ("", "/guilds/{guild_id}"):
            add("PUT", f"{API}/applications/{{app_id}}{scope}/commands", self._overwrite_commands)
            add("GET", f"{API}/applications/{{app_id}}{scope}/commands", self._list_commands)
        add("POST", f"{API}/interactions/{{interaction_id}}/{{token}}/callback", self._callback)
        add("POST", f"{API}/webhooks/{{app_id}}/{{token}}", self._followup)
        add("GET", f"{API}/webhooks/{{app_id}}/{{token}}/messages/{{message_id}}",
            self._webhook_message)
        add("PATCH", f"{API}/webhooks/{{app_id}}/{{token}}/messages/{{message_id}}",
            self._webhook_message)
        add("DELETE", f"{API}/webhooks/{{app_id}}/{{token}}/messages/{{message_id}}",
            self._webhook_message)
        add("POST", f"{API}/channels/{{channel_id}}/messages", self._post_message)
        add("PATCH", f"{API}/channels/{{channel_id}}/messages/{{message_id}}",
            self._edit_message)
        add("POST", f"{API}/channels/{{channel_id}}/messages/{{message_id}}/threads",
            self._start_thread)
        add("POST", f"{API}/users/@me/channels", self._open_dm)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._attachment)
        return app

    async def _attachment(self, request: web.Request) -> web.Response:
        found = self.attachments.get(request.match_info["attachment_id"])
        if found is None:
            return web.Response(status=404)
        self.attachment_downloads.append(request.match_info["attachment_id"])
        return web.Response(body=found[1], headers={"Content-Type": found[0]})

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        return await self.gateway.serve(request, self)

    @web.middleware
    async def _record_and_limit(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API):
            return await handler(request)
        resource = request.match_info.route.resource
        route = resource.canonical.removeprefix(API) if resource is not None else request.path
        body = await _body(request)
        self.calls.append(DiscordCall(request.method, route, request.path,
                                      dict(request.match_info), body,
                                      request.headers.get("Authorization", "")))
        request[BODY] = body
        bucket = hashlib.sha1(f"{request.method} {route}".encode()).hexdigest()[:16]  # noqa: S324
        limit = self.rate_limits.get(f"{request.method} {route}")
        if limit is not None and limit.times > 0:
            limit.times -= 1
            refusal = _json({"message": "You are being rate limited.",
                             "retry_after": limit.retry_after, "global": limit.is_global},
                            status=429)
            refusal.headers.update({"Via": "1.1 google",
                                    "X-RateLimit-Scope": "global" if limit.is_global else "user",
                                    "Retry-After": str(max(1, round(limit.retry_after)))})
            if limit.is_global:
                refusal.headers["X-RateLimit-Global"] = "true"
            self._announce(refusal, bucket, dict(request.match_info), remaining=0,
                           reset_after=limit.retry_after)
            return refusal
        response = await handler(request)
        self._announce(response, bucket, dict(request.match_info))
        return response

    def _announce(self, response: web.StreamResponse, bucket: str, params: dict[str, str],
                  *, remaining: int | None = None, reset_after: float | None = None) -> None:
        major = params.get("channel_id") or params.get("guild_id") or params.get("token", "")
        now = self.clock()
        started, used = self._windows.get(f"{bucket}:{major}", (now, 0))
        if now - started >= self.bucket_reset_after:
            started, used = now, 0
        used += 1
        self._windows[f"{bucket}:{major}"] = (started, used)
        left = max(self.bucket_limit - used, 0) if remaining is None else remaining
        after = self.bucket_reset_after - (now - started) if reset_after is None else reset_after
        response.headers.update({"X-RateLimit-Limit": str(self.bucket_limit),
                                 "X-RateLimit-Remaining": str(left),
                                 "X-RateLimit-Reset-After": f"{after:.3f}",
                                 "X-RateLimit-Reset": f"{time.time() + after:.3f}",
                                 "X-RateLimit-Bucket": bucket})

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization", "") == f"Bot {self.bot_token}"

    async def _me(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 0, "401: Unauthorized")
        return _json({**self.bot_user(), "flags": 0, "mfa_enabled": False, "verified": True})

    async def _application(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 0, "401: Unauthorized")
        owner = {"id": "1000", "username": "owner", "discriminator": "0", "avatar": None}
        return _json({"id": self.application_id, "name": self.bot_name, "description": "",
                      "icon": None, "bot_public": True, "bot_require_code_grant": False,
                      "owner": owner, "verify_key": "00" * 32, "flags": 0,
                      "bot": self.bot_user()})

    async def _overwrite_commands(self, request: web.Request) -> web.Response:
        refusal = self._check_app(request)
        if refusal is not None:
            return refusal
        body = request[BODY]
        if not isinstance(body, list):
            return _error(400, 50035, "Invalid Form Body")
        guild_id = request.match_info.get("guild_id")
        saved = [{**definition, "id": self.new_id(), "application_id": self.application_id,
                  "version": self.new_id(), **({"guild_id": guild_id} if guild_id else {})}
                 for definition in body]
        self.commands[guild_id] = saved
        return _json(saved)

    async def _list_commands(self, request: web.Request) -> web.Response:
        refusal = self._check_app(request)
        return refusal or _json(self.commands.get(request.match_info.get("guild_id"), []))

    def _check_app(self, request: web.Request) -> web.Response | None:
        if not self._authorized(request):
            return _error(401, 0, "401: Unauthorized")
        if request.match_info["app_id"] != self.application_id:
            return _error(403, 50001, "Missing Access")
        guild_id = request.match_info.get("guild_id")
        if guild_id is not None and guild_id not in self.guilds:
            return _error(403, 50001, "Missing Access")
        return None

    async def _callback(self, request: web.Request) -> web.Response:
        interaction = self.interactions.get(request.match_info["interaction_id"])
        if interaction is None or interaction.token != request.match_info["token"]:
            return _error(404, 10062, "Unknown interaction")
        body = request[BODY]
        if self.clock() - interaction.created > self.ack_within:
            interaction.refused.append(body)
            return _error(404, 10062, "Unknown interaction")
        if interaction.callbacks:
            interaction.refused.append(body)
            return _error(400, 40060, "Interaction has already been acknowledged.")
        interaction.callbacks.append(body)
        kind = int(body.get("type", 0))
        answer: dict[str, Any] = {"interaction": {"id": interaction.id,
                                                  "type": interaction.payload["type"]}}
        if kind in (4, 5):  # a new response message (5: "thinking" until edited)
            data = body.get("data") or {}
            flags = int(data.get("flags", 0)) | (LOADING if kind == 5 else 0)
            message = self._new_message(_channel_of(interaction), {**data, "flags": flags},
                                        webhook_id=self.application_id)
            interaction.original = message
            answer["interaction"].update(response_message_id=message.id,
                                         response_message_loading=kind == 5,
                                         response_message_ephemeral=bool(flags & EPHEMERAL))
            answer["resource"] = {"type": kind, "message": message.data}
        elif kind in (6, 7) and "message" in interaction.payload:  # the clicked message
            clicked = self.messages.get(str(interaction.payload["message"]["id"]))
            # 7 updates it now; after 6 (deferred) ``@original`` edits it later.
            interaction.original = clicked
            if clicked is not None and kind == 7:
                self._edit(clicked, body.get("data") or {})
                answer["resource"] = {"type": kind, "message": clicked.data}
            else:
                answer["resource"] = {"type": kind}
        else:
            answer["resource"] = {"type": kind}
        interaction.answered.set()
        return _json(answer)

    def _webhook_interaction(self, request: web.Request) -> FakeInteraction | web.Response:
        if request.match_info["app_id"] != self.application_id:
            return _error(404, 10015, "Unknown Webhook")
        token = request.match_info["token"]
        found = next((i for i in self.interactions.values() if i.token == token), None)
        if found is None:
            return _error(404, 10015, "Unknown Webhook")
        if self.clock() - found.created > self.token_life:
            return _error(401, 50027, "Invalid Webhook Token")
        return found

    async def _followup(self, request: web.Request) -> web.Response:
        interaction = self._webhook_interaction(request)
        if isinstance(interaction, web.Response):
            return interaction
        if not interaction.callbacks:
            return _error(404, 10015, "Unknown Webhook")  # Discord: answer the interaction first
        message = self._new_message(_channel_of(interaction), request[BODY],
                                    webhook_id=self.application_id, files=request.get(FILES))
        interaction.followups.append(message)
        return _json(message.data)

    async def _webhook_message(self, request: web.Request) -> web.Response:
        interaction = self._webhook_interaction(request)
        if isinstance(interaction, web.Response):
            return interaction
        message_id = request.match_info["message_id"]
        if not interaction.callbacks:  # an HTTP-mode answer may still be on its way
            try:
                await asyncio.wait_for(interaction.answered.wait(), 2.0)
            except TimeoutError:
                return _error(404, 10015, "Unknown Webhook")
        if message_id == "@original":
            message = interaction.original
        else:
            message = next((m for m in interaction.followups if m.id == message_id), None)
        if message is None:
            return _error(404, 10008, "Unknown Message")
        if request.method == "DELETE":
            del self.messages[message.id]
            if message is interaction.original:
                interaction.original = None
            else:
                interaction.followups.remove(message)
            return web.Response(status=204)
        if request.method == "PATCH":
            message.data["flags"] = int(message.data["flags"]) & ~LOADING  # no longer thinking
            self._edit(message, request[BODY])
        return _json(message.data)

    async def _post_message(self, request: web.Request) -> web.Response:
        refusal = self._check_channel(request)
        if refusal is not None:
            return refusal
        message = self._new_message(request.match_info["channel_id"], request[BODY],
                                    files=request.get(FILES))
        return _json(message.data)

    async def _edit_message(self, request: web.Request) -> web.Response:
        refusal = self._check_channel(request)
        if refusal is not None:
            return refusal
        message = self.messages.get(request.match_info["message_id"])
        if message is None or message.channel_id != request.match_info["channel_id"]:
            return _error(404, 10008, "Unknown Message")
        self._edit(message, request[BODY])
        return _json(message.data)

    async def _start_thread(self, request: web.Request) -> web.Response:
        refusal = self._check_channel(request)
        if refusal is not None:
            return refusal
        channel_id, message_id = request.match_info["channel_id"], request.match_info["message_id"]
        message = self.messages.get(message_id)
        if message is None or message.channel_id != channel_id:
            return _error(404, 10008, "Unknown Message")
        if message_id in self.threads:
            return _error(400, 160004, "A thread has already been created for this message")
        name = str(request[BODY].get("name", ""))
        self.threads[message_id] = name
        guild_id = self._guild_of(channel_id)
        return _json({"id": message_id, "guild_id": guild_id, "parent_id": channel_id,
                      "owner_id": self.bot_user_id, "name": name, "type": 11,
                      "last_message_id": None, "message_count": 0, "member_count": 1,
                      "rate_limit_per_user": 0, "flags": 0,
                      "thread_metadata": {"archived": False, "locked": False,
                                          "auto_archive_duration": int(request[BODY].get(
                                              "auto_archive_duration", 1440)),
                                          "archive_timestamp": _iso_now()}})

    async def _open_dm(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, 0, "401: Unauthorized")
        user_id = str(request[BODY].get("recipient_id", ""))
        if user_id not in self.users:
            return _error(400, 50035, "Invalid Form Body")
        channel_id = next((c for c, u in self.dm_channels.items() if u == user_id), None)
        if channel_id is None:
            channel_id = self.new_id()
            self.dm_channels[channel_id] = user_id
        return _json({"id": channel_id, "type": 1, "last_message_id": None, "flags": 0,
                      "recipients": [{"id": user_id, "username": self.users[user_id],
                                      "discriminator": "0", "global_name": None,
                                      "avatar": None}]})

    def _check_channel(self, request: web.Request) -> web.Response | None:
        if not self._authorized(request):
            return _error(401, 0, "401: Unauthorized")
        channel_id = request.match_info["channel_id"]
        known = (self._guild_of(channel_id) is not None or channel_id in self.threads
                 or channel_id in self.dm_channels)
        removed = any(channel_id in g.channels for g in self.removed_guilds.values())
        if not known and not removed:
            return _error(404, 10003, "Unknown Channel")
        if channel_id in self.forbidden_channels or removed:
            return _error(403, 50001, "Missing Access")
        if self.dm_channels.get(channel_id) in self.dms_closed and request.method == "POST":
            return _error(403, 50007, "Cannot send messages to this user")
        return None

    def _guild_of(self, channel_id: str) -> str | None:
        if channel_id in self.threads:
            parent = self.messages[channel_id].channel_id
            return self._guild_of(parent)
        return next((g.id for g in self.guilds.values() if channel_id in g.channels), None)

    def _new_message(self, channel_id: str, body: dict[str, Any], *,
                     webhook_id: str | None = None, files: list[str] | None = None) -> FakeMessage:
        message_id = self.new_id()
        data: dict[str, Any] = {
            "id": message_id, "channel_id": channel_id, "type": 0, "author": self.bot_user(),
            "content": body.get("content") or "", "embeds": body.get("embeds") or [],
            "components": body.get("components") or [], "attachments": [],
            "timestamp": _iso_now(), "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "pinned": False,
            "flags": int(body.get("flags") or 0)}
        guild_id = self._guild_of(channel_id)
        if guild_id is not None:
            data["guild_id"] = guild_id
        if webhook_id is not None:
            data["webhook_id"] = webhook_id
            data["application_id"] = self.application_id
        message = FakeMessage(message_id, channel_id, data, [body], list(files or []))
        self.messages[message_id] = message
        return message

    def _edit(self, message: FakeMessage, body: dict[str, Any]) -> None:
        message.bodies.append(body)
        for key in ("content", "embeds", "components", "flags"):
            if key in body and body[key] is not None:
                message.data[key] = body[key]
        message.data["edited_timestamp"] = _iso_now()


def _channel_of(interaction: FakeInteraction) -> str:
    return str(interaction.payload.get("channel_id", ""))


async def _body(request: web.Request) -> Any:
    """The JSON body, or a multipart body's ``payload_json`` (file names kept aside)."""
    if request.content_type == "multipart/form-data":
        form = await request.post()
        request[FILES] = [getattr(v, "filename", "") for k, v in form.items()
                            if k.startswith("files[")]
        return json.loads(str(form.get("payload_json", "{}")))
    raw = await request.read()
    return json.loads(raw) if raw else {}


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(body).encode(), status=status,
                        headers={"Content-Type": JSON_TYPE})


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"message": message, "code": code}, status=status)


def _iso_now() -> str:
    return datetime.now(UTC).isoformat()
