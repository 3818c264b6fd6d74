"""Discord's interactions endpoint acts only on requests Discord signed: a forged, unsigned,
wrongly keyed, stale or replayed request is 401 (what Discord expects; it sends such requests
itself to test an endpoint) before its body is parsed, and writes nothing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from composition.hub import build_hub
from composition.runtime import open_runtime
from postflow.config import Settings
from postflow.errors import ConfigurationError
from postflow.organizations import Organization, Role
from postflow.runtime import Runtime
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.hub.conftest import Broker, RecordingQueue, error_code
from tests.hub.discord_sender import *  # noqa: F403
from tests.hub.discord_sender import (
    GUILD_ID,
    MEMBER_ID,
    DiscordSender,
    command_payload,
    is_member,
    seen_signatures,
    subcommand,
)

ROLE_COMMAND = json.dumps(command_payload(subcommand(
    "role", {"type": 6, "name": "person", "value": MEMBER_ID},
    {"type": 3, "name": "role", "value": "member"}))).encode()


async def refused(discord: DiscordSender, headers: dict[str, str],
                  body: bytes = ROLE_COMMAND) -> None:
    response = await discord.post(body, headers=headers)
    assert response.status == 401, headers
    assert await error_code(response) == "unauthorized"
    assert "Traceback" not in await response.text()


async def nothing_written(rt: Runtime, clock: ManualClock, org: Organization) -> bool:
    return not await is_member(rt, org, MEMBER_ID) and await seen_signatures(rt, clock) == 0


async def test_a_signed_command_is_acted_on(rt: Runtime, discord: DiscordSender,
                                           guild_org: Organization) -> None:
    response = await discord.post(ROLE_COMMAND)
    assert response.status == 200
    assert await is_member(rt, guild_org, MEMBER_ID)


async def test_a_forged_signature_is_refused(rt: Runtime, clock: ManualClock,
                                             discord: DiscordSender,
                                             guild_org: Organization) -> None:
    signed_other = discord.headers(b'{"type": 1}')
    await refused(discord, signed_other)
    zeros = discord.headers(ROLE_COMMAND) | {"X-Signature-Ed25519": "0" * 128}
    await refused(discord, zeros)
    assert await nothing_written(rt, clock, guild_org)


async def test_a_wrong_key_is_refused(rt: Runtime, clock: ManualClock, discord: DiscordSender,
                                      guild_org: Organization) -> None:
    await refused(discord, discord.headers(ROLE_COMMAND, key=Ed25519PrivateKey.generate()))
    assert await nothing_written(rt, clock, guild_org)


async def test_missing_or_malformed_headers_are_refused(
        rt: Runtime, clock: ManualClock, discord: DiscordSender,
        guild_org: Organization) -> None:
    good = discord.headers(ROLE_COMMAND)
    signature, timestamp = good["X-Signature-Ed25519"], good["X-Signature-Timestamp"]
    for changed in ({"X-Signature-Ed25519": None}, {"X-Signature-Timestamp": None},
                    {"X-Signature-Ed25519": None, "X-Signature-Timestamp": None},
                    {"X-Signature-Ed25519": signature[:-1]},
                    {"X-Signature-Ed25519": signature + "00"},
                    {"X-Signature-Ed25519": signature[:-2] + "zz"},
                    {"X-Signature-Ed25519": signature[:-1] + "\u0661"},
                    {"X-Signature-Ed25519": ""},
                    {"X-Signature-Timestamp": ""},
                    {"X-Signature-Timestamp": "+" + timestamp},
                    {"X-Signature-Timestamp": timestamp + ".0"},
                    {"X-Signature-Timestamp": "\u0661" * 10},
                    {"X-Signature-Timestamp": "9" * 400}):
        headers = {k: v for k, v in (good | changed).items() if v is not None}
        await refused(discord, headers)
    assert await nothing_written(rt, clock, guild_org)


@pytest.mark.parametrize("offset", [-301, 301, -10**9])
async def test_a_timestamp_more_than_five_minutes_off_is_refused(
        rt: Runtime, clock: ManualClock, discord: DiscordSender, guild_org: Organization,
        offset: int) -> None:
    now = int(clock.now().timestamp())
    await refused(discord, discord.headers(ROLE_COMMAND, timestamp=max(now + offset, 0)))
    assert await nothing_written(rt, clock, guild_org)


async def test_a_timestamp_within_five_minutes_is_accepted(
        rt: Runtime, clock: ManualClock, discord: DiscordSender) -> None:
    now = int(clock.now().timestamp())
    for offset in (-300, 300):
        response = await discord.post({"type": 1}, timestamp=now + offset)
        assert response.status == 200


async def test_a_replayed_request_is_refused_and_acted_on_once(
        rt: Runtime, clock: ManualClock, discord: DiscordSender,
        guild_org: Organization) -> None:
    headers = discord.headers(ROLE_COMMAND)
    first = await discord.post(ROLE_COMMAND, headers=headers)
    assert first.status == 200
    # Made Admin since: a replay acted on would make them Member again.
    member = await rt.store.find_member(guild_org.id, "discord", GUILD_ID, MEMBER_ID)
    assert member is not None
    await rt.store.update_member(member.model_copy(update={"role": Role.ADMIN}))
    await refused(discord, headers)
    upper = headers | {"X-Signature-Ed25519": headers["X-Signature-Ed25519"].upper()}
    await refused(discord, upper)
    clock.advance(seconds=299)
    await refused(discord, headers)
    member = await rt.store.find_member(guild_org.id, "discord", GUILD_ID, MEMBER_ID)
    assert member is not None and member.role is Role.ADMIN
    assert await seen_signatures(rt, clock) == 1


def test_a_public_key_that_is_not_one_stops_the_hub(tmp_path: Path) -> None:
    async def build() -> None:
        settings = Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                            http_port=0, discord_public_key="not-a-key")
        rt = await open_runtime(settings)
        try:
            build_hub(rt, RecordingQueue(), Broker().ping)
        finally:
            await rt.store.close()

    with pytest.raises(ConfigurationError, match="POSTFLOW_DISCORD_PUBLIC_KEY"):
        asyncio.run(build())
