"""Fetching media from a URL without letting the URL reach inside PostFlow's network.

- Only ``http``/``https``; redirects are followed by hand, at most ``max_redirects`` times, and
  each hop is checked like the first URL.
- Every address a host name resolves to must be public (not loopback, private, link-local,
  shared, reserved, multicast or unspecified). The check sits in the connector's resolver, so
  the addresses checked are the very ones aiohttp connects to: a DNS answer cannot change between
  the check and the connection. IP literals never reach a resolver and are checked up front.
- The body is streamed to a temporary file under the size limit the post's networks set for
  its kind (``staging.py``: ``Content-Length`` first, then the decoded bytes as they arrive);
  the content type must be an accepted one; timeouts bound the connection and the whole fetch.

Every refusal is a :class:`BadInput` saying what was wrong; URLs in messages lose their query
string, which may hold a token.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp.abc import AbstractResolver
from aiohttp.resolver import DefaultResolver
from yarl import URL

from integrations.media.staging import IDENTITY, staging_file, stream_to_file
from integrations.public_addresses import (
    AddressPolicy,
    AddressRefused,
    IPAddress,
    PublicOnlyResolver,
    non_public_reason,
)
from postflow.config import Settings
from postflow.errors import BadInput
from postflow.media import (
    MEDIA_KINDS,
    FetchedMedia,
    FetchSizeLimits,
    base_content_type,
    shown_url,
)

REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class FetchLimits:
    """How a fetch may go; the size limits come with each fetch (they depend on the post)."""

    timeout_seconds: float
    connect_timeout_seconds: float
    max_redirects: int
    allow_private_hosts: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchLimits:
        return cls(timeout_seconds=settings.media_fetch_timeout_seconds,
                   connect_timeout_seconds=settings.media_fetch_connect_timeout_seconds,
                   max_redirects=settings.media_fetch_max_redirects,
                   allow_private_hosts=settings.allow_private_hosts)


class SafeMediaFetcher:
    """The :class:`postflow.media.MediaFetcher` for the internet, staging files in
    ``temp_dir``. ``resolver`` and ``address_policy`` are for tests (a DNS they control; the
    loopback test server counted as public); the public-only check wraps the resolver unless
    private hosts are allowed."""

    def __init__(self, limits: FetchLimits, temp_dir: Path, *,
                 resolver: AbstractResolver | None = None,
                 address_policy: AddressPolicy | None = None) -> None:
        self._limits = limits
        self._temp_dir = temp_dir
        self._resolver = resolver
        self._policy = address_policy or non_public_reason

    @asynccontextmanager
    async def fetch(self, url: str, limits: FetchSizeLimits) -> AsyncIterator[FetchedMedia]:
        """The medium at ``url`` in a temporary file, deleted when the block ends."""
        async with staging_file(self._temp_dir) as path:
            yield await self._fetch_into(url, limits, path)

    async def _fetch_into(self, url: str, sizes: FetchSizeLimits, path: Path) -> FetchedMedia:
        shown = shown_url(url)
        limits = self._limits
        resolver: AbstractResolver = self._resolver or DefaultResolver()
        if not limits.allow_private_hosts:
            resolver = PublicOnlyResolver(resolver, policy=self._policy)
        connector = aiohttp.TCPConnector(resolver=resolver, use_dns_cache=False)
        timeout = aiohttp.ClientTimeout(total=limits.timeout_seconds,
                                        sock_connect=limits.connect_timeout_seconds)
        try:
            async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                             trust_env=False) as session:
                return await self._follow(session, url, shown, sizes, path)
        except aiohttp.ClientConnectorDNSError as err:
            if isinstance(err.os_error, AddressRefused):
                raise BadInput(f"PostFlow does not fetch media from {shown}: {err.os_error}; "
                               "only public internet addresses are allowed.",
                               details={"url": shown, "reason": "address_not_public"}) from None
            raise BadInput(f"The host of {shown} could not be found.",
                           details={"url": shown, "reason": "unresolvable"}) from None
        except TimeoutError:
            raise BadInput(f"Fetching {shown} took longer than {limits.timeout_seconds:g} s.",
                           details={"url": shown, "reason": "timeout"}) from None
        except aiohttp.ClientError as err:
            raise BadInput(f"Fetching {shown} failed ({type(err).__name__}).",
                           details={"url": shown, "reason": "unreachable"}) from None

    async def _follow(self, session: aiohttp.ClientSession, url: str, shown_first: str,
                      sizes: FetchSizeLimits, path: Path) -> FetchedMedia:
        current = self._checked_url(url)
        headers = {"Accept": ", ".join(MEDIA_KINDS), **IDENTITY}
        for _hop in range(self._limits.max_redirects + 1):
            async with session.get(current, allow_redirects=False,
                                   headers=headers) as response:
                if response.status in REDIRECTS:
                    location = response.headers.get("Location")
                    if not location:
                        raise BadInput(f"{shown_url(str(current))} redirects nowhere.",
                                       details={"url": shown_first, "reason": "bad_redirect"})
                    current = self._checked_url(str(current.join(URL(location))))
                    continue
                return await self._read(response, shown_url(str(current)), sizes, path)
        raise BadInput(f"{shown_first} redirects more than {self._limits.max_redirects} times.",
                       details={"url": shown_first, "reason": "too_many_redirects"})

    def _checked_url(self, url: str) -> URL:
        shown = shown_url(url)
        try:
            parsed = URL(url)
        except ValueError:
            raise BadInput(f"{shown} is not a URL.", details={"url": shown}) from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise BadInput(f"Media URLs must start with http:// or https:// ({shown}).",
                           details={"url": shown, "reason": "scheme"})
        if parsed.user or parsed.password:
            raise BadInput(f"Media URLs may not carry a user name or password ({shown}).",
                           details={"url": shown, "reason": "credentials"})
        if not self._limits.allow_private_hosts:
            try:
                literal: IPAddress | None = ipaddress.ip_address(parsed.host.strip("[]"))
            except ValueError:
                literal = None  # a host name: the resolver checks what it resolves to
            reason = self._policy(literal) if literal is not None else None
            if reason is not None:
                raise BadInput(f"PostFlow does not fetch media from {shown}: it is a {reason} "
                               "address; only public internet addresses are allowed.",
                               details={"url": shown, "reason": "address_not_public"})
        return parsed

    async def _read(self, response: aiohttp.ClientResponse, shown: str,
                    sizes: FetchSizeLimits, path: Path) -> FetchedMedia:
        if response.status != 200:
            raise BadInput(f"{shown} answered HTTP {response.status}, not the media.",
                           details={"url": shown, "status": response.status,
                                    "reason": "http_status"})
        content_type = base_content_type(response.headers.get("Content-Type"))
        if content_type not in MEDIA_KINDS and content_type != "application/octet-stream":
            raise BadInput(f"{shown} is {content_type or 'of no stated type'}, not an image or "
                           f"video PostFlow accepts ({', '.join(MEDIA_KINDS)}).",
                           details={"url": shown, "content_type": content_type,
                                    "reason": "content_type"})
        return await stream_to_file(response, path, content_type, sizes,
                                    source=f"The media at {shown}", details={"url": shown})
