"""The fake Discord (tests/fakes/discord_api.py) driven by real discord.py: login, READY,
command sync, slash commands and persistent buttons over the gateway, RESUME, 429 retries,
interaction webhooks, channel messages, threads and DMs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

from tests.fakes.discord_api import FakeDiscord, FakeInteraction
from tests.fakes.discord_gateway import IDENTIFY, RESUME
from tests.fakes.serving import serving
from tests.polling import eventually

GUILD, CHANNEL, USER = "500000000000000001", "500000000000000002", "500000000000000003"
DISCORD_TIMEOUT = 5.0

# No voice here: keep its start-up log lines out.
discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False


class GoView(discord.ui.View):
    """A persistent view: every item has a custom id, no timeout."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Go", custom_id="postflow:go")
    async def go(self, interaction: discord.Interaction, button: discord.ui.Button[GoView]
                 ) -> None:
        await interaction.response.send_message("went", ephemeral=True)


class Composer(discord.ui.Modal, title="New post"):
    text: discord.ui.TextInput[Composer] = discord.ui.TextInput(label="Text",
                                                                custom_id="postflow:text")

    def __init__(self) -> None:
        super().__init__(custom_id="postflow:compose")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"drafted: {self.text.value}", ephemeral=True)


class PostflowBot(discord.Client):
    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.is_up = asyncio.Event()
        self.joined: list[str] = []
        self.removed: list[str] = []
        group = app_commands.Group(name="postflow", description="Post flow commands")

        @group.command(name="help", description="Show help")
        async def help_command(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("postflow help text", ephemeral=True)

        @group.command(name="queue", description="Show the queue")
        async def queue_command(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.edit_original_response(content="queue: empty")
            followup = await interaction.followup.send("page 2", ephemeral=True, wait=True)
            await followup.edit(content="page 2 (edited)")
            gone = await interaction.followup.send("scratch", ephemeral=True, wait=True)
            await gone.delete()

        @group.command(name="new", description="Compose a post")
        async def new_command(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(Composer())

        self.tree.add_command(group)

    async def setup_hook(self) -> None:
        self.add_view(GoView())

    async def on_ready(self) -> None:
        self.is_up.set()

    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.joined.append(str(guild.id))

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        self.removed.append(str(guild.id))

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False
                                   ) -> None:
        """No 5 s pause before a fresh IDENTIFY in tests."""


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    fake.add_guild(GUILD, channels={CHANNEL: "general"})
    fake.users[USER] = "ada"
    base, gateway = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    try:
        async with serving(fake.app()) as url:
            fake.base_url = url
            discord.http.Route.BASE = fake.api_url
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
            yield fake
    finally:
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[PostflowBot]:
    """A bot logged in and ready; closed before the fake stops (else it keeps reconnecting)."""
    client = PostflowBot()
    task = asyncio.create_task(client.start(fake.bot_token))
    try:
        await eventually(lambda: client.is_up.is_set() or _failed(task),
                         timeout=DISCORD_TIMEOUT, what="on_ready")
        yield client
    finally:
        await client.close()
        await task


def _failed(task: asyncio.Task[None]) -> bool:
    if task.done():
        raise AssertionError(f"the bot stopped: {task.exception()!r}")
    return False


async def test_a_bad_token_is_refused_at_login(fake: FakeDiscord) -> None:
    client = PostflowBot()
    try:
        with pytest.raises(discord.LoginFailure):
            await client.login("not-the-token")
    finally:
        await client.close()
    assert fake.calls_to("GET /users/@me")[0].auth == "Bot not-the-token"


async def test_the_bot_logs_in_identifies_and_sees_its_guild(fake: FakeDiscord,
                                                             bot: PostflowBot) -> None:
    assert bot.user is not None and str(bot.user.id) == fake.bot_user_id
    assert str(bot.application_id) == fake.application_id
    channel = bot.get_channel(int(CHANNEL))
    assert isinstance(channel, discord.TextChannel) and str(channel.guild.id) == GUILD
    assert fake.gateway.ops(IDENTIFY)[0]["d"]["token"] == fake.bot_token
    assert [p["t"] for p in fake.gateway.sent if p["op"] == 0] == ["READY", "GUILD_CREATE"]


async def test_a_guild_sync_records_the_command_group(fake: FakeDiscord,
                                                      bot: PostflowBot) -> None:
    guild = discord.Object(int(GUILD))
    bot.tree.copy_global_to(guild=guild)
    synced = await bot.tree.sync(guild=guild)

    assert [c.name for c in synced] == ["postflow"]
    definition = fake.commands[GUILD][0]
    assert definition["name"] == "postflow"
    assert {o["name"] for o in definition["options"]} == {"help", "new", "queue"}
    assert None not in fake.commands  # nothing global
    call = fake.calls_to("PUT /applications/{app_id}/guilds/{guild_id}/commands")[0]
    assert call.auth == f"Bot {fake.bot_token}"


async def test_a_global_sync_is_kept_and_listed(fake: FakeDiscord, bot: PostflowBot) -> None:
    await bot.tree.sync()

    assert [c["name"] for c in fake.commands[None]] == ["postflow"]
    assert [c.name for c in await bot.tree.fetch_commands()] == ["postflow"]
    assert fake.commands.get(GUILD) is None


async def test_a_slash_command_is_answered_with_a_type_4_callback(fake: FakeDiscord,
                                                                  bot: PostflowBot) -> None:
    interaction = await _answered(fake, fake.slash_command(GUILD, USER, "help",
                                                           channel_id=CHANNEL))
    assert interaction.callbacks == [
        {"type": 4, "data": {"tts": False, "content": "postflow help text", "flags": 64}}]
    assert interaction.original is not None
    assert interaction.original.data["content"] == "postflow help text"


async def test_a_persistent_button_press_reaches_its_view(fake: FakeDiscord,
                                                          bot: PostflowBot) -> None:
    interaction = await _answered(fake, fake.button_press(GUILD, USER, "postflow:go",
                                                          channel_id=CHANNEL))
    [callback] = interaction.callbacks
    assert callback["type"] == 4 and callback["data"]["content"] == "went"


async def test_a_modal_is_opened_and_its_submission_answered(fake: FakeDiscord,
                                                              bot: PostflowBot) -> None:
    opened = await _answered(fake, fake.slash_command(GUILD, USER, "new", channel_id=CHANNEL))
    [callback] = opened.callbacks
    assert callback["type"] == 9 and callback["data"]["custom_id"] == "postflow:compose"

    submitted = await _answered(fake, fake.modal_submit(
        GUILD, USER, "postflow:compose", {"postflow:text": "hello"}, channel_id=CHANNEL))
    assert submitted.callbacks[0]["data"]["content"] == "drafted: hello"


async def test_a_deferral_is_followed_by_edits_and_follow_ups(fake: FakeDiscord,
                                                              bot: PostflowBot) -> None:
    payload = fake.slash_command(GUILD, USER, "queue", channel_id=CHANNEL)
    await fake.gateway.interact(payload)

    interaction = fake.interactions[payload["id"]]
    await eventually(lambda: any(c.method == "DELETE" for c in fake.calls),
                     timeout=DISCORD_TIMEOUT, what="the deleted follow-up")
    assert interaction.callbacks == [{"type": 5, "data": {"flags": 64}}]
    assert interaction.original is not None
    assert interaction.original.data["content"] == "queue: empty"
    assert interaction.original.data["flags"] == 64  # ephemeral, no longer "thinking"
    assert len(interaction.followups) == 1
    assert interaction.followups[0].data["content"] == "page 2 (edited)"


async def test_servers_joined_and_left_reach_the_bot(fake: FakeDiscord,
                                                     bot: PostflowBot) -> None:
    other = "500000000000000009"
    await fake.join_guild(other, "Beta", channels={"500000000000000010": "news"})
    await eventually(lambda: bot.joined == [other], timeout=DISCORD_TIMEOUT, what="on_guild_join")
    assert bot.get_channel(500000000000000010) is not None

    await fake.remove_guild(other)
    await eventually(lambda: bot.removed == [other], timeout=DISCORD_TIMEOUT,
                     what="on_guild_remove")
    assert bot.get_guild(int(other)) is None
    with pytest.raises(discord.Forbidden) as refused:
        await bot.get_partial_messageable(500000000000000010).send("still here?")
    assert refused.value.code == 50001


async def test_a_reconnect_request_leads_to_a_resume(fake: FakeDiscord,
                                                     bot: PostflowBot) -> None:
    [session_id] = fake.gateway.sessions
    await fake.gateway.reconnect()

    resume = await eventually(lambda: fake.gateway.ops(RESUME) or None, timeout=DISCORD_TIMEOUT,
                              what="RESUME")
    assert resume[0]["d"]["session_id"] == session_id
    assert resume[0]["d"]["seq"] == 2  # READY and GUILD_CREATE were seen
    await eventually(lambda: bool(fake.gateway.dispatched("RESUMED")) and fake.gateway.ready,
                     timeout=DISCORD_TIMEOUT, what="RESUMED")
    assert len(fake.gateway.ops(IDENTIFY)) == 1
    await _answered(fake, fake.slash_command(GUILD, USER, "help", channel_id=CHANNEL))


async def test_a_dropped_socket_is_resumed(fake: FakeDiscord, bot: PostflowBot) -> None:
    await fake.gateway.drop()

    await eventually(lambda: bool(fake.gateway.ops(RESUME)) and fake.gateway.ready,
                     timeout=DISCORD_TIMEOUT, what="a resumed session")
    assert fake.gateway.connections == 2
    await _answered(fake, fake.slash_command(GUILD, USER, "help", channel_id=CHANNEL))


async def _answered(fake: FakeDiscord, payload: dict[str, Any]) -> FakeInteraction:
    """Dispatch an INTERACTION_CREATE; the interaction once the bot has answered it."""
    await fake.gateway.interact(payload)
    interaction = fake.interactions[payload["id"]]
    await eventually(lambda: bool(interaction.callbacks), timeout=DISCORD_TIMEOUT,
                     what=f"an answer to interaction {payload['id']}")
    return interaction


async def test_a_429_is_retried_after_retry_after(fake: FakeDiscord, bot: PostflowBot) -> None:
    channel = bot.get_channel(int(CHANNEL))
    assert isinstance(channel, discord.TextChannel)
    fake.rate_limit("POST /channels/{channel_id}/messages", times=1, retry_after=0.05)

    message = await channel.send("hello")

    assert len(fake.calls_to("POST /channels/{channel_id}/messages")) == 2
    assert [m.data["content"] for m in fake.messages_in(CHANNEL)] == ["hello"]
    assert str(message.id) == fake.messages_in(CHANNEL)[0].id


async def test_messages_are_edited_and_threads_started(fake: FakeDiscord,
                                                       bot: PostflowBot) -> None:
    channel = bot.get_channel(int(CHANNEL))
    assert isinstance(channel, discord.TextChannel)
    card = await channel.send("card v1", view=GoView())
    await card.edit(content="card v2")
    thread = await card.create_thread(name="Post 42")
    await thread.send("published")

    assert fake.messages[str(card.id)].data["content"] == "card v2"
    assert fake.messages[str(card.id)].data["components"][0]["components"][0]["custom_id"] == (
        "postflow:go")
    assert fake.threads == {str(card.id): "Post 42"}
    assert [m.data["content"] for m in fake.messages_in(str(thread.id))] == ["published"]


async def test_dms_open_and_closed_dms_are_refused(fake: FakeDiscord, bot: PostflowBot) -> None:
    dm = await bot.create_dm(discord.Object(int(USER)))
    await dm.send("your post is live")
    assert [m.data["content"] for m in fake.messages_in(str(dm.id))] == ["your post is live"]

    fake.dms_closed.add(USER)
    with pytest.raises(discord.Forbidden) as refused:
        await dm.send("again")
    assert refused.value.code == 50007


async def test_every_answer_carries_rate_limit_headers(fake: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as http, http.get(
            f"{fake.api_url}/users/@me", headers={"Authorization": "Bot wrong"}) as answer:
        assert answer.status == 401
        assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset-After",
                "X-RateLimit-Bucket"} <= set(answer.headers)


async def test_a_late_or_second_callback_is_refused(fake: FakeDiscord) -> None:
    now = [100.0]
    fake.clock = lambda: now[0]
    late, answered = (fake.slash_command(GUILD, USER, "help") for _ in range(2))
    now[0] += 3.5
    on_time = fake.interactions[answered["id"]]
    on_time.created = now[0]
    async with aiohttp.ClientSession() as http:
        assert await _callback(http, fake, late) == (404, 10062)
        assert await _callback(http, fake, answered) == (200, None)
        assert await _callback(http, fake, answered) == (400, 40060)
    assert fake.interactions[late["id"]].callbacks == []
    assert len(on_time.callbacks) == 1 and len(on_time.refused) == 1


async def _callback(http: aiohttp.ClientSession, fake: FakeDiscord,
                    payload: dict[str, Any]) -> tuple[int, int | None]:
    url = f"{fake.api_url}/interactions/{payload['id']}/{payload['token']}/callback"
    async with http.post(url, json={"type": 4, "data": {"content": "hi"}}) as answer:
        return answer.status, (await answer.json()).get("code")


async def test_a_webhook_edit_before_the_callback_waits_for_it(
        fake: FakeDiscord) -> None:
    payload = fake.modal_submit(GUILD, USER, "pf:c:m:x", {"text": "hi"}, channel_id=CHANNEL)
    url = f"{fake.api_url}/webhooks/{fake.application_id}/{payload['token']}/messages/@original"
    async with aiohttp.ClientSession() as session:
        edit = asyncio.create_task(session.patch(url, json={"content": "done"}))
        # The edit arrives before Discord took the HTTP answer: it waits for it.
        await eventually(lambda: fake.calls_to(
            "PATCH /webhooks/{app_id}/{token}/messages/{message_id}"), what="the edit")
        callback = f"{fake.api_url}/interactions/{payload['id']}/{payload['token']}/callback"
        async with session.post(callback, json={"type": 5, "data": {"flags": 64}}) as taken:
            assert taken.status == 200
        async with await edit as answer:
            assert answer.status == 200
    original = fake.interactions[payload["id"]].original
    assert original is not None
    assert original.data["content"] == "done" and original.data["flags"] == 64


async def test_an_attachment_is_served_at_its_url_and_counted(fake: FakeDiscord) -> None:
    attachment = fake.add_attachment("a.png", "image/png", b"\x89PNG-bytes")
    async with aiohttp.ClientSession() as session, session.get(attachment["url"]) as answer:
        assert answer.headers["Content-Type"] == "image/png"
        assert await answer.read() == b"\x89PNG-bytes"
    assert fake.attachment_downloads == [attachment["id"]]
