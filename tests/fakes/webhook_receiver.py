"""A system receiving PostFlow's outbound webhooks, as a real loopback server: it checks each
delivery's ``PostFlow-Signature`` the way docs/webhooks.md tells receivers to, and answers as
the test scripts it (a status, a slow answer, or down: its port closed)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from postflow.errors import Unauthorized
from postflow.signatures import verify_signature

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    #: The signature checked out with the receiver's secret at the receiver's time.
    verified: bool

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class WebhookReceiver:
    #: The receiver's clock (the test's): signatures are checked at this time.
    now: Callable[[], datetime]
    #: The endpoint's signing secret, once PostFlow printed it.
    secret: str = ""
    #: Statuses to answer, first to last; 200 once they are used up.
    statuses: list[int] = field(default_factory=list)
    #: Seconds to wait before answering.
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/hooks/postflow?token=receiver-secret"

    async def start(self) -> None:
        """Listen (again, on the same port once one was taken)."""
        app = web.Application()
        app.router.add_post("/hooks/postflow", self._receive)
        app.router.add_post("/moved", self._moved)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, HOST, self.port, reuse_address=True)
        await site.start()
        self.port = runner.addresses[0][1]
        self._runner = runner

    async def stop(self) -> None:
        """Go down: the port refuses connections until :meth:`start`."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def delivered(self) -> list[Received]:
        return [r for r in self.received if r.verified]

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            verify_signature(request.headers.get("PostFlow-Signature"), body, [self.secret],
                             now=self.now(), tolerance_seconds=300)
            verified = True
        except Unauthorized:
            verified = False
        self.received.append(Received(dict(request.headers), body, verified))
        if self.delay:
            await asyncio.sleep(self.delay)
        if not verified:
            return web.Response(status=400, text="bad signature")
        status = self.statuses.pop(0) if self.statuses else 200
        return web.Response(status=status, text=f"answered {status} " + "x" * 3000)

    async def _moved(self, request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(request.query["to"])
