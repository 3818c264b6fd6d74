"""The hub's access log: one line a request, naming its path but never its query string.

Query strings carry tokens (billing links, connect links, OAuth states and codes, signed media
URLs), and so may the Referer, so neither is logged: a log reader learns which page was asked
for, not how to open it.
"""

from __future__ import annotations

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse


class PathOnlyAccessLogger(AbstractAccessLogger):
    """``<remote> "<METHOD> <path>" <status> <bytes> <ms>ms "<user agent>"``."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        # raw_path: still percent-encoded, so a crafted path cannot forge a log line.
        self.logger.info('%s "%s %s" %d %d %.1fms "%s"', request.remote or "-", request.method,
                         request.rel_url.raw_path, response.status, response.body_length,
                         time * 1000, request.headers.get("User-Agent", "-")[:200])
