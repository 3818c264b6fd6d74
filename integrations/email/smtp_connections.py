"""SMTP connections kept open between mails, so a worker sending many (a morning's digests)
does not connect, greet (and STARTTLS, and log in) and quit for each one.

Each connection is used by one send at a time: a send takes an idle one (or opens one) and gives
it back when the server accepted the mail. A send that fails in any way closes its connection
instead, so a connection in an unknown state (a refused recipient mid-transaction, a timeout) is
never used again. An idle connection is used again only while it is connected, has been idle
under :data:`IDLE_SECONDS` (servers drop idle clients after a few minutes) and has carried fewer
than :data:`MAILS_PER_CONNECTION` mails (some servers cap that); otherwise it is closed. A
connection the server dropped just as it was taken fails its send as a passing error, which the
``email`` queue tries again (as any other lost connection): no mail is sent twice because of it.

Connections belong to the event loop that opened them; a transport used from another loop
starts afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aiosmtplib

#: Idle connections kept per event loop; more are closed when given back.
KEEP_IDLE = 8
IDLE_SECONDS = 20.0
MAILS_PER_CONNECTION = 100


@dataclass
class _Connection:
    client: aiosmtplib.SMTP
    mails: int = 0
    idle_since: float = 0.0


class SmtpConnections:
    """Idle connections to one server, for the sends of one event loop."""

    def __init__(self, new_client: Callable[[], aiosmtplib.SMTP], *,
                 keep_idle: int = KEEP_IDLE, idle_seconds: float = IDLE_SECONDS,
                 mails_per_connection: int = MAILS_PER_CONNECTION) -> None:
        self._new_client = new_client
        self._keep_idle = keep_idle
        self._idle_seconds = idle_seconds
        self._mails_per_connection = mails_per_connection
        self._idle: list[_Connection] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Connections opened so far (for tests and logs).
        self.opened = 0

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[aiosmtplib.SMTP]:
        """A connected client for one mail; given back if the block ends without an error."""
        held = self._take_idle() or await self._open()
        try:
            yield held.client
        except BaseException:
            held.client.close()
            raise
        held.mails += 1
        held.idle_since = time.monotonic()
        if held.mails >= self._mails_per_connection or len(self._idle) >= self._keep_idle:
            await _quit(held.client)
        else:
            self._idle.append(held)

    def _take_idle(self) -> _Connection | None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # Another loop's connections cannot be used (nor closed) from this one.
            self._idle, self._loop = [], loop
        fresh_after = time.monotonic() - self._idle_seconds
        while self._idle:
            held = self._idle.pop()
            if held.client.is_connected and held.idle_since >= fresh_after:
                return held
            held.client.close()
        return None

    async def _open(self) -> _Connection:
        client = self._new_client()
        await client.connect()
        self.opened += 1
        return _Connection(client)


async def _quit(client: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
        await client.quit()
    client.close()
