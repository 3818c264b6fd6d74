"""Every list of networks people see comes from the provider registry: each network that
connects through a consent screen is taken by ``postflow connect`` and named in the chat help,
a plugin's network included, with no list to edit."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from composition.runtime import open_runtime
from postflow.chatops.commands import run_command
from postflow.config import Settings
from postflow.runtime import Runtime
from tests.cli import run_cli, use_cli_env
from tests.fakes.loopback_network import URL_VARIABLE
from tests.postflow.chatops import conftest as chatops_fixtures
from tests.postflow.chatops.conftest import Team

#: The chat-ops ``team`` fixture: an organization "Acme" with one member per role.
team = chatops_fixtures.team

BUILT_IN_CONSENT_NETWORKS = {"x", "facebook", "linkedin"}
PLUGIN = "tests.fakes.loopback_network:plugin"


@pytest.fixture(autouse=True)
def _every_network_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")
    monkeypatch.setenv("POSTFLOW_PUBLIC_URL", "https://postflow.example")
    for name, value in (("X_CLIENT_ID", "x-id"), ("X_CLIENT_SECRET", "x-secret"),
                        ("FACEBOOK_APP_ID", "1234567890"), ("FACEBOOK_APP_SECRET", "fb-secret"),
                        ("LINKEDIN_CLIENT_ID", "li-id"), ("LINKEDIN_CLIENT_SECRET", "li-secret")):
        monkeypatch.setenv(f"POSTFLOW_{name}", value)
    monkeypatch.setenv(URL_VARIABLE, "http://127.0.0.1:9")


@pytest.fixture(params=["built-in", "with a plugin"])
def plugin(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """Run each test with the built-in networks only, then with a plugin's network added."""
    if request.param == "built-in":
        return None
    monkeypatch.setenv("POSTFLOW_PROVIDER_PLUGINS", PLUGIN)
    return "loopback"


@pytest.fixture
def settings(plugin: str | None) -> Settings:
    """The settings the environment gives, as the CLI reads them."""
    return Settings()


def registry_consent_networks() -> list[str]:
    async def read() -> list[str]:
        rt = await open_runtime(Settings())
        try:
            return rt.providers.consent_networks()
        finally:
            await rt.store.close()

    return asyncio.run(read())


def expected_networks(plugin: str | None) -> set[str]:
    return BUILT_IN_CONSENT_NETWORKS | ({plugin} if plugin else set())


def test_cli_connect_takes_every_consent_network_of_the_registry(
        capsys: pytest.CaptureFixture[str], plugin: str | None) -> None:
    networks = registry_consent_networks()
    run_cli(capsys, "org", "create", "Acme")

    assert set(networks) == expected_networks(plugin)
    for network in networks:
        result = run_cli(capsys, "connect", network, "--org", "Acme", "--json")
        assert result.code == 0, (network, result.err)
        assert urlsplit(result.json()["url"]).path == f"/oauth/{network}/start"


def test_cli_connect_names_what_the_network_connects(
        capsys: pytest.CaptureFixture[str], plugin: str | None) -> None:
    run_cli(capsys, "org", "create", "Acme")

    result = run_cli(capsys, "connect", "linkedin", "--org", "Acme")

    assert result.code == 0, result.err
    assert result.out.startswith("Open this link in a browser to connect a LinkedIn profile ")


def test_cli_connect_refuses_an_unknown_network_listing_the_offered_ones(
        capsys: pytest.CaptureFixture[str], plugin: str | None) -> None:
    run_cli(capsys, "org", "create", "Acme")

    result = run_cli(capsys, "connect", "myspace", "--org", "Acme", "--json")

    assert result.code == 2
    message = result.json()["error"]["message"]
    assert "'myspace'" in message
    assert all(network in message for network in expected_networks(plugin))


async def test_chat_help_names_every_consent_network_of_the_registry(
        rt: Runtime, team: Team, plugin: str | None) -> None:
    reply = await run_command(rt, None, team.member, "help")

    connect = next(item for item in reply.items if item.title.startswith("`/postflow connect"))
    assert set(rt.providers.consent_networks()) == expected_networks(plugin)
    for network in [*rt.providers.consent_networks(), "sandbox"]:
        assert f"`{network}` ({rt.providers.account_noun(network)})" in connect.lines[0]


async def test_chat_connect_without_a_network_lists_them(rt: Runtime, team: Team,
                                                         plugin: str | None) -> None:
    reply = await run_command(rt, None, team.admin, "connect")

    assert reply.error
    for network in expected_networks(plugin):
        assert f"`{network}`" in reply.text
