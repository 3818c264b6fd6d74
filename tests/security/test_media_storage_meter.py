"""Media storage is metered per organization: a medium that would take an organization past its
plan's byte limit is refused with a 402 naming the plan, and nothing is stored for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from postflow.config import Settings
from postflow.errors import NotFound
from postflow.media import media_id_of
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.connections import add_connection
from postflow.usecases.hooks import create_hook
from postflow.usecases.organizations import create_organization
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.fakes.serving import serving
from tests.fakes.x_api import FakeX, running_fake_x, x_settings_fields
from tests.hub.conftest import HubClient, Sender, running_hub
from tests.integrations.media.conftest import png

FIRST = png(200, fill=b"a")
SECOND = png(200, fill=b"b")
PLANS = """
default = "tiny"

[[plans]]
key = "tiny"
name = "Tiny"
features = ["incoming_hooks"]
[plans.limits]
media_storage_bytes = 300

[[plans]]
key = "roomy"
name = "Roomy"
features = ["incoming_hooks"]
[plans.limits]
media_storage_bytes = 10000
"""


@pytest.fixture
async def fake_x() -> AsyncIterator[FakeX]:
    async with running_fake_x() as fake:
        yield fake


@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[HubClient]:
    async with running_hub(rt) as test_client:
        yield test_client


@pytest.fixture
def settings(tmp_path: Path, fake_x: FakeX) -> Settings:
    plans = tmp_path / "plans.toml"
    plans.write_text(PLANS, encoding="utf-8")
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080", plans_file=plans,
                    allow_private_hosts=True, **x_settings_fields(fake_x))


@pytest.fixture
async def cdn() -> AsyncIterator[str]:
    app = web.Application()
    files = {"/first.png": FIRST, "/second.png": SECOND}

    async def image(request: web.Request) -> web.Response:
        return web.Response(body=files[request.path], content_type="image/png")

    for path in files:
        app.router.add_get(path, image)
    async with serving(app) as base:
        yield base


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    return await create_organization(rt, "Acme", actor="test")


@pytest.fixture
async def x_sender(rt: Runtime, org: Organization, fake_x: FakeX, client: HubClient,
                   clock: ManualClock) -> Sender:
    connection = await add_connection(rt, org.id, "x", fake_x.connected_account(), actor="test")
    created = await create_hook(rt, org.id, "Releases", actor="test")
    return Sender(client, clock, created, connection)


async def test_a_medium_past_the_plans_byte_limit_is_refused_with_402_and_not_stored(
        rt: Runtime, org: Organization, x_sender: Sender, cdn: str) -> None:
    first = await x_sender.post(x_sender.body(media_urls=[cdn + "/first.png"]))
    assert first.status == 202

    refused = await x_sender.post(x_sender.body(text="Another one",
                                                media_urls=[cdn + "/second.png"]))

    assert refused.status == 402
    error = (await refused.json())["error"]
    assert error["code"] == "limit_reached"
    assert "Tiny plan" in error["message"]
    assert error["details"]["plan"] == "tiny"
    assert error["details"]["limit"] == "media_storage_bytes"
    assert error["details"]["upgrade_plan"] == "roomy"
    assert rt.media_store is not None
    with pytest.raises(NotFound):
        await rt.media_store.get(media_id_of(SECOND))
    assert len(await rt.store.list_posts(org.id)) == 1


async def test_a_medium_the_organization_holds_already_costs_nothing_again(
        rt: Runtime, org: Organization, x_sender: Sender, cdn: str) -> None:
    for text in ("Once", "Twice", "Thrice"):
        response = await x_sender.post(x_sender.body(text=text,
                                                     media_urls=[cdn + "/first.png"]))
        assert response.status == 202

    assert len(await rt.store.list_posts(org.id)) == 3
