"""A media server on loopback that counts what it is asked and what it sends, and a runtime whose
X provider points at the fake X, for the media-fetch security tests. Test modules import the
``*_fixture`` functions; pytest knows them by their ``name``."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from postflow.config import Settings
from postflow.connections import Connection
from postflow.organizations import Organization
from postflow.posts import Post, PostSource
from postflow.runtime import Runtime
from postflow.usecases.connections import add_connection
from postflow.usecases.organizations import create_organization
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.media_files import movie, png_of
from tests.fakes.serving import serving
from tests.fakes.x_api import FakeX, running_fake_x, x_settings_fields

MIB = 1024 * 1024
#: X's image limit in these tests (a setting), kept small so refusals are quick to reach.
IMAGE_LIMIT = 1 * MIB
CHUNK = bytes(64 * 1024)


@dataclass
class MediaServer:
    """Serves media of every awkward shape; ``requests`` and ``sent`` say what it was asked and
    how many body bytes it handed to the network."""

    #: How many body bytes the endless and the long streams offer at most.
    offered: int = 64 * MIB
    requests: list[str] = field(default_factory=list)
    accept_encodings: list[str] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)
    base_url: str = ""
    #: Set when the test ends: the handler that never sends its body gives up then.
    closing: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        return self.base_url + path

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/small.png", self._small)
        app.router.add_get("/endless.png", self._endless)
        app.router.add_get("/declared-huge.png", self._declared_huge)
        app.router.add_get("/bomb.png", self._bomb)
        app.router.add_get("/large.mp4", self._large_video)
        return app

    def _seen(self, request: web.Request) -> None:
        self.requests.append(request.path)
        self.accept_encodings.append(request.headers.get("Accept-Encoding", ""))
        self.sent.setdefault(request.path, 0)

    async def _small(self, request: web.Request) -> web.Response:
        self._seen(request)
        return web.Response(body=png_of(10, 10), content_type="image/png")

    async def _stream(self, request: web.Request, head: bytes, total: int,
                      headers: dict[str, str]) -> web.StreamResponse:
        """``head`` then zeros up to ``total`` bytes, written chunk by chunk and counted."""
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        await response.write(head)
        self.sent[request.path] += len(head)
        while self.sent[request.path] < total:
            piece = CHUNK[:total - self.sent[request.path]]
            self.sent[request.path] += len(piece)
            await response.write(piece)
        await response.write_eof()
        return response

    async def _endless(self, request: web.Request) -> web.StreamResponse:
        """A PNG with no Content-Length that goes on for ``offered`` bytes."""
        self._seen(request)
        return await self._stream(request, png_of(10, 10), self.offered,
                                  {"Content-Type": "image/png"})

    async def _declared_huge(self, request: web.Request) -> web.StreamResponse:
        """A Content-Length far over the limit, then a body that never comes."""
        self._seen(request)
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        response.content_length = self.offered
        await response.prepare(request)
        await self.closing.wait()
        return response

    async def _bomb(self, request: web.Request) -> web.Response:
        """64 MiB of PNG once decoded, about 64 KiB on the wire, gzip whatever was asked."""
        self._seen(request)
        body = _gzipped(png_of(10, 10), self.offered)
        self.sent[request.path] += len(body)
        return web.Response(body=body, headers={"Content-Type": "image/png",
                                                "Content-Encoding": "gzip"})

    async def _large_video(self, request: web.Request) -> web.StreamResponse:
        """A 10-second MP4 (moov first) followed by 24 MiB of padding: allowed on X."""
        self._seen(request)
        return await self._stream(request, movie(1280, 720, seconds=10.0, media_bytes=0),
                                  24 * MIB, {"Content-Type": "video/mp4",
                                             "Content-Length": str(24 * MIB)})


def _gzipped(head: bytes, size: int) -> bytes:
    """``head`` and zeros up to ``size`` bytes, gzipped piece by piece (never whole in memory)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip container
    parts = [compressor.compress(head)]
    for _ in range((size - len(head)) // len(CHUNK)):
        parts.append(compressor.compress(CHUNK))
    parts.append(compressor.flush())
    return b"".join(parts)


@pytest.fixture(name="media_server")
async def media_server_fixture() -> AsyncIterator[MediaServer]:
    server = MediaServer()
    async with serving(server.app()) as base:
        server.base_url = base
        yield server
        server.closing.set()


@pytest.fixture(name="fake_x")
async def fake_x_fixture() -> AsyncIterator[FakeX]:
    async with running_fake_x() as fake:
        yield fake


@pytest.fixture(name="settings")
def settings_fixture(tmp_path: Path, fake_x: FakeX) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080",
                    allow_private_hosts=True, media_fetch_timeout_seconds=10,
                    x_image_max_bytes=IMAGE_LIMIT, **x_settings_fields(fake_x))


@pytest.fixture(name="org")
async def org_fixture(rt: Runtime) -> Organization:
    return await create_organization(rt, "Acme", actor="test")


@pytest.fixture(name="x_account")
async def x_account_fixture(rt: Runtime, org: Organization, fake_x: FakeX) -> Connection:
    return await add_connection(rt, org.id, "x", fake_x.connected_account(), actor="test")


async def submit(rt: Runtime, org: Organization, request: PostRequest) -> Post:
    return await submit_post(rt, org.id, request, source=PostSource(kind="hook", ref="hook_1"),
                             actor="hook:hook_1", review_required=False)


def files_under(folder: Path) -> list[Path]:
    """Every file below ``folder`` (none when it does not exist)."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
