"""Which addresses PostFlow connects to on behalf of others (media URLs, outbound webhooks):
public internet addresses only, checked in the connector's resolver so the addresses checked
are the very ones aiohttp connects to (a DNS answer cannot change between the check and the
connection: no DNS rebinding). ``POSTFLOW_ALLOW_PRIVATE_HOSTS`` lifts it, for development."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: Why an address may not be fetched from, or None: :func:`non_public_reason` outside tests.
AddressPolicy = Callable[[IPAddress], str | None]


class AddressRefused(OSError):
    """A host resolved to an address PostFlow does not fetch from (an OSError, so aiohttp
    passes it on as the cause of its connection error)."""


def non_public_reason(address: IPAddress) -> str | None:
    """Why ``address`` is not a public internet address, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (
            address.teredo[1] if address.teredo else None)
        if embedded is not None:
            return non_public_reason(embedded)
    checks = (("loopback", address.is_loopback), ("private", address.is_private),
              ("link-local", address.is_link_local), ("multicast", address.is_multicast),
              ("unspecified", address.is_unspecified), ("reserved", address.is_reserved))
    for name, hit in checks:
        if hit:
            return name
    return None if address.is_global else "not globally routable"


class PublicOnlyResolver(AbstractResolver):
    """Resolves like aiohttp's default resolver, then refuses the whole answer if any address
    in it is not public."""

    def __init__(self, inner: AbstractResolver | None = None, *,
                 policy: AddressPolicy | None = None) -> None:
        self._inner = inner or DefaultResolver()
        self._policy = policy or non_public_reason

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            reason = self._policy(ipaddress.ip_address(result["host"]))
            if reason is not None:
                raise AddressRefused(f"{host} resolves to a {reason} address")
        return results

    async def close(self) -> None:
        await self._inner.close()


def literal_address_reason(host: str, policy: AddressPolicy | None = None) -> str | None:
    """Why ``host``, if it is an IP literal (which never reaches a resolver), may not be
    connected to; None for a public literal or a host name (its resolver checks it)."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    return (policy or non_public_reason)(literal)
