"""Reading a request body with a size cap and a deadline, so a slow or endless sender holds a
connection for a bounded time and memory."""

from __future__ import annotations

import asyncio

from aiohttp import web

from hub.errors import HubError

READ_CHUNK = 64 * 1024


async def read_body(request: web.Request, limit: int | None, timeout_seconds: float) -> bytes:
    """The raw body: 413 as soon as it is known to be over ``limit`` bytes (``None``: the app's
    own ``client_max_size``), 408 when it has not all arrived within ``timeout_seconds``."""
    try:
        async with asyncio.timeout(timeout_seconds):
            if limit is None:
                return await request.read()
            return await _read_capped(request, limit)
    except TimeoutError:
        raise HubError(408, "request_timeout",
                       f"The request body did not arrive within {timeout_seconds:g} s.",
                       details={"timeout_seconds": timeout_seconds},
                       headers={"Connection": "close"}) from None


async def _read_capped(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    body = bytearray()
    while chunk := await request.content.read(READ_CHUNK):
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


def _too_large(limit: int) -> HubError:
    return HubError(413, "body_too_large",
                    f"The request body is larger than the {limit} bytes allowed.",
                    details={"limit_bytes": limit})
