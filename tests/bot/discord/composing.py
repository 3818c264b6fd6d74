"""Fixtures of the composer, autocomplete and paging tests (imported by their modules, beside
this folder's conftest): Discord's interactions through the real hub's signed HTTP endpoint
from a server linked to an organization (tests/hub/discord_sender.py), the fake Discord for
what PostFlow sends back (edits of deferred answers, attachment downloads) and fake X for a
network that counts 280 characters and takes uploaded media."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from postflow.config import Settings
from postflow.connections import Connection
from postflow.organizations import Organization
from postflow.providers import ConnectedAccount, TokenSet
from postflow.runtime import Runtime
from postflow.usecases.connections import add_connection, connect_sandbox
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.discord_api import FakeDiscord, FakeMessage
from tests.fakes.x_api import FakeX, running_fake_x, x_settings_fields
from tests.hub.discord_sender import *  # noqa: F403 (its fixtures)
from tests.hub.discord_sender import GUILD_ID, OWNER_ID, DiscordSender, public_key_hex


@pytest.fixture
async def fake_x() -> AsyncIterator[FakeX]:
    async with running_fake_x() as fake:
        yield fake


@pytest.fixture
def settings(tmp_path: Path, discord_key: Ed25519PrivateKey, fake_discord: FakeDiscord,
             fake_x: FakeX) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080",
                    discord_public_key=public_key_hex(discord_key),
                    discord_api_url=fake_discord.api_url, **x_settings_fields(fake_x))


@pytest.fixture
async def sandbox(rt: Runtime, guild_org: Organization) -> Connection:
    return await connect_sandbox(rt, guild_org.id, "acme-sandbox", actor="test")


@pytest.fixture
async def x_account(rt: Runtime, guild_org: Organization) -> Connection:
    tokens = TokenSet(access_token="x-access", scopes=["tweet.write", "media.write"])
    return await add_connection(rt, guild_org.id, "x", ConnectedAccount(
        account_id="2244994945", display_name="acme_dev", tokens=tokens), actor="test")


@dataclass
class ComposerUser:
    """A person in the test server acting through Discord: each interaction is built by the
    fake, signed and posted to the hub, and its answer handed back to the fake as Discord
    would take it (so deferred edits and component messages exist there)."""

    sender: DiscordSender
    fake: FakeDiscord
    user_id: str = OWNER_ID
    #: The id of the last interaction sent.
    last: str = ""

    async def send(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The hub's answer, handed to the fake's callback as Discord applies it."""
        self.last = payload["id"]
        response = await self.sender.post(payload)
        assert response.status == 200, await response.text()
        answer: dict[str, Any] = await response.json()
        callback = f"{self.fake.api_url}/interactions/{payload['id']}/{payload['token']}/callback"
        async with ClientSession() as http, http.post(callback, json=answer) as taken:
            assert taken.status == 200, await taken.text()
        return answer

    def command(self, subcommand: str, *options: dict[str, Any],
                attachments: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
        payload = self.fake.slash_command(GUILD_ID, self.user_id, subcommand, list(options))
        if attachments:
            payload["data"]["resolved"] = {"attachments": {a["id"]: a for a in attachments}}
        return payload

    async def run(self, subcommand: str, *options: dict[str, Any],
                  attachments: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
        return await self.send(self.command(subcommand, *options, attachments=attachments))

    async def submit_form(self, custom_id: str, fields: dict[str, str], *,
                          on_message: str | None = None) -> dict[str, Any]:
        payload = self.fake.modal_submit(GUILD_ID, self.user_id, custom_id, fields)
        if on_message is not None:
            payload["message"] = self.fake.messages[on_message].data
        return await self.send(payload)

    async def press(self, custom_id: str, message_id: str, *,
                    values: list[str] | None = None) -> dict[str, Any]:
        payload = self.fake.button_press(GUILD_ID, self.user_id, custom_id,
                                         message=self.fake.messages[message_id].data)
        if values is not None:
            payload["data"] = {"custom_id": custom_id, "component_type": 3, "values": values}
        return await self.send(payload)

    def shown(self) -> FakeMessage:
        """The message the last interaction's answer made or updated, as Discord holds it."""
        original = self.fake.interactions[self.last].original
        assert original is not None
        return original


@pytest.fixture
def owner(discord: DiscordSender, fake_discord: FakeDiscord) -> ComposerUser:
    return ComposerUser(discord, fake_discord)


def component_ids(message: dict[str, Any]) -> dict[str, str]:
    """A message's components by label or placeholder -> custom id."""
    found = {}
    for row in message.get("components") or []:
        for component in row.get("components") or []:
            name = component.get("label") or component.get("placeholder")
            found[name] = component["custom_id"]
    return found
