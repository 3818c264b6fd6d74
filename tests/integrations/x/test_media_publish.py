"""A post with media, end to end: fetched and stored at submit, uploaded to the fake X at
publish, and the post created with the media ids."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from postflow.config import Settings
from postflow.connections import Connection
from postflow.errors import BadInput
from postflow.organizations import Organization
from postflow.posts import Post, PostSource, PostStatus
from postflow.runtime import Runtime
from postflow.usecases.connections import add_connection
from postflow.usecases.dispatch import claim_post
from postflow.usecases.organizations import create_organization
from postflow.usecases.publish_post import PostPublisher
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.serving import serving
from tests.fakes.x_api import FakeX, x_settings_fields
from tests.integrations.media.conftest import png


@pytest.fixture
def settings(tmp_path: Path, fake_x: FakeX) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080",
                    allow_private_hosts=True, **x_settings_fields(fake_x))


@pytest.fixture
async def cdn() -> AsyncIterator[str]:
    app = web.Application()

    async def image(request: web.Request) -> web.Response:
        return web.Response(body=png(), content_type="image/png")

    app.router.add_get("/a.png", image)
    async with serving(app) as base:
        yield base


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    return await create_organization(rt, "Acme", actor="test")


@pytest.fixture
async def x_account(rt: Runtime, org: Organization, fake_x: FakeX) -> Connection:
    return await add_connection(rt, org.id, "x", fake_x.connected_account(), actor="test")


async def submit(rt: Runtime, org: Organization, connection: Connection, url: str) -> Post:
    return await submit_post(rt, org.id, PostRequest(text="Look at this", targets=[connection.id],
                                                     media_urls=[url]),
                             source=PostSource(kind="hook", ref="hook_1"), actor="hook:hook_1",
                             review_required=False)


async def test_media_are_stored_at_submit_and_uploaded_with_the_post(
        rt: Runtime, org: Organization, x_account: Connection, fake_x: FakeX,
        cdn: str) -> None:
    post = await submit(rt, org, x_account, cdn + "/a.png")
    [ref] = post.media
    assert (ref.url, ref.content_type, ref.size) == (cdn + "/a.png", "image/png", len(png()))
    assert rt.media_store is not None and await rt.media_store.read(ref.media_id or "") == png()

    claimed = await claim_post(rt, post)
    assert claimed is not None
    done = await PostPublisher(rt, random.Random(7)).run(
        org.id, post.id, expected_version=claimed.version, trigger="test")

    assert done is not None and done.status is PostStatus.PUBLISHED
    [tweet] = fake_x.tweets
    [media_id] = tweet["media_ids"]
    assert fake_x.media[media_id]["data"] == png()


async def test_a_media_url_that_fails_is_refused_to_the_sender_at_submit(
        rt: Runtime, org: Organization, x_account: Connection, fake_x: FakeX,
        cdn: str) -> None:
    with pytest.raises(BadInput, match="HTTP 404"):
        await submit(rt, org, x_account, cdn + "/gone.png")

    assert await rt.store.list_posts(org.id) == []
    assert fake_x.media_calls == []
