"""The hub's cookies, made one way: HttpOnly, SameSite=Lax, ``Path=/``; on an https public URL
also Secure and named with the ``__Host-`` prefix (the browser then refuses one set by another
host or over http). A plain http URL (local use) gets the bare name.
"""

from __future__ import annotations

from aiohttp import web

from postflow.config import Settings
from postflow.usecases.oauth_states import is_browser_key

HOST_PREFIX = "__Host-"


def is_https(settings: Settings) -> bool:
    return settings.base_url.startswith("https://")


def cookie_name(settings: Settings, name: str) -> str:
    """``name`` as the browser stores it: ``__Host-name`` on https."""
    return HOST_PREFIX + name if is_https(settings) else name


def set_cookie(response: web.StreamResponse, settings: Settings, name: str, value: str, *,
               max_age: int) -> None:
    response.set_cookie(cookie_name(settings, name), value, max_age=max_age, path="/",
                        httponly=True, samesite="Lax", secure=is_https(settings))


def read_cookie(request: web.Request, settings: Settings, name: str) -> str:
    """The cookie's value, ``""`` when the browser sent none."""
    return request.cookies.get(cookie_name(settings, name), "")


def delete_cookie(response: web.StreamResponse, settings: Settings, name: str) -> None:
    response.del_cookie(cookie_name(settings, name), path="/", httponly=True, samesite="Lax",
                        secure=is_https(settings))


#: The connect flow's browser key (link page -> consent -> callback -> choice of accounts):
#: states along the way are bound to its digest, so they work in this browser only.
BROWSER_COOKIE = "postflow_browser"
#: Covers a whole flow: the link, the consent and the choice live 10 minutes each.
BROWSER_COOKIE_MAX_AGE = 3600


def browser_key(request: web.Request, settings: Settings) -> str:
    """The browser's key from its cookie, ``""`` when it has none (or not one PostFlow made)."""
    value = read_cookie(request, settings, BROWSER_COOKIE)
    return value if is_browser_key(value) else ""
