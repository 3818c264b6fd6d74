"""Discord's chat delivery against the fake Discord (tests/fakes/discord_api.py): a neutral
message becomes a channel message (a card as an embed with buttons), a thread reply, an edit or
a direct message, and each answer Discord gives becomes one of the closed outcomes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.discord.card_render import (
    BUTTONS_MAX,
    EMBED_TOTAL_MAX,
    MESSAGE_MAX,
    ROW_BUTTONS_MAX,
    button_of,
)
from bot.discord.chat_delivery import DiscordChatDelivery, discord_chat_delivery
from postflow.chat.delivery import DeliveryOutcome
from postflow.chat.messages import (
    ButtonStyle,
    ChatButton,
    ChatCard,
    ChatDestination,
    ChatMessage,
)
from postflow.config import Settings
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.serving import serving

GUILD, CHANNEL, USER = "500000000000000001", "500000000000000002", "500000000000000003"
POST_MESSAGE = "POST /channels/{channel_id}/messages"
TO_CHANNEL = ChatDestination("discord", GUILD, channel_id=CHANNEL)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    fake.add_guild(GUILD, channels={CHANNEL: "general"})
    fake.users[USER] = "ada"
    async with serving(fake.app()) as url:
        fake.base_url = url
        yield fake


@pytest.fixture
def delivery(fake: FakeDiscord) -> DiscordChatDelivery:
    settings = Settings(discord_bot_token=fake.bot_token, discord_api_url=fake.api_url)
    return discord_chat_delivery(settings)


def review_card() -> ChatCard:
    return ChatCard(
        key="review:42", title="Review: Launch post", paragraphs=("We launch today.", "Say yes."),
        fields=(("Networks", "X, LinkedIn"), ("When", "tomorrow 09:00")),
        context=("Requested by Ada", "2 approvals needed"),
        buttons=(ChatButton("postflow-review:approve", "Approve", value="42",
                            style=ButtonStyle.PRIMARY),
                 ChatButton("postflow-review:changes", "Request changes", value="42"),
                 ChatButton("postflow-review:reject", "Reject", value="42",
                            style=ButtonStyle.DANGER)))


async def test_a_card_is_posted_as_an_embed_with_buttons(
        fake: FakeDiscord, delivery: DiscordChatDelivery) -> None:
    result = await delivery.deliver(ChatMessage(TO_CHANNEL, "Review: Launch post",
                                                card=review_card()))

    assert result.outcome is DeliveryOutcome.SENT
    assert result.reference is not None
    stored = fake.messages[result.reference.message_id]
    assert (result.reference.platform, result.reference.workspace_id,
            result.reference.channel_id) == ("discord", GUILD, CHANNEL)
    assert stored.channel_id == CHANNEL
    assert fake.calls_to(POST_MESSAGE)[0].auth == f"Bot {fake.bot_token}"
    [embed] = stored.data["embeds"]
    assert embed["title"] == "Review: Launch post"
    assert embed["description"] == "We launch today.\n\nSay yes."
    assert [(f["name"], f["value"]) for f in embed["fields"]] == [
        ("Networks", "X, LinkedIn"), ("When", "tomorrow 09:00")]
    assert embed["footer"]["text"] == "Requested by Ada\n2 approvals needed"
    [row] = stored.data["components"]
    assert [(b["label"], b["style"], b["custom_id"]) for b in row["components"]] == [
        ("Approve", 1, "postflow-review:approve|42"),
        ("Request changes", 2, "postflow-review:changes|42"),
        ("Reject", 4, "postflow-review:reject|42")]
    assert button_of(row["components"][0]["custom_id"]) == ("postflow-review:approve", "42")


async def test_a_plain_message_is_its_text(fake: FakeDiscord,
                                           delivery: DiscordChatDelivery) -> None:
    result = await delivery.deliver(ChatMessage(TO_CHANNEL, "Published on X."))

    assert result.reference is not None
    stored = fake.messages[result.reference.message_id]
    assert (stored.data["content"], stored.data["embeds"]) == ("Published on X.", [])


async def test_a_reply_in_a_thread_goes_to_the_thread(
        fake: FakeDiscord, delivery: DiscordChatDelivery) -> None:
    card = await delivery.deliver(ChatMessage(TO_CHANNEL, "card", card=review_card()))
    assert card.reference is not None
    fake.threads[card.reference.message_id] = "Launch post"  # a thread started from the card

    reply = await delivery.deliver(ChatMessage(TO_CHANNEL, "Approved by Bob",
                                               thread_id=card.reference.message_id))

    assert reply.outcome is DeliveryOutcome.SENT
    assert reply.reference is not None
    assert reply.reference.channel_id == card.reference.message_id
    assert [m.data["content"] for m in fake.messages_in(card.reference.message_id)] == [
        "Approved by Bob"]


async def test_a_replacement_edits_the_message(fake: FakeDiscord,
                                               delivery: DiscordChatDelivery) -> None:
    first = await delivery.deliver(ChatMessage(TO_CHANNEL, "Waiting for review"))
    assert first.reference is not None

    edited = await delivery.deliver(ChatMessage(TO_CHANNEL, "Approved",
                                                replaces=first.reference.message_id))

    assert edited.outcome is DeliveryOutcome.SENT
    assert edited.reference == first.reference
    assert len(fake.messages) == 1
    stored = fake.messages[first.reference.message_id]
    assert stored.data["content"] == "Approved"
    assert stored.data["edited_timestamp"] is not None


async def test_a_direct_message_opens_the_dm_channel_first(
        fake: FakeDiscord, delivery: DiscordChatDelivery) -> None:
    to_ada = ChatDestination("discord", GUILD, user_id=USER)

    result = await delivery.deliver(ChatMessage(to_ada, "Your token expires in 3 days"))

    assert result.outcome is DeliveryOutcome.SENT
    assert [c.key for c in fake.calls] == ["POST /users/@me/channels", POST_MESSAGE]
    assert result.reference is not None
    assert fake.dm_channels[result.reference.channel_id] == USER
    assert fake.messages[result.reference.message_id].data["content"] == (
        "Your token expires in 3 days")


async def test_a_429_is_rate_limited_with_discords_retry_after(
        fake: FakeDiscord, delivery: DiscordChatDelivery) -> None:
    fake.rate_limit(POST_MESSAGE, times=1, retry_after=2.5)

    result = await delivery.deliver(ChatMessage(TO_CHANNEL, "hello"))

    assert (result.outcome, result.retry_after, result.error) == (
        DeliveryOutcome.RATE_LIMITED, 2.5, "http_429")
    assert fake.messages == {}


async def test_an_unknown_channel_is_refused_with_discords_code(
        fake: FakeDiscord, delivery: DiscordChatDelivery) -> None:
    result = await delivery.deliver(ChatMessage(
        ChatDestination("discord", GUILD, channel_id="123"), "hello"))

    assert (result.outcome, result.error) == (DeliveryOutcome.REFUSED, "http_404_10003")


async def test_a_server_the_bot_left_is_refused(fake: FakeDiscord,
                                                delivery: DiscordChatDelivery) -> None:
    # What fake.remove_guild does, without a gateway to tell: the bot was kicked.
    fake.removed_guilds[GUILD] = fake.guilds.pop(GUILD)

    result = await delivery.deliver(ChatMessage(TO_CHANNEL, "hello"))

    assert (result.outcome, result.error) == (DeliveryOutcome.REFUSED, "http_403_50001")


async def test_a_stopped_discord_is_unreachable(delivery: DiscordChatDelivery) -> None:
    async with serving(FakeDiscord().app()) as url:
        gone = DiscordChatDelivery("token", url + "/api/v10")
    # The server is stopped: nothing listens on its port any more.

    result = await gone.deliver(ChatMessage(TO_CHANNEL, "hello"))

    assert result.outcome is DeliveryOutcome.UNREACHABLE
    assert result.error


async def test_a_discord_failing_on_its_side_is_unreachable() -> None:
    async def bad_gateway(request: web.Request) -> web.Response:
        return web.Response(status=502, text="<html>Bad Gateway</html>")

    app = web.Application()
    app.router.add_post("/api/v10/channels/{channel_id}/messages", bad_gateway)
    async with serving(app) as url:
        result = await DiscordChatDelivery("token", url + "/api/v10").deliver(
            ChatMessage(TO_CHANNEL, "hello"))

    assert (result.outcome, result.error) == (DeliveryOutcome.UNREACHABLE, "http_502")


async def test_a_message_for_one_person_goes_to_their_direct_messages(
        fake: FakeDiscord, delivery: DiscordChatDelivery) -> None:
    only_ada = ChatDestination("discord", GUILD, channel_id=CHANNEL, user_id=USER)

    result = await delivery.deliver(ChatMessage(only_ada, "Only you see this", ephemeral=True))

    assert result.reference is not None
    assert fake.dm_channels[result.reference.channel_id] == USER
    assert fake.messages_in(CHANNEL) == []


async def test_a_huge_card_fits_discords_limits(fake: FakeDiscord,
                                                delivery: DiscordChatDelivery) -> None:
    huge = ChatCard(
        key="notice", title="T" * 500, paragraphs=("p" * 5000, "q" * 5000),
        fields=tuple((f"label {n}" * 40, "v" * 2000) for n in range(30)),
        context=("c" * 3000,),
        buttons=tuple(ChatButton(f"postflow-notice:retry{n}", "L" * 100, value=str(n))
                      for n in range(30)))

    result = await delivery.deliver(ChatMessage(TO_CHANNEL, "x" * 5000, card=huge))
    plain = await delivery.deliver(ChatMessage(TO_CHANNEL, "y" * 5000))

    assert result.reference is not None and plain.reference is not None
    data = fake.messages[result.reference.message_id].data
    [embed] = data["embeds"]
    total = (len(embed["title"]) + len(embed.get("description", ""))
             + len(embed["footer"]["text"])
             + sum(len(f["name"]) + len(f["value"]) for f in embed["fields"]))
    assert total <= EMBED_TOTAL_MAX
    assert embed["title"].endswith("…") and len(embed["title"]) == 256
    assert all(len(f["value"]) <= 1024 for f in embed["fields"])
    rows = data["components"]
    assert [len(r["components"]) for r in rows] == [ROW_BUTTONS_MAX] * 5
    assert sum(len(r["components"]) for r in rows) == BUTTONS_MAX
    assert all(len(b["label"]) <= 80 for r in rows for b in r["components"])
    content = fake.messages[plain.reference.message_id].data["content"]
    assert len(content) == MESSAGE_MAX and content.endswith("…")


async def test_a_reply_to_a_message_without_a_thread_starts_its_thread_first(
        fake: FakeDiscord, delivery: DiscordChatDelivery) -> None:
    card = await delivery.deliver(ChatMessage(TO_CHANNEL, "card", card=review_card()))
    assert card.reference is not None

    reply = await delivery.deliver(ChatMessage(TO_CHANNEL, "Approved by Bob",
                                               thread_id=card.reference.message_id))

    assert reply.outcome is DeliveryOutcome.SENT
    assert fake.threads == {card.reference.message_id: "PostFlow"}
    assert [m.data["content"] for m in fake.messages_in(card.reference.message_id)] == [
        "Approved by Bob"]
