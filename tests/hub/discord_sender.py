"""Discord's side of the interactions endpoint in tests: a real Ed25519 key pair made in the
test, interaction payloads shaped like Discord's, and a sender that signs them the way Discord
does (the key over ``X-Signature-Timestamp`` + the raw body)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from postflow.chatops.install import WorkspaceOwner, link_or_create
from postflow.config import Settings
from postflow.organizations import ChatIdentity, Organization
from postflow.runtime import Runtime
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.hub.conftest import HubClient, running_hub

GUILD_ID = "81384788765712384"
OWNER_ID = "80351110224678912"
MEMBER_ID = "53908232506183680"
PATH = "/discord/interactions"


def public_key_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def command_payload(*options: dict[str, Any], user_id: str = OWNER_ID,
                    guild_id: str | None = GUILD_ID, name: str = "postflow") -> dict[str, Any]:
    """An APPLICATION_COMMAND interaction as Discord sends it from a server (or, without
    ``guild_id``, from direct messages)."""
    user = {"id": user_id, "username": "ada", "global_name": "Ada"}
    payload: dict[str, Any] = {
        "id": "1", "application_id": "2", "type": 2, "token": "interaction-token",
        "version": 1, "channel_id": "41771983423143937",
        "data": {"id": "3", "name": name, "type": 1, "options": list(options)}}
    if guild_id is None:
        payload["user"] = user
    else:
        payload |= {"guild_id": guild_id, "member": {"user": user, "nick": None, "roles": []}}
    return payload


def subcommand(name: str, *options: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "name": name, "options": list(options)}


@dataclass
class DiscordSender:
    client: HubClient
    clock: ManualClock
    key: Ed25519PrivateKey

    def headers(self, body: bytes, *, key: Ed25519PrivateKey | None = None,
                timestamp: int | None = None) -> dict[str, str]:
        when = str(int(self.clock.now().timestamp()) if timestamp is None else timestamp)
        signature = (key or self.key).sign(when.encode() + body)
        return {"X-Signature-Ed25519": signature.hex(), "X-Signature-Timestamp": when,
                "Content-Type": "application/json"}

    async def post(self, payload: dict[str, Any] | bytes, *,
                   headers: dict[str, str] | None = None, **sign_args: Any) -> ClientResponse:
        """POST the payload (JSON-encoded unless bytes), signed unless ``headers`` are given."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return await self.client.post(PATH, data=body,
                                      headers=self.headers(body, **sign_args)
                                      if headers is None else headers)


@pytest.fixture
def discord_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def settings(tmp_path: Path, discord_key: Ed25519PrivateKey) -> Settings:
    """The hub with Discord's interactions endpoint served."""
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080",
                    discord_public_key=public_key_hex(discord_key),
                    discord_api_url="http://127.0.0.1:9")


@pytest.fixture
async def discord(rt: Runtime, clock: ManualClock,
                  discord_key: Ed25519PrivateKey) -> AsyncIterator[DiscordSender]:
    async with running_hub(rt) as client:
        yield DiscordSender(client, clock, discord_key)


@pytest.fixture
async def guild_org(rt: Runtime) -> Organization:
    """An organization the test server is linked to, with its owner as Owner."""
    linked = await link_or_create(
        rt, "discord", GUILD_ID, "Acme server",
        WorkspaceOwner(ChatIdentity(platform="discord", workspace_id=GUILD_ID,
                                    user_id=OWNER_ID)), actor="test")
    return linked.org


async def seen_signatures(rt: Runtime, clock: ManualClock) -> int:
    """How many signatures are on record (purging them all: call it once, at the end)."""
    return await rt.store.purge_seen_signatures(clock.now() + timedelta(days=1))


async def is_member(rt: Runtime, org: Organization, user_id: str) -> bool:
    return await rt.store.find_member(org.id, "discord", GUILD_ID, user_id) is not None
