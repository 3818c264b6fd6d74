"""Adding the Discord bot with a redirect back to the hub (``GET /discord/install``, ``GET
/discord/oauth/callback``) against the fake Discord: a new server becomes an organization
without any gateway connection; every refusal is a page and records nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.discord.install import permissions_integer, server_removed
from postflow.config import Settings
from postflow.organizations import Role
from postflow.runtime import Runtime
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.serving import serving
from tests.hub.conftest import HubClient, running_hub

GUILD, OWNER, HELPER = "610000000000000001", "610000000000000101", "610000000000000102"
CALLBACK = "http://127.0.0.1:8080/discord/oauth/callback"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    fake.add_guild(GUILD, "Acme Social", owner_id=OWNER)
    async with serving(fake.app()) as url:
        fake.base_url = url
        yield fake


@pytest.fixture
def settings(tmp_path: Path, fake: FakeDiscord) -> Settings:
    """An HTTP-endpoint-only deployment: no bot connected to any gateway."""
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080",
                    discord_application_id=fake.application_id,
                    discord_client_secret=fake.client_secret,  # type: ignore[arg-type]
                    discord_api_url=fake.api_url)


@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[HubClient]:
    async with running_hub(rt) as test_client:
        yield test_client


async def start(client: HubClient) -> str:
    """Open the hub's install link (this browser gets its cookie); the state it sent."""
    response = await client.get("/discord/install", allow_redirects=False)
    assert response.status == 302
    return parse_qs(urlsplit(response.headers["Location"]).query)["state"][0]


async def back(client: HubClient, **query: str) -> tuple[int, str]:
    response = await client.get("/discord/oauth/callback", params=query)
    return response.status, await response.text()


async def nothing_recorded(rt: Runtime) -> bool:
    return (await rt.store.list_organizations() == []
            and await rt.store.find_chat_installation("discord", GUILD) is None)


async def test_the_install_link_redirects_to_discords_authorize_page_with_a_code_and_a_state(
        client: HubClient, fake: FakeDiscord) -> None:
    response = await client.get("/discord/install", allow_redirects=False)

    url = urlsplit(response.headers["Location"])
    assert (url.scheme, url.netloc, url.path) == ("https", "discord.com", "/oauth2/authorize")
    query = parse_qs(url.query)
    assert query["client_id"] == [fake.application_id]
    assert query["scope"] == ["bot applications.commands"]
    assert query["permissions"] == [str(permissions_integer())]
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == [CALLBACK]
    assert len(query["state"][0]) > 20
    assert "postflow_discord_state" in response.headers["Set-Cookie"]


async def test_the_callback_makes_the_server_an_organization_with_its_owner_as_owner(
        rt: Runtime, client: HubClient, fake: FakeDiscord, settings: Settings) -> None:
    state = await start(client)
    code = fake.authorize(OWNER, GUILD, CALLBACK)

    status, page = await back(client, code=code, state=state, guild_id=GUILD)

    assert status == 200, page
    assert "Acme Social" in page and "/postflow help" in page
    installation = await rt.store.find_chat_installation("discord", GUILD)
    org = await rt.store.find_organization_by_name("Acme Social")
    assert installation is not None and org is not None and installation.org_id == org.id
    assert installation.removed_at is None and installation.sealed_bot_token == ""
    owner = await rt.store.find_member(org.id, "discord", GUILD, OWNER)
    assert owner is not None and owner.role is Role.OWNER
    [token] = fake.access_tokens
    stored = b"".join(p.read_bytes() for p in settings.data_dir.rglob("*") if p.is_file())
    assert token.encode() not in stored  # the installer's token is never kept


async def test_an_installer_who_does_not_own_the_server_joins_as_admin(
        rt: Runtime, client: HubClient, fake: FakeDiscord) -> None:
    state = await start(client)

    status, _ = await back(client, code=fake.authorize(HELPER, GUILD, CALLBACK), state=state)

    assert status == 200
    org = await rt.store.find_organization_by_name("Acme Social")
    assert org is not None
    owner = await rt.store.find_member(org.id, "discord", GUILD, OWNER)
    helper = await rt.store.find_member(org.id, "discord", GUILD, HELPER)
    assert owner is not None and owner.role is Role.OWNER
    assert helper is not None and helper.role is Role.ADMIN


async def test_a_server_removed_and_added_again_keeps_its_organization(
        rt: Runtime, client: HubClient, fake: FakeDiscord) -> None:
    await back(client, code=fake.authorize(OWNER, GUILD, CALLBACK), state=await start(client))
    first = await rt.store.find_chat_installation("discord", GUILD)
    await server_removed(rt, GUILD)

    status, _ = await back(client, code=fake.authorize(OWNER, GUILD, CALLBACK),
                           state=await start(client))

    assert status == 200
    again = await rt.store.find_chat_installation("discord", GUILD)
    assert first is not None and again is not None
    assert again.removed_at is None and again.org_id == first.org_id
    assert len(await rt.store.list_organizations()) == 1


async def test_a_state_used_twice_is_refused_the_second_time(
        rt: Runtime, client: HubClient, fake: FakeDiscord) -> None:
    state = await start(client)
    await back(client, code=fake.authorize(OWNER, GUILD, CALLBACK), state=state)
    organizations = await rt.store.list_organizations()
    client.session.cookie_jar.update_cookies({"postflow_discord_state": state})

    status, page = await back(client, code=fake.authorize(OWNER, GUILD, CALLBACK), state=state)

    assert status == 401 and "already used" in page
    assert await rt.store.list_organizations() == organizations


async def test_an_expired_state_is_refused_and_nothing_recorded(
        rt: Runtime, client: HubClient, fake: FakeDiscord, clock: ManualClock) -> None:
    state = await start(client)
    clock.advance(11 * 60)

    status, page = await back(client, code=fake.authorize(OWNER, GUILD, CALLBACK), state=state)

    assert status == 401 and "expired" in page
    assert await nothing_recorded(rt)


@pytest.mark.parametrize("state", ["forged", "x" * 2000, ""])
async def test_a_forged_or_missing_state_is_refused_and_nothing_recorded(
        rt: Runtime, client: HubClient, fake: FakeDiscord, state: str) -> None:
    await start(client)

    status, page = await back(client, code=fake.authorize(OWNER, GUILD, CALLBACK), state=state)

    assert status in (400, 401) and "<h1>Installation failed</h1>" in page
    assert "Traceback" not in page
    assert await nothing_recorded(rt)
    assert fake.calls_to("POST /oauth2/token") == []


async def test_a_state_from_another_browser_is_refused(
        rt: Runtime, client: HubClient, fake: FakeDiscord) -> None:
    state = await start(client)
    client.session.cookie_jar.clear()

    status, page = await back(client, code=fake.authorize(OWNER, GUILD, CALLBACK), state=state)

    assert status == 401 and "another browser" in page
    assert await nothing_recorded(rt)


async def test_a_code_discord_refuses_is_a_page_and_nothing_recorded(
        rt: Runtime, client: HubClient) -> None:
    status, page = await back(client, code="not-a-code", state=await start(client))

    assert status == 400 and "invalid_grant" in page
    assert await nothing_recorded(rt)


async def test_the_person_canceling_on_discord_is_a_page_and_nothing_recorded(
        rt: Runtime, client: HubClient, fake: FakeDiscord) -> None:
    status, page = await back(client, error="access_denied", state=await start(client),
                              error_description="The resource owner denied the request")

    assert status == 400 and "<h1>Installation canceled</h1>" in page
    assert await nothing_recorded(rt)
    assert fake.calls_to("POST /oauth2/token") == []


async def test_discord_unreachable_is_a_page_and_nothing_recorded(
        rt: Runtime, client: HubClient, fake: FakeDiscord) -> None:
    state = await start(client)
    code = fake.authorize(OWNER, GUILD, CALLBACK)
    fake.base_url = "http://127.0.0.1:9"  # nothing listens: the exchange cannot connect
    rt.settings.discord_api_url = fake.api_url

    status, page = await back(client, code=code, state=state)

    assert status == 502 and "could not reach Discord" in page
    assert await nothing_recorded(rt)


async def test_without_a_client_secret_there_is_no_install_route(tmp_path: Path) -> None:
    from composition.runtime import open_runtime

    rt = await open_runtime(Settings(data_dir=tmp_path / "v", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                                     http_port=0, discord_application_id="1"))
    try:
        async with running_hub(rt) as client:
            assert (await client.get("/discord/install", allow_redirects=False)).status == 404
    finally:
        await rt.store.close()
