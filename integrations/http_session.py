"""One pooled :class:`aiohttp.ClientSession` per event loop, shared by the network providers.

A session per API call meant a new TCP (and TLS) connection per call. A session belongs to the
loop it was made on, and PostFlow runs several (the hub's, the worker's actor loop thread,
pytest's per-test loops), so there is one per loop, made on first use on that loop.

Closing: the process closes its loop's session with :func:`close_http_sessions` on shutdown.
A loop run by :func:`asyncio.run` or :class:`asyncio.Runner` (pytest-asyncio's too) closes it
anyway: asyncio has no "loop closing" callback, but both call ``loop.shutdown_asyncgens()``
before closing the loop, and each session has a suspended async generator whose ``finally``
closes it. A loop stopped and closed without that (Dramatiq's actor loop thread) needs the
explicit call; its session is otherwise forgotten unclosed, and aiohttp warns about it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator
from dataclasses import dataclass

import aiohttp

#: Connections open at once in all, and to one host. A process makes at most a few dozen calls
#: at once (one per worker thread, under per-network caps of 16 by default), so 64 per host
#: leaves headroom: a call that waits for a free connection spends its own timeout waiting,
#: and a publish that times out has to be reconciled.
CONNECTION_LIMIT = 100
CONNECTION_LIMIT_PER_HOST = 64
#: Idle connections are kept aiohttp's default 15 s, well under the minute or more that API
#: servers commonly keep one open: a pooled connection is seldom reused just as the server
#: drops it (aiohttp resends a GET then, never a POST, which becomes an unknown outcome).
#: A backstop only: every caller passes its own per-request ``timeout=``.
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=60)


@dataclass(frozen=True)
class _Pooled:
    session: aiohttp.ClientSession
    #: Suspended at its ``yield``; closing it (or the loop's shutdown) closes the session.
    closer: AsyncGenerator[None, None]


# Not a WeakKeyDictionary: a session refers to its loop, so a weak key would never be let go.
# Entries of closed loops are dropped instead whenever a session is made. Loops run in several
# threads, hence the lock; reentrant because dropping an entry can finalize its closer at once.
_pooled: dict[asyncio.AbstractEventLoop, _Pooled] = {}
_lock = threading.RLock()


async def http_session() -> aiohttp.ClientSession:
    """The running loop's shared session; a new one on first use or once it was closed."""
    loop = asyncio.get_running_loop()
    pooled = _pooled.get(loop)  # one dict read, atomic: no lock on the common path
    if pooled is not None and not pooled.session.closed:
        return pooled.session
    with _lock:
        stale = _pooled.get(loop)
        if stale is not None and not stale.session.closed:
            return stale.session
        for other in [other for other in _pooled if other.is_closed()]:
            del _pooled[other]
        session = _new_session()
        closer = _close_at_loop_shutdown(loop, session)
        _pooled[loop] = _Pooled(session, closer)
    await anext(closer)  # runs to its yield at once: registers it with the loop
    if stale is not None:
        await stale.closer.aclose()
    return session


async def close_http_sessions() -> None:
    """Close the running loop's shared session, if it has one; call it on shutdown."""
    loop = asyncio.get_running_loop()
    with _lock:
        pooled = _pooled.pop(loop, None)
    if pooled is not None:
        await pooled.closer.aclose()


def _new_session() -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=CONNECTION_LIMIT,
                                     limit_per_host=CONNECTION_LIMIT_PER_HOST)
    # No cookies: a call must not carry what another account's call was answered with.
    return aiohttp.ClientSession(connector=connector, timeout=DEFAULT_TIMEOUT,
                                 cookie_jar=aiohttp.DummyCookieJar())


async def _close_at_loop_shutdown(loop: asyncio.AbstractEventLoop,
                                  session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        with _lock:
            pooled = _pooled.get(loop)
            if pooled is not None and pooled.session is session:
                del _pooled[loop]
        await session.close()
