"""The headers every hub answer carries, set in one place (``on_response_prepare``) so a new
page, a JSON error or a redirect cannot go out without them.

Pages load nothing but their own stylesheet: no inline script or style, no frames, no
Referer (links carry tokens), no content sniffing. Pictures may come from any https origin
(account avatars on the networks' CDNs).
"""

from __future__ import annotations

from aiohttp import web

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "img-src 'self' https:",
    "script-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    # No form-action: browsers apply it to the redirect after a form, and the connect page's
    # Continue form is answered with a redirect to the network's consent screen.
))
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def install(app: web.Application) -> None:
    """Have every answer of ``app`` carry :data:`SECURITY_HEADERS`."""
    app.on_response_prepare.append(add_security_headers)
