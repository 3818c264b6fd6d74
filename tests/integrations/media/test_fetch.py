"""Fetching media URLs safely: caps, types, redirects and no private addresses."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import socket
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from integrations.media.fetch import (
    AddressPolicy,
    FetchLimits,
    IPAddress,
    PublicOnlyResolver,
    SafeMediaFetcher,
    non_public_reason,
)
from postflow.errors import BadInput
from postflow.media import FetchedMedia, FetchSizeLimits, MediaKind, SizeLimit
from tests.fakes.serving import serving
from tests.integrations.media.conftest import png

CAP = 10_000
SIZES = FetchSizeLimits(dict.fromkeys(MediaKind, SizeLimit(CAP, "the test's cap")))
#: Where these fetchers stage files; each file is gone once its fetch's block ends.
STAGING = Path(tempfile.gettempdir()) / f"postflow-test-fetch-{os.getpid()}"


def limits(*, allow_private: bool) -> FetchLimits:
    return FetchLimits(timeout_seconds=5, connect_timeout_seconds=2,
                       max_redirects=2, allow_private_hosts=allow_private)


def fetcher_for(*, allow_private: bool, resolver: AbstractResolver | None = None,
                address_policy: AddressPolicy | None = None) -> SafeMediaFetcher:
    return SafeMediaFetcher(limits(allow_private=allow_private), STAGING, resolver=resolver,
                            address_policy=address_policy)


async def fetched(fetcher: SafeMediaFetcher, url: str) -> tuple[FetchedMedia, bytes]:
    """What a fetch gives, and the bytes of its file (read while the file exists)."""
    async with fetcher.fetch(url, SIZES) as media:
        return media, media.path.read_bytes()


class StaticResolver(AbstractResolver):
    """Resolves the names it was given to fixed addresses: a DNS we control."""

    def __init__(self, names: dict[str, str]) -> None:
        self._names = names

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        address = self._names[host]
        return [{"hostname": host, "host": address, "port": port,
                 "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                 "proto": 0, "flags": socket.AI_NUMERICHOST}]

    async def close(self) -> None:
        return None


def loopback_is_public(address: IPAddress) -> str | None:
    """The real policy, except that the test server's 127.0.0.1 counts as the internet."""
    if address == ipaddress.IPv4Address("127.0.0.1"):
        return None
    return non_public_reason(address)


async def _stream_forever(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "image/png"})
    await response.prepare(request)
    await response.write(png(1000))
    for _ in range(100):
        await response.write(b"x" * 1000)
    return response


def media_app() -> web.Application:
    app = web.Application()

    async def image(request: web.Request) -> web.Response:
        return web.Response(body=png(), content_type="image/png")

    async def html(request: web.Request) -> web.Response:
        return web.Response(text="<html>not found</html>", content_type="text/html")

    async def big(request: web.Request) -> web.Response:
        return web.Response(body=png(CAP + 1), content_type="image/png")

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404)

    async def hop(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    app.router.add_get("/a.png", image)
    app.router.add_get("/page", html)
    app.router.add_get("/big.png", big)
    app.router.add_get("/stream.png", _stream_forever)
    app.router.add_get("/missing.png", missing)
    app.router.add_get("/hop", hop)
    app.router.add_get("/loop", loop)
    return app


@pytest.fixture
async def server() -> AsyncIterator[str]:
    async with serving(media_app()) as base:
        yield base


async def refused(fetcher: SafeMediaFetcher, url: str) -> BadInput:
    with pytest.raises(BadInput) as err:
        await fetched(fetcher, url)
    return err.value


# -- with private hosts allowed (the test switch), against loopback servers ---------------------

async def test_an_image_is_fetched_with_its_type(server: str) -> None:
    media, data = await fetched(fetcher_for(allow_private=True),
                                server + "/a.png")

    assert (data, media.content_type, media.size) == (png(), "image/png", len(png()))
    assert media.sha256 == hashlib.sha256(png()).hexdigest()
    assert not media.path.exists()
    assert list(STAGING.iterdir()) == []


async def test_a_redirect_is_followed(server: str) -> None:
    _, data = await fetched(fetcher_for(allow_private=True),
                            f"{server}/hop?to=/a.png")

    assert data == png()


async def test_too_many_redirects_are_refused(server: str) -> None:
    err = await refused(fetcher_for(allow_private=True), server + "/loop")

    assert err.details["reason"] == "too_many_redirects"


async def test_a_body_over_the_cap_is_refused_by_its_length(server: str) -> None:
    err = await refused(fetcher_for(allow_private=True), server + "/big.png")

    assert err.details["reason"] == "too_large"


async def test_a_stream_without_length_is_cut_off_at_the_cap(server: str) -> None:
    err = await refused(fetcher_for(allow_private=True), server + "/stream.png")

    assert err.details["reason"] == "too_large"
    assert str(CAP) in err.message
    assert list(STAGING.iterdir()) == []  # the half-read file is gone


async def test_a_page_that_is_not_an_image_or_video_is_refused(server: str) -> None:
    err = await refused(fetcher_for(allow_private=True), server + "/page")

    assert err.details["reason"] == "content_type"
    assert "text/html" in err.message


async def test_an_error_status_is_refused(server: str) -> None:
    err = await refused(fetcher_for(allow_private=True), server + "/missing.png")

    assert err.details["status"] == 404


async def test_a_name_is_connected_to_at_the_address_it_resolved_to(server: str) -> None:
    port = server.rsplit(":", 1)[1]
    fetcher = fetcher_for(allow_private=True,
                               resolver=StaticResolver({"cdn.example.test": "127.0.0.1"}))

    _, data = await fetched(fetcher, f"http://cdn.example.test:{port}/a.png")

    assert data == png()


async def test_the_query_string_never_appears_in_a_refusal(server: str) -> None:
    err = await refused(fetcher_for(allow_private=True),
                        server + "/missing.png?X-Amz-Signature=secret-token")

    assert "secret-token" not in err.message
    assert "secret-token" not in str(err.details)


# -- with private hosts refused (the default) ---------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/a.png", "http://10.1.2.3/a.png", "http://169.254.169.254/latest/meta",
    "http://[::1]:9/a.png", "http://[::ffff:127.0.0.1]/a.png", "http://0.0.0.0/a.png",
    "http://192.168.1.10/a.png", "http://100.64.0.1/a.png"])
async def test_non_public_addresses_are_refused(url: str) -> None:
    err = await refused(fetcher_for(allow_private=False), url)

    assert err.details["reason"] == "address_not_public"


async def test_a_name_resolving_to_loopback_is_refused(server: str) -> None:
    port = server.rsplit(":", 1)[1]
    fetcher = fetcher_for(allow_private=False,
                               resolver=StaticResolver({"cdn.example.test": "127.0.0.1"}))

    err = await refused(fetcher, f"http://cdn.example.test:{port}/a.png")

    assert err.details["reason"] == "address_not_public"
    assert "loopback" in err.message


async def test_a_name_is_refused_when_any_of_its_addresses_is_private() -> None:
    class TwoAddresses(StaticResolver):
        async def resolve(self, host: str, port: int = 0,
                          family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
            public = await super().resolve(host, port, family)
            return [*public, {**public[0], "host": "10.0.0.5"}]

    resolver = PublicOnlyResolver(TwoAddresses({"mixed.example.test": "93.184.216.34"}))

    with pytest.raises(OSError, match="private"):
        await resolver.resolve("mixed.example.test", 80)


async def test_a_redirect_to_a_private_address_is_refused(server: str) -> None:
    fetcher = fetcher_for(allow_private=False, address_policy=loopback_is_public)

    err = await refused(fetcher, f"{server}/hop?to=http://169.254.169.254/latest/meta-data")

    assert err.details["reason"] == "address_not_public"


async def test_a_redirect_to_a_name_resolving_privately_is_refused(server: str) -> None:
    fetcher = fetcher_for(allow_private=False, address_policy=loopback_is_public,
                               resolver=StaticResolver({"internal.example.test": "10.0.0.7"}))

    err = await refused(fetcher, f"{server}/hop?to=http://internal.example.test/a.png")

    assert err.details["reason"] == "address_not_public"


async def test_other_schemes_are_refused() -> None:
    for url in ("ftp://example.com/a.png", "file:///etc/passwd", "http://user:pw@example.com/"):
        err = await refused(fetcher_for(allow_private=False), url)
        assert err.details["reason"] in ("scheme", "credentials")
