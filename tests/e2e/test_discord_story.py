"""The whole Discord story against ``postflow up`` in this process (the real hub on loopback,
the embedded worker and scheduler, and the gateway bot connected to the fake Discord):

a new server added through the install link with a redirect (the OAuth callback makes it an
organization; the gateway's GUILD_CREATE for it afterwards changes nothing) -> ``/postflow
connect sandbox`` -> ``/postflow new`` (its modal, the account picked, Submit) by a Member ->
its review card in the review channel ->
two approvals (quorum 2) -> published to the sandbox -> the "published" notice in the card's
thread. Commands and presses go through the HTTP interactions endpoint, signed, on the real
clock; the answers are handed to the fake Discord's interaction callback as Discord does."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
import yarl
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from discord.gateway import DiscordWebSocket

from postflow.config import Settings
from postflow.organizations import Role
from postflow.posts import PostStatus
from postflow.runtime import Runtime
from postflow.usecases.organizations import change_plan
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.discord_api import FakeDiscord, FakeMessage
from tests.fakes.serving import serving
from tests.hub.discord_sender import public_key_hex
from tests.workers.scenario import eventually, post_in_status

GUILD, REVIEWS = "620000000000000001", "620000000000000010"
OWNER, ADA, BO, MO = ("620000000000000101", "620000000000000102", "620000000000000103",
                      "620000000000000104")
MANAGE_GUILD = str(1 << 5)
PUBLIC_URL = "http://127.0.0.1:8080"


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    for user_id, name in ((OWNER, "olga"), (ADA, "ada"), (BO, "bo"), (MO, "mo")):
        fake.users[user_id] = name
    async with serving(fake.app()) as url:
        fake.base_url = url
        yield fake


@pytest.fixture
def discord_py_on_the_fake(fake_discord: FakeDiscord) -> Iterator[None]:
    """The gateway bot ``postflow up`` runs connects to the fake's gateway."""
    gateway = DiscordWebSocket.DEFAULT_GATEWAY
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake_discord.gateway_url)
    try:
        yield
    finally:
        DiscordWebSocket.DEFAULT_GATEWAY = gateway


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def settings(tmp_path: Path, fake_discord: FakeDiscord, key: Ed25519PrivateKey,
             discord_py_on_the_fake: None) -> Settings:
    """Discord only: the bot, the HTTP endpoint and the install (overrides tests/conftest.py)."""
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url=PUBLIC_URL,
                    discord_public_key=public_key_hex(key),
                    discord_bot_token=fake_discord.bot_token,  # type: ignore[arg-type]
                    discord_application_id=fake_discord.application_id,
                    discord_client_secret=fake_discord.client_secret,  # type: ignore[arg-type]
                    discord_api_url=fake_discord.api_url)


class Discord:
    """What Discord sends to the hub's endpoint, signed on the real clock, and its answers
    applied by the fake (a type 7 edits the pressed message)."""

    def __init__(self, hub_url: str, fake: FakeDiscord, key: Ed25519PrivateKey) -> None:
        self.hub_url, self.fake, self.key = hub_url, fake, key

    async def send(self, payload: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(payload).encode()
        when = str(int(time.time()))
        headers = {"X-Signature-Ed25519": self.key.sign(when.encode() + body).hex(),
                   "X-Signature-Timestamp": when, "Content-Type": "application/json"}
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{self.hub_url}/discord/interactions", data=body,
                                 headers=headers) as response:
                assert response.status == 200, await response.text()
                answer: dict[str, Any] = await response.json()
            async with http.post(f"{self.fake.api_url}/interactions/{payload['id']}/"
                                 f"{payload['token']}/callback", data=json.dumps(answer),
                                 headers={"Content-Type": "application/json"}):
                pass
        return answer

    async def command(self, user_id: str, *options: dict[str, Any],
                      permissions: str = "0") -> str:
        """``/postflow`` with its subcommand (and group) as Discord nests them."""
        payload = self.fake.slash_command(GUILD, user_id, "x", channel_id=REVIEWS,
                                          permissions=permissions)
        payload["data"]["options"] = list(options)
        return str((await self.send(payload))["data"].get("content", ""))

    async def press(self, user_id: str, message: FakeMessage, custom_id: str, *,
                    permissions: str = "0") -> dict[str, Any]:
        return await self.send(self.fake.button_press(
            GUILD, user_id, custom_id, channel_id=message.channel_id, message=message.data,
            permissions=permissions))


def sub(name: str, **values: Any) -> dict[str, Any]:
    """A subcommand with options (strings, or (type, value) pairs)."""
    options = [{"name": k, "type": v[0], "value": v[1]} if isinstance(v, tuple)
               else {"name": k, "type": 3, "value": v} for k, v in values.items()]
    return {"name": name, "type": 1, "options": options}


def group(name: str, subcommand: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "type": 2, "options": [subcommand]}


def shown(message: FakeMessage) -> str:
    return json.dumps([message.data.get("content"), message.data.get("embeds")])


async def install_with_the_redirect(hub_url: str, fake: FakeDiscord) -> str:
    """The owner opens the hub's install link, picks the new server on Discord's page and
    accepts; the page the hub shows on their return."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.get(f"{hub_url}/discord/install", allow_redirects=False) as sent:
            assert sent.status == 302
            authorize = parse_qs(urlsplit(sent.headers["Location"]).query)
        fake.add_guild(GUILD, "Acme Social", owner_id=OWNER, channels={REVIEWS: "social"})
        code = fake.authorize(OWNER, GUILD, authorize["redirect_uri"][0])
        async with browser.get(f"{hub_url}/discord/oauth/callback", params={
                "code": code, "state": authorize["state"][0], "guild_id": GUILD,
                "permissions": authorize["permissions"][0]}) as back:
            page = await back.text()
            assert back.status == 200, page
            return page


async def test_a_new_server_installs_reviews_twice_publishes_and_is_told_in_the_thread(
        embedded: str, live_rt: Runtime, fake_discord: FakeDiscord,
        key: Ed25519PrivateKey) -> None:
    rt, fake = live_rt, fake_discord
    await eventually(lambda: fake.gateway.ready or None, what="the gateway bot connected")

    # Install: the OAuth callback makes the server an organization, its owner the Owner.
    assert "Acme Social" in await install_with_the_redirect(embedded, fake)
    installation = await rt.store.find_chat_installation("discord", GUILD)
    assert installation is not None
    org = await rt.store.get_organization(installation.org_id)
    owner = await rt.store.find_member(org.id, "discord", GUILD, OWNER)
    assert owner is not None and owner.role is Role.OWNER
    # Discord also tells the connected bot (GUILD_CREATE): still the one organization.
    await fake.join_guild(GUILD, "Acme Social", owner_id=OWNER, channels={REVIEWS: "social"})
    await eventually(lambda: fake.gateway.dispatched("GUILD_CREATE") or None)
    assert [o.id for o in await rt.store.list_organizations()] == [org.id]
    await change_plan(rt, org.id, "pro", actor="test")  # a quorum of 2 needs Pro

    # Set-up by the Owner; Ada and Bo (Manage Server) become Admins at their first command.
    chat = Discord(embedded, fake, key)
    for admin in (ADA, BO):
        assert "You are Admin" in await chat.command(admin, sub("help"),
                                                     permissions=MANAGE_GUILD)

    async def set_up(*options: dict[str, Any], says: str) -> bool:
        # The hub may see the plan change up to two seconds late (its read cache).
        return says in await chat.command(OWNER, *options)

    await eventually(lambda: set_up(group("settings", sub("approval", change="quorum 2")),
                                    says="2"), what="the quorum set")
    await chat.command(OWNER, group("settings", sub("review-channel",
                                                    channel=(7, REVIEWS))))
    assert "sandbox" in (await chat.command(OWNER, sub("connect", network="sandbox"))).lower()
    [connection] = await rt.store.list_connections(org.id)

    # /postflow new -> the modal -> the composer message; Mo (a Member) picks the account
    # and submits: for review, now.
    opened = await chat.send(chat.fake.slash_command(GUILD, MO, "new", channel_id=REVIEWS))
    assert opened["type"] == 9  # a modal
    form = fake.modal_submit(GUILD, MO, opened["data"]["custom_id"],
                             {"text": "Launch day, from Discord!"}, channel_id=REVIEWS)
    await chat.send(form)
    composer = fake.interactions[form["id"]].original
    assert composer is not None
    ids = {c.get("placeholder") or c.get("label"): c["custom_id"]
           for row in composer.data["components"] for c in row["components"]}
    assert "Review" not in ids  # a Member's post is always reviewed
    pick = fake.button_press(GUILD, MO, ids["Accounts to publish to"], channel_id=REVIEWS,
                             message=composer.data)
    pick["data"] = {"custom_id": ids["Accounts to publish to"], "component_type": 3,
                    "values": [connection.id]}
    await chat.send(pick)
    await chat.press(MO, fake.messages[composer.id], ids["Submit"])
    [post] = await eventually(lambda: rt.store.list_posts(org.id), what="the composed post")
    assert post.status is PostStatus.IN_REVIEW
    assert post.created_by == f"discord:{GUILD}:{MO}"

    # The review card in the review channel; two Admins approve.
    card = await eventually(lambda: [m for m in fake.messages_in(REVIEWS)
                                     if "Launch day, from Discord!" in shown(m)
                                     and m.data.get("components")] or None,
                            what="the review card")
    [card_message] = card
    [approve] = [b["custom_id"] for row in card_message.data["components"]
                 for b in row["components"] if b["custom_id"].startswith("pf:r:approve:")]
    first = await chat.press(ADA, card_message, approve)
    second = await chat.press(BO, fake.messages[card_message.id], approve)
    assert {first["type"], second["type"]} <= {6, 7}

    # Scheduled (due now) -> published to the sandbox by the embedded worker.
    done = await post_in_status(rt, post, PostStatus.PUBLISHED, PostStatus.FAILED, timeout=20)
    assert done.status is PostStatus.PUBLISHED
    assert "Approved" in shown(fake.messages[card_message.id])

    # The "published" notice in the card's thread (through the chat queue: polled).
    notices = await eventually(lambda: [shown(m) for m in fake.messages_in(card_message.id)
                                        if "live" in shown(m)] or None, timeout=20,
                               what="the published notice in the card's thread")
    assert any(post.id in text for text in notices)
