"""The gateway half of the fake Discord (tests/fakes/discord_api.py): a websocket at /gateway.

Each connection gets HELLO; heartbeats (op 1) are ACKed (op 11); IDENTIFY (op 2) with the bot
token gets READY (every guild listed unavailable) and then one GUILD_CREATE per guild, a bad
token closes with 4004; RESUME (op 6) of a known session replays the events dispatched after
the sequence number it names (those sent while the socket was down too) and ends with RESUMED,
as Discord does; of an unknown one INVALID_SESSION (false). Frames are plain JSON text
(discord.py inflates binary frames only).
The test sends RECONNECT (``reconnect``), drops the socket (``drop``), and dispatches events
(``dispatch``, ``interact``) on the live connection.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from tests.fakes.discord_api import FakeDiscord, FakeGuild

HELLO, HEARTBEAT, IDENTIFY, RESUME, RECONNECT, INVALID_SESSION, HEARTBEAT_ACK = (
    10, 1, 2, 6, 7, 9, 11)
DISPATCH = 0


@dataclass
class GatewaySession:
    id: str
    #: The last sequence number sent (the client echoes it in heartbeats and RESUME).
    seq: int = 0
    #: Every dispatch of the session, in order: RESUME replays the ones the client missed.
    dispatches: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FakeGateway:
    """The gateway's state: sessions, the live socket, and every payload clients sent."""

    heartbeat_interval_ms: int = 41_250
    sessions: dict[str, GatewaySession] = field(default_factory=dict)
    #: Every payload received from clients, in order (op 1, 2, 6 ...).
    received: list[dict[str, Any]] = field(default_factory=list)
    #: Every payload sent to clients, in order.
    sent: list[dict[str, Any]] = field(default_factory=list)
    connections: int = 0
    _socket: web.WebSocketResponse | None = None
    _session: GatewaySession | None = None
    #: The session of a socket dropped by ``drop``: events dispatched meanwhile wait in it.
    _dropped: GatewaySession | None = None

    def ops(self, op: int) -> list[dict[str, Any]]:
        """What clients sent with this opcode, in order."""
        return [p for p in self.received if p.get("op") == op]

    def dispatched(self, event: str) -> list[dict[str, Any]]:
        return [p for p in self.sent if p.get("op") == DISPATCH and p.get("t") == event]

    @property
    def ready(self) -> bool:
        """Whether a client is connected with an identified or resumed session."""
        return self._socket is not None and not self._socket.closed and self._session is not None

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event (op 0) on the live, identified connection; while a dropped socket's
        client has not resumed yet, keep it for the RESUME to replay."""
        if self._socket is None or self._session is None:
            if self._dropped is None:
                raise AssertionError("no identified gateway connection to dispatch on")
            self._record(self._dropped, event, data)
            return
        await self._dispatch(self._socket, self._session, event, data)

    async def interact(self, payload: dict[str, Any]) -> None:
        """Dispatch an INTERACTION_CREATE (a payload from FakeDiscord.slash_command ...)."""
        await self.dispatch("INTERACTION_CREATE", payload)

    async def reconnect(self) -> None:
        """Ask the client to reconnect (op 7); it comes back with RESUME."""
        await self._send(self._live(), {"op": RECONNECT, "d": None})

    async def invalidate(self, resumable: bool = False) -> None:
        """INVALID_SESSION: false makes the client IDENTIFY afresh, true RESUME."""
        await self._send(self._live(), {"op": INVALID_SESSION, "d": resumable})

    async def drop(self, code: int = 4000) -> None:
        """Close the live socket from the server side (4000: an unknown error, resumable)."""
        socket = self._live()
        self._dropped = self._session
        self._socket, self._session = None, None
        await socket.close(code=code)

    def _live(self) -> web.WebSocketResponse:
        if self._socket is None or self._socket.closed:
            raise AssertionError("no live gateway connection")
        return self._socket

    async def serve(self, request: web.Request, fake: FakeDiscord) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connections += 1
        self._socket, self._session = ws, None
        await self._send(ws, {"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms,
                                                 "_trace": ["fake-discord"]}})
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            payload = json.loads(message.data)
            self.received.append(payload)
            await self._answer(ws, payload, fake)
        if self._socket is ws:
            self._socket, self._session = None, None
        return ws

    async def _answer(self, ws: web.WebSocketResponse, payload: dict[str, Any],
                      fake: FakeDiscord) -> None:
        op, data = payload.get("op"), payload.get("d") or {}
        if op == HEARTBEAT:
            await self._send(ws, {"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            if data.get("token") != fake.bot_token:
                await ws.close(code=4004, message=b"Authentication failed.")
                return
            session = GatewaySession(secrets.token_hex(8))
            self.sessions[session.id] = session
            await self._dispatch(ws, session, "READY", {
                "v": 10, "user": {**fake.bot_user(), "verified": True, "flags": 0},
                "guilds": [{"id": g, "unavailable": True} for g in fake.guilds],
                "session_id": session.id, "resume_gateway_url": fake.gateway_url,
                "application": {"id": fake.application_id, "flags": 0}, "_trace": []})
            for guild in list(fake.guilds.values()):
                await self._dispatch(ws, session, "GUILD_CREATE", guild_create(guild))
            if ws is self._socket:
                self._session = session
        elif op == RESUME:
            resumed = self.sessions.get(str(data.get("session_id", "")))
            if resumed is None or data.get("token") != fake.bot_token:
                await self._send(ws, {"op": INVALID_SESSION, "d": False})
                return
            seen = data.get("seq") or 0
            for missed in [p for p in resumed.dispatches if p["s"] > seen]:
                await self._send(ws, missed)
            await self._dispatch(ws, resumed, "RESUMED", {"_trace": []})
            if ws is self._socket:
                self._session = resumed
                if self._dropped is resumed:
                    self._dropped = None

    async def _dispatch(self, ws: web.WebSocketResponse, session: GatewaySession, event: str,
                        data: dict[str, Any]) -> None:
        await self._send(ws, self._record(session, event, data))

    @staticmethod
    def _record(session: GatewaySession, event: str, data: dict[str, Any]) -> dict[str, Any]:
        session.seq += 1
        payload = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        session.dispatches.append(payload)
        return payload

    async def _send(self, ws: web.WebSocketResponse, payload: dict[str, Any]) -> None:
        self.sent.append(payload)
        try:
            await ws.send_str(json.dumps(payload))
        except ConnectionResetError:  # the client went away meanwhile; it will reconnect
            await asyncio.sleep(0)


def guild_create(guild: FakeGuild, *, joined: bool = False) -> dict[str, Any]:
    """The GUILD_CREATE payload of a FakeGuild (text channels, no roles or members): after
    READY it says ``unavailable: false`` (a listed server became available); for a server the
    bot was just added to (``joined``) it has no ``unavailable`` at all, as Discord sends it."""
    channels: list[dict[str, Any]] = [
        {"id": cid, "type": 0, "name": name, "position": i, "guild_id": guild.id,
         "permission_overwrites": [], "nsfw": False, "parent_id": None}
        for i, (cid, name) in enumerate(guild.channels.items())]
    return {"id": guild.id, "name": guild.name, "owner_id": guild.owner_id, "icon": None,
            "channels": channels, "roles": [], "members": [], "threads": [],
            "member_count": 1, "large": False, "features": [], "emojis": [], "stickers": [],
            "joined_at": "2026-01-01T00:00:00+00:00", **({} if joined else {"unavailable": False})}
