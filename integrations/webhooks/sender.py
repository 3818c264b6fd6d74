"""POSTing outbound webhook deliveries without letting an endpoint URL reach inside
PostFlow's network.

- Every address a host name resolves to must be public, checked in the connector's resolver
  (integrations/public_addresses.py), so a DNS answer cannot change between the check and the
  connection; IP literals are checked before connecting.
- Redirects: 307 and 308 (which keep the method and body) are followed by hand, at most
  ``max_redirects`` times, each hop checked like the first URL. Any other answer, a 301, 302
  or 303 included, is the endpoint's answer: not a 2xx, so a failed attempt.
- The whole attempt, redirects included, has ``timeout_seconds`` (10 s): a 2xx within it is
  delivered. Only the first kilobyte of the answer is read.

Nothing here raises for what the endpoint does: every outcome is a
:class:`~postflow.webhooks.sending.WebhookAnswer`. Messages name the URL without its query.
"""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp
from aiohttp.abc import AbstractResolver
from aiohttp.resolver import DefaultResolver
from yarl import URL

from integrations.public_addresses import (
    AddressPolicy,
    AddressRefused,
    PublicOnlyResolver,
    literal_address_reason,
    non_public_reason,
)
from postflow.media import shown_url
from postflow.webhooks.sending import (
    ANSWER_EXCERPT_BYTES,
    DELIVERY_TIMEOUT_SECONDS,
    WebhookAnswer,
)

FOLLOWED_REDIRECTS = (307, 308)
MAX_REDIRECTS = 3


class SafeWebhookSender:
    """The :class:`~postflow.webhooks.sending.WebhookSender` for the internet. ``resolver``
    and ``address_policy`` are for tests (a DNS they control; the loopback server counted as
    public); the public-only check wraps the resolver unless private hosts are allowed."""

    def __init__(self, *, allow_private_hosts: bool = False,
                 timeout_seconds: float = DELIVERY_TIMEOUT_SECONDS,
                 max_redirects: int = MAX_REDIRECTS,
                 resolver: AbstractResolver | None = None,
                 address_policy: AddressPolicy | None = None) -> None:
        self._allow_private = allow_private_hosts
        self._timeout = timeout_seconds
        self._max_redirects = max_redirects
        self._resolver = resolver
        self._policy = address_policy or non_public_reason

    async def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> WebhookAnswer:
        resolver: AbstractResolver = self._resolver or DefaultResolver()
        if not self._allow_private:
            resolver = PublicOnlyResolver(resolver, policy=self._policy)
        connector = aiohttp.TCPConnector(resolver=resolver, use_dns_cache=False)
        timeout = aiohttp.ClientTimeout(total=self._timeout)
        try:
            async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                             trust_env=False) as session:
                return await self._post(session, URL(url), body, headers)
        except aiohttp.ClientConnectorDNSError as err:
            if isinstance(err.os_error, AddressRefused):
                return WebhookAnswer(None, error=f"refused: {err.os_error}; PostFlow sends "
                                                 "webhooks to public internet addresses only")
            return WebhookAnswer(None, error=f"the host of {shown_url(url)} could not be found")
        except TimeoutError:
            return WebhookAnswer(None, error=f"no answer within {self._timeout:g} s")
        except aiohttp.ClientError as err:
            return WebhookAnswer(None, error=f"could not reach {shown_url(url)} "
                                             f"({type(err).__name__})")
        except ValueError:
            return WebhookAnswer(None, error=f"{shown_url(url)} is not a URL")

    async def _post(self, session: aiohttp.ClientSession, url: URL, body: bytes,
                    headers: Mapping[str, str]) -> WebhookAnswer:
        current = url
        for _hop in range(self._max_redirects + 1):
            refusal = self._refusal(current)
            if refusal is not None:
                return WebhookAnswer(None, error=refusal)
            async with session.post(current, data=body, headers=dict(headers),
                                    allow_redirects=False) as response:
                location = response.headers.get("Location")
                if response.status in FOLLOWED_REDIRECTS and location:
                    current = current.join(URL(location))
                    continue
                excerpt = await _read_excerpt(response)
                return WebhookAnswer(response.status, answer=excerpt)
        return WebhookAnswer(None, error=f"more than {self._max_redirects} redirects")

    def _refusal(self, url: URL) -> str | None:
        shown = shown_url(str(url))
        if url.scheme not in ("http", "https") or not url.host:
            return f"refused: {shown} is not an http(s) URL"
        if url.user or url.password:
            return f"refused: {shown} carries a user name or password"
        if self._allow_private:
            return None
        reason = literal_address_reason(url.host, self._policy)
        if reason is not None:
            return (f"refused: {shown} is a {reason} address; PostFlow sends webhooks to "
                    "public internet addresses only")
        return None


async def _read_excerpt(response: aiohttp.ClientResponse) -> str:
    """The answer's first kilobyte as text (the rest is not read)."""
    chunks = bytearray()
    while len(chunks) < ANSWER_EXCERPT_BYTES:
        chunk = await response.content.read(ANSWER_EXCERPT_BYTES - len(chunks))
        if not chunk:
            break
        chunks.extend(chunk)
    return bytes(chunks).decode("utf-8", "replace")
