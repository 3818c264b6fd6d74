"""Discord fixtures for review cards, notices and button presses: the fake Discord on loopback
(tests/fakes/discord_api.py), settings pointing the bot's delivery at it, the real hub serving
``/discord/interactions``, and a server linked to an organization with one person per role.

A press goes the way Discord sends it: the fake builds the interaction (``button_press``,
``modal_submit``), the hub gets it signed, and the hub's answer is handed back to the fake's
interaction callback the way Discord applies it (type 7 edits the pressed message)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from postflow.chatops.callers import Caller
from postflow.chatops.commands import run_command
from postflow.chatops.install import WorkspaceOwner, link_or_create
from postflow.config import Settings
from postflow.organizations import ChatChannel, ChatIdentity, Organization, Role
from postflow.runtime import Runtime
from postflow.usecases.organizations import add_member
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.fakes.discord_api import FakeDiscord, FakeMessage
from tests.fakes.serving import serving
from tests.hub.conftest import running_hub
from tests.hub.discord_sender import DiscordSender, public_key_hex

GUILD = "600000000000000001"
REVIEWS = "600000000000000010"  # the review channel, where commands are typed
NOTICES = "600000000000000011"
OWNER, ADMIN, MEMBER, VIEWER = ("600000000000000101", "600000000000000102",
                                "600000000000000103", "600000000000000104")
OTHER_GUILD = "600000000000000002"
OTHER_CHANNEL = "600000000000000020"
OTHER_OWNER = "600000000000000201"


def identity(user_id: str, guild_id: str = GUILD) -> ChatIdentity:
    return ChatIdentity(platform="discord", workspace_id=guild_id, user_id=user_id)


def actor(user_id: str, guild_id: str = GUILD) -> str:
    return f"discord:{guild_id}:{user_id}"


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    fake.add_guild(GUILD, owner_id=OWNER, channels={REVIEWS: "reviews", NOTICES: "notices"})
    fake.add_guild(OTHER_GUILD, "Other", owner_id=OTHER_OWNER,
                   channels={OTHER_CHANNEL: "general"})
    for user_id in (OWNER, ADMIN, MEMBER, VIEWER, OTHER_OWNER):
        fake.users[user_id] = f"user{user_id[-3:]}"
    async with serving(fake.app()) as url:
        fake.base_url = url
        yield fake


@pytest.fixture
def discord_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def settings(tmp_path: Path, fake_discord: FakeDiscord,
             discord_key: Ed25519PrivateKey) -> Settings:
    """The hub serving Discord's endpoint; the bot's messages go to the fake Discord."""
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080",
                    discord_public_key=public_key_hex(discord_key),
                    discord_bot_token=fake_discord.bot_token,  # type: ignore[arg-type]
                    discord_api_url=fake_discord.api_url)


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    """The server linked to an organization (on a plan with multi-step approval) with an
    Owner, Admin, Member and Viewer, its review channel set."""
    linked = await link_or_create(rt, "discord", GUILD, "Acme",
                                  WorkspaceOwner(identity(OWNER)), actor="test")
    org = linked.org.model_copy(update={"plan": "pro", "review_channel": ChatChannel(
        platform="discord", workspace_id=GUILD, channel_id=REVIEWS)})
    await rt.store.update_organization(org)
    for user_id, role in ((ADMIN, Role.ADMIN), (MEMBER, Role.MEMBER), (VIEWER, Role.VIEWER)):
        await add_member(rt, org.id, identity(user_id), role, actor="test")
    return org


async def command(rt: Runtime, user_id: str, text: str) -> str:
    return (await run_command(rt, None, Caller(identity(user_id), channel_id=REVIEWS),
                              text)).text


@dataclass
class DiscordUser:
    """Presses buttons and submits forms through the hub's endpoint, as Discord does."""

    sender: DiscordSender
    fake: FakeDiscord

    async def press(self, user_id: str, message: FakeMessage, custom_id: str, *,
                    guild_id: str = GUILD) -> dict[str, Any]:
        payload = self.fake.button_press(guild_id, user_id, custom_id,
                                         channel_id=message.channel_id, message=message.data)
        return await self.send(payload)

    async def submit(self, user_id: str, message: FakeMessage, custom_id: str,
                     fields: dict[str, str]) -> dict[str, Any]:
        payload = self.fake.modal_submit(GUILD, user_id, custom_id, fields,
                                         channel_id=message.channel_id)
        payload["message"] = message.data  # a form opened from a button carries its message
        return await self.send(payload)

    async def send(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The hub's answer, applied by the fake the way Discord applies it."""
        response = await self.sender.post(payload)
        assert response.status == 200, await response.text()
        answer: dict[str, Any] = await response.json()
        async with ClientSession() as http:
            await http.post(f"{self.fake.api_url}/interactions/{payload['id']}/"
                            f"{payload['token']}/callback", data=json.dumps(answer),
                            headers={"Content-Type": "application/json"})
        return answer


@pytest.fixture
async def user(rt: Runtime, clock: ManualClock, discord_key: Ed25519PrivateKey,
               fake_discord: FakeDiscord) -> AsyncIterator[DiscordUser]:
    async with running_hub(rt) as client:
        yield DiscordUser(DiscordSender(client, clock, discord_key), fake_discord)


def custom_ids(message: FakeMessage) -> list[str]:
    return [b["custom_id"] for row in message.data["components"] for b in row["components"]]


def button(message: FakeMessage, action: str) -> str:
    [found] = [c for c in custom_ids(message) if c.split(":")[2] == action]
    return found


def shown(message: FakeMessage) -> str:
    """What the message shows, as text: its content, then its embed's parts."""
    parts = [str(message.data.get("content") or "")]
    for embed in message.data.get("embeds") or []:
        parts += [str(embed.get("title", "")), str(embed.get("description", ""))]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields") or []]
        parts.append(str((embed.get("footer") or {}).get("text", "")))
    return "\n".join(p for p in parts if p)


def content(answer: dict[str, Any]) -> str:
    return str((answer.get("data") or {}).get("content", ""))
