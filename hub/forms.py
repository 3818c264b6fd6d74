"""Reading a form body (``application/x-www-form-urlencoded`` or multipart) once, for the
routes a browser posts to: a body that is not a form is a 400, never a trace."""

from __future__ import annotations

from aiohttp import web
from multidict import MultiDictProxy

from hub.errors import HubError


async def read_form(request: web.Request
                    ) -> MultiDictProxy[str | bytes | bytearray | web.FileField]:
    try:
        return await request.post()
    except (ValueError, AssertionError, UnicodeDecodeError, LookupError) as err:
        raise HubError(400, "malformed_form", "The form sent is not a valid form body.") from err
