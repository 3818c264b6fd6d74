"""The multi-workspace install: /slack/install -> Slack -> /slack/oauth_redirect."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from postflow.config import Settings
from postflow.organizations import Role
from postflow.runtime import Runtime
from postflow.usecases.oauth_states import STATE_TTL
from tests.bot.slack.conftest import HubClient, SlackSender, all_text
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.fakes.slack_api import FakeSlack

TEAM = "T0NEW"


@pytest.fixture
def settings(tmp_path: Path, fake_slack: FakeSlack, signing_secret: str) -> Settings:
    """Multi-workspace Slack: client id and secret, no bot token."""
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,
                    http_port=0, public_url="https://postflow.example.com",
                    slack_signing_secret=signing_secret,
                    slack_client_id=fake_slack.client_id,
                    slack_client_secret=fake_slack.client_secret,
                    slack_api_url=fake_slack.api_url)


async def start_install(client: HubClient) -> str:
    """GET /slack/install and return the state from Slack's consent URL."""
    response = await client.get("/slack/install", allow_redirects=False)
    assert response.status == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return query["state"][0]


async def finish(client: HubClient, state: str, code: str = "code-1", *,
                 cookie: str | None = None) -> tuple[int, str]:
    """Come back from Slack with ``code`` and ``state``, in the browser holding ``cookie``
    (the state cookie set by /slack/install; it is Secure, so sent here by hand over http)."""
    cookie = state if cookie is None else cookie
    response = await client.get("/slack/oauth_redirect", params={"code": code, "state": state},
                                headers={"Cookie": f"__Host-postflow_slack_state={cookie}"}
                                if cookie else {})
    return response.status, await response.text()


@pytest.fixture(autouse=True)
def codes(fake_slack: FakeSlack) -> None:
    fake_slack.codes.update({"code-1": (TEAM, "Newco", "UOWNER"),
                             "code-2": (TEAM, "Newco", "UADMIN")})


async def test_install_redirects_to_slacks_consent_page(client: HubClient,
                                                        fake_slack: FakeSlack) -> None:
    response = await client.get("/slack/install", allow_redirects=False)

    location = urlsplit(response.headers["Location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" \
        == "https://slack.com/oauth/v2/authorize"
    assert query["client_id"] == [fake_slack.client_id]
    assert query["scope"] == ["commands,chat:write,users:read,im:write,files:read"]
    assert query["redirect_uri"] == ["https://postflow.example.com/slack/oauth_redirect"]
    cookie = response.cookies["__Host-postflow_slack_state"]
    assert cookie.value == query["state"][0]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"


async def test_install_round_trip_creates_the_organization_and_its_owner(
        client: HubClient, rt: Runtime, fake_slack: FakeSlack) -> None:
    state = await start_install(client)

    status, page = await finish(client, state)

    assert status == 200 and "PostFlow is installed in Newco" in page
    [access] = fake_slack.calls_to("oauth.v2.access")
    assert access.params["code"] == "code-1"
    assert access.params["redirect_uri"] == "https://postflow.example.com/slack/oauth_redirect"
    workspace = await rt.store.find_workspace("slack", TEAM)
    assert workspace is not None
    org = await rt.store.get_organization(workspace.org_id)
    assert org.name == "Newco" and org.timezone == "Europe/Paris"  # the installer's users.info
    [owner] = await rt.store.list_members(org.id)
    assert owner.identity.user_id == "UOWNER" and owner.role is Role.OWNER
    installation = await rt.store.find_chat_installation("slack", TEAM)
    assert installation is not None and installation.bot_user_id == fake_slack.bot_user_id
    assert rt.vault.open(installation.sealed_bot_token) == f"xoxb-issued-{TEAM}"
    raw = sqlite3.connect(rt.settings.sqlite_path).execute(
        "SELECT doc FROM chat_installations").fetchone()[0]
    assert "xoxb-issued" not in raw


async def test_commands_from_the_installed_team_use_its_token(
        client: HubClient, slack: SlackSender, fake_slack: FakeSlack) -> None:
    await finish(client, await start_install(client))

    message = await slack.command("help", user_id="UOWNER", team_id=TEAM)

    assert "You are Owner of Newco" in all_text(message)
    assert fake_slack.calls_to("auth.test") == []  # no token configured: no auth.test


async def test_a_reused_state_is_refused(client: HubClient, rt: Runtime) -> None:
    state = await start_install(client)
    await finish(client, state)

    status, page = await finish(client, state, code="code-2")

    assert status == 401 and "already used" in page
    assert "Traceback" not in page


async def test_an_expired_state_is_refused(client: HubClient, clock: ManualClock,
                                           rt: Runtime) -> None:
    state = await start_install(client)
    clock.advance(STATE_TTL.total_seconds() + 1)

    status, page = await finish(client, state)

    assert status == 401 and "expired" in page
    assert await rt.store.find_workspace("slack", TEAM) is None


async def test_a_forged_state_is_refused(client: HubClient, rt: Runtime) -> None:
    state = await start_install(client)
    forged = state[:-4] + "beef"

    status, page = await finish(client, forged)

    assert status == 401 and "not valid" in page
    assert await rt.store.find_workspace("slack", TEAM) is None


async def test_a_state_from_another_browser_is_refused(client: HubClient, rt: Runtime) -> None:
    state = await start_install(client)

    status, page = await finish(client, state, cookie="")

    assert status == 401 and "another browser" in page


async def test_a_code_slack_refuses_shows_slacks_reason(client: HubClient,
                                                        rt: Runtime) -> None:
    status, page = await finish(client, await start_install(client), code="no-such-code")

    assert status == 400 and "invalid_code" in page
    assert await rt.store.find_workspace("slack", TEAM) is None


async def test_a_canceled_install_says_so(client: HubClient) -> None:
    response = await client.get("/slack/oauth_redirect",
                                params={"error": "access_denied", "state": "x"})

    assert response.status == 400 and "canceled" in (await response.text()).lower()


async def test_reinstalling_joins_the_same_organization(client: HubClient, rt: Runtime) -> None:
    await finish(client, await start_install(client), code="code-1")

    status, _ = await finish(client, await start_install(client), code="code-2")

    assert status == 200
    assert len(await rt.store.list_organizations()) == 1
    workspace = await rt.store.find_workspace("slack", TEAM)
    assert workspace is not None
    roles = {m.identity.user_id: m.role for m in await rt.store.list_members(workspace.org_id)}
    assert roles == {"UOWNER": Role.OWNER}
