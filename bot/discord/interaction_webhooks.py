"""Answering an interaction after its first answer, through its webhook (no bot token; the
interaction's token is valid for 15 minutes): editing the message a deferred press was on, or a
follow-up message."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS = 10.0


async def edit_original(api_url: str, application_id: str, token: str,
                        data: dict[str, Any]) -> bool:
    """``PATCH /webhooks/{application}/{token}/messages/@original``; whether Discord took it."""
    return await _send(api_url, "PATCH", f"/webhooks/{application_id}/{token}/messages/@original",
                       data)


async def follow_up(api_url: str, application_id: str, token: str, data: dict[str, Any]) -> bool:
    """``POST /webhooks/{application}/{token}``: a new message (ephemeral with ``flags`` 64)."""
    return await _send(api_url, "POST", f"/webhooks/{application_id}/{token}", data)


async def _send(api_url: str, method: str, path: str, data: dict[str, Any]) -> bool:
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http, \
                http.request(method, api_url.rstrip("/") + path, json=data) as response:
            if response.status < 300:
                return True
            log.warning("Discord refused a late interaction answer: HTTP %d", response.status)
    except (aiohttp.ClientError, TimeoutError) as err:
        log.warning("could not reach Discord for a late interaction answer: %s",
                    type(err).__name__)
    return False
