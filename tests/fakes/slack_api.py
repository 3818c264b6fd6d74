"""A fake Slack Web API on loopback, for ``POSTFLOW_SLACK_API_URL``.

Serves ``/api/<method>`` for auth.test, oauth.v2.access, chat.postMessage, chat.update,
chat.postEphemeral, views.open, views.update, conversations.open and users.info, the way
Slack answers them (HTTP 200, ``{"ok": false, "error"}`` on refusal), and ``/response/<id>``
as the ``response_url`` of commands and buttons, and ``/files-pri/<team>-<file id>/<name>`` as the
``url_private`` of files added with ``add_file`` (the bot token required, as with ``files:read``;
without it Slack's login page, HTML, answers). Every call is recorded with its method, its
parameters (query, form and JSON merged) and its bearer token. Chat sends can be made to answer
429 with ``Retry-After`` (``rate_limit_next``) or a permanent error per channel
(``refuse_channels``).

Socket Mode: ``apps.connections.open`` (the app-level token required, as Slack does) answers the
``ws://`` URL of ``/link/?ticket=...`` on the same server, a websocket that sends ``hello``,
then each of ``socket_envelopes``, and records what the client sends back (its acks) and the
close code it ends with.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

HOST = "127.0.0.1"


@dataclass
class SlackCall:
    method: str
    params: dict[str, Any]
    token: str


@dataclass
class FakeUser:
    id: str
    name: str = "ada"
    tz: str = "Europe/Paris"
    is_admin: bool = False
    is_owner: bool = False
    #: The profile's address: given only when the app has ``users:read.email`` ("" : none).
    email: str = ""


@dataclass
class FakeSlack:
    """State the test arranges (tokens, users, OAuth codes) and the calls the server saw."""

    team_id: str = "T0001"
    team_name: str = "Acme"
    bot_token: str = "xoxb-fake-bot-token"
    bot_user_id: str = "UBOT"
    #: The Socket Mode app-level token; the only one apps.connections.open takes.
    app_token: str = "xapp-1-A0001-fake-app-token"
    client_id: str = "1234.5678"
    client_secret: str = "fake-client-secret"
    users: dict[str, FakeUser] = field(default_factory=dict)
    #: OAuth code -> (team id, team name, installer user id); each code works once.
    codes: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    #: Tokens issued by oauth.v2.access, besides ``bot_token``.
    issued_tokens: set[str] = field(default_factory=set)
    calls: list[SlackCall] = field(default_factory=list)
    #: JSON bodies posted to response URLs, by response id.
    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    base_url: str = ""
    #: Messages posted so far, for unique ``ts`` values (the first is ...000100).
    posted: int = 0
    #: What each channel shows: ts -> the parameters of the message posted there, as last
    #: updated, in the order they were posted.
    shown: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The next this-many chat.postMessage/chat.update calls answer HTTP 429 ``ratelimited``
    #: with ``Retry-After: retry_after`` (seconds), as Slack does past its per-channel budget.
    rate_limit_next: int = 0
    retry_after: int = 1
    #: Channel id -> the error Slack answers for messages there (``channel_not_found``, ...).
    refuse_channels: dict[str, str] = field(default_factory=dict)
    #: Set by :meth:`hold`: every Web API call and response_url post then waits until
    #: :meth:`release` (a Slack slower than anything the hub may wait for).
    holding: asyncio.Event | None = None
    #: What arrived while held, in order: the API method, or ``response:<id>``.
    held: list[str] = field(default_factory=list)
    #: Uploaded files by id: (name, mimetype, bytes); see ``add_file``.
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)
    #: File id -> a Location its download redirects to instead of the bytes.
    file_redirects: dict[str, str] = field(default_factory=dict)
    #: Tokens every file download carried ("" for none), in order.
    file_downloads: list[str] = field(default_factory=list)
    #: Socket Mode: envelopes each new connection is sent after ``hello``, what clients sent
    #: back (JSON, in order), the close code of every ended connection, and unused tickets.
    socket_envelopes: list[dict[str, Any]] = field(default_factory=list)
    socket_received: list[dict[str, Any]] = field(default_factory=list)
    socket_close_codes: list[int | None] = field(default_factory=list)
    socket_tickets: set[str] = field(default_factory=set)

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, response_id: str) -> str:
        return f"{self.base_url}/response/{response_id}"

    def hold(self) -> None:
        """Keep every later call waiting, unanswered, until :meth:`release`."""
        self.holding = asyncio.Event()

    def release(self) -> None:
        """Answer the held calls, and every later one at once."""
        if self.holding is not None:
            self.holding.set()
        self.holding = None

    async def _wait_if_held(self, what: str) -> None:
        if self.holding is not None:
            self.held.append(what)
            await self.holding.wait()

    def calls_to(self, method: str) -> list[SlackCall]:
        return [c for c in self.calls if c.method == method]

    def add_file(self, file_id: str, name: str, mimetype: str, data: bytes) -> dict[str, Any]:
        """Host a file; what a ``file_input``'s state in ``view_submission`` says about it."""
        self.files[file_id] = (name, mimetype, data)
        url = f"{self.base_url}/files-pri/{self.team_id}-{file_id}/{name}"
        return {"id": file_id, "name": name, "title": name, "mimetype": mimetype,
                "filetype": name.rsplit(".", 1)[-1], "size": len(data), "url_private": url,
                "url_private_download": f"{url}?download=1"}

    # -- the server ------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{response_id}", self._response)
        app.router.add_get("/files-pri/{team_file}/{name}", self._file)
        app.router.add_get("/link/", self._socket)
        return app

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.method == "POST":
            params.update(dict(await request.post()))
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else ""
        await self._wait_if_held(method)
        self.calls.append(SlackCall(method, params, token))
        handler = {"auth.test": self._auth_test, "oauth.v2.access": self._oauth_access,
                   "chat.postMessage": self._post_message,
                   "chat.update": self._update_message,
                   "chat.postEphemeral": self._post_ephemeral,
                   "views.open": self._views_open, "users.info": self._users_info,
                   "views.update": self._views_update,
                   "conversations.open": self._conversations_open}.get(method)
        if method == "apps.connections.open":
            return self._connections_open(token)
        if handler is None:
            return _answer(ok=False, error="unknown_method")
        if method != "oauth.v2.access" and token not in {self.bot_token, *self.issued_tokens}:
            return _answer(ok=False, error="invalid_auth")
        if method in ("chat.postMessage", "chat.update"):
            if self.rate_limit_next > 0:
                self.rate_limit_next -= 1
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": str(self.retry_after)})
            refusal = self.refuse_channels.get(str(params.get("channel", "")))
            if refusal:
                return _answer(ok=False, error=refusal)
        return handler(params, request)

    def _connections_open(self, token: str) -> web.Response:
        if token != self.app_token:
            return _answer(ok=False, error="not_allowed_token_type" if token else "not_authed")
        ticket = secrets.token_hex(8)
        self.socket_tickets.add(ticket)
        ws_url = self.base_url.replace("http://", "ws://", 1)
        return _answer(ok=True, url=f"{ws_url}/link/?ticket={ticket}&app_id=A0001")

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self.socket_tickets:
            return web.Response(status=401, text="invalid ticket")
        self.socket_tickets.discard(ticket)  # each URL connects once
        ws = web.WebSocketResponse()  # answers the client's pings
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "connection_info": {"app_id": "A0001"},
                            "debug_info": {"host": "fake-slack",
                                           "approximate_connection_time": 18060}})
        for envelope in self.socket_envelopes:
            await ws.send_json(envelope)
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                self.socket_received.append(json.loads(message.data))
        self.socket_close_codes.append(ws.close_code)
        return ws

    def _auth_test(self, params: dict[str, Any], request: web.Request) -> web.Response:
        return _answer(ok=True, url="https://acme.slack.com/", team=self.team_name,
                       user="postflow", team_id=self.team_id, user_id=self.bot_user_id,
                       bot_id="BBOT")

    def _oauth_access(self, params: dict[str, Any], request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        basic = base64.b64decode(auth.removeprefix("Basic ")).decode() if auth else ""
        if basic != f"{self.client_id}:{self.client_secret}":
            return _answer(ok=False, error="invalid_client_id")
        found = self.codes.pop(str(params.get("code", "")), None)
        if found is None:
            return _answer(ok=False, error="invalid_code")
        team_id, team_name, user_id = found
        token = f"xoxb-issued-{team_id}"
        self.issued_tokens.add(token)
        return _answer(ok=True, access_token=token, token_type="bot",
                       scope="commands,chat:write,users:read,im:write",
                       bot_user_id=self.bot_user_id,
                       app_id="A0001", team={"id": team_id, "name": team_name},
                       enterprise=None, is_enterprise_install=False,
                       authed_user={"id": user_id})

    def _post_message(self, params: dict[str, Any], request: web.Request) -> web.Response:
        ts = f"1700000000.{100 + self.posted:06d}"
        self.posted += 1
        self.shown[ts] = dict(params)
        return _answer(ok=True, channel=params.get("channel"), ts=ts)

    def _update_message(self, params: dict[str, Any], request: web.Request) -> web.Response:
        if not params.get("ts") or not params.get("channel"):
            return _answer(ok=False, error="message_not_found")
        ts = str(params["ts"])
        if ts in self.shown:
            self.shown[ts] = {**self.shown[ts], **params}
        return _answer(ok=True, channel=params.get("channel"), ts=params.get("ts"))

    def _post_ephemeral(self, params: dict[str, Any], request: web.Request) -> web.Response:
        return _answer(ok=True, message_ts="1700000000.000200")

    def _views_open(self, params: dict[str, Any], request: web.Request) -> web.Response:
        view = params.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        return _answer(ok=True, view={"id": "V0001", "hash": "h1", **(view or {})})

    def _views_update(self, params: dict[str, Any], request: web.Request) -> web.Response:
        view = params.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        if not params.get("view_id") and not params.get("external_id"):
            return _answer(ok=False, error="not_found")
        return _answer(ok=True, view={"id": params.get("view_id"), "hash": "h2", **(view or {})})

    def _conversations_open(self, params: dict[str, Any], request: web.Request) -> web.Response:
        users = str(params.get("users", ""))
        if users not in self.users:
            return _answer(ok=False, error="user_not_found")
        return _answer(ok=True, channel={"id": f"D{users}"})

    def _users_info(self, params: dict[str, Any], request: web.Request) -> web.Response:
        user = self.users.get(str(params.get("user", "")))
        if user is None:
            return _answer(ok=False, error="user_not_found")
        return _answer(ok=True, user={
            "id": user.id, "name": user.name, "real_name": user.name.title(), "tz": user.tz,
            "is_admin": user.is_admin, "is_owner": user.is_owner,
            "profile": {"display_name": user.name,
                        **({"email": user.email} if user.email else {})}})

    async def _file(self, request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else ""
        self.file_downloads.append(token)
        file_id = request.match_info["team_file"].removeprefix(f"{self.team_id}-")
        if file_id in self.file_redirects:
            raise web.HTTPFound(self.file_redirects[file_id])
        found = self.files.get(file_id)
        if token not in {self.bot_token, *self.issued_tokens} or found is None:
            return web.Response(text="<html>Sign in to Slack</html>", content_type="text/html")
        _name, mimetype, data = found
        return web.Response(body=data, content_type=mimetype)

    async def _response(self, request: web.Request) -> web.Response:
        await self._wait_if_held(f"response:{request.match_info['response_id']}")
        self.responses.setdefault(request.match_info["response_id"], []).append(
            await request.json())
        return web.Response(text="ok")


def _answer(**body: Any) -> web.Response:
    return web.json_response(body)
