"""Reading Discord interaction payloads once into the core's caller and command text, and
rendering replies within Discord's 2,000 characters."""

from __future__ import annotations

import pytest

from bot.discord.interactions import (
    InteractionType,
    MalformedInteraction,
    read_interaction,
)
from bot.discord.reply_text import EPHEMERAL, MESSAGE_MAX, message_data, reply_text
from postflow.chatops.replies import Item, Reply
from postflow.organizations import ChatIdentity
from tests.hub.discord_sender import GUILD_ID, OWNER_ID, command_payload, subcommand


def test_a_guild_command_names_the_caller_by_guild_and_user() -> None:
    interaction = read_interaction(command_payload(subcommand("help")))
    assert interaction.kind is InteractionType.APPLICATION_COMMAND
    assert interaction.command is not None
    caller = interaction.command.caller
    assert caller is not None
    assert caller.identity == ChatIdentity(platform="discord", workspace_id=GUILD_ID,
                                           user_id=OWNER_ID)
    assert caller.actor == f"discord:{GUILD_ID}:{OWNER_ID}"
    assert caller.display_name == "Ada"
    assert interaction.command.text == "help"


def test_options_become_the_words_the_commands_parse() -> None:
    interaction = read_interaction(command_payload(
        subcommand("settings", {"type": 3, "name": "setting", "value": "review-channel"},
                   {"type": 7, "name": "channel", "value": "123456"}),
    ))
    assert interaction.command is not None
    assert interaction.command.text == "settings review-channel <#123456>"
    grouped = read_interaction(command_payload(
        {"type": 2, "name": "queue", "options": [subcommand(
            "clear", {"type": 3, "name": "account", "value": "sandbox-1"})]}))
    assert grouped.command is not None and grouped.command.text == "queue clear sandbox-1"


def test_a_command_from_direct_messages_has_no_caller() -> None:
    interaction = read_interaction(command_payload(subcommand("help"), guild_id=None))
    assert interaction.command is not None and interaction.command.caller is None


@pytest.mark.parametrize("payload", [
    None, [], "1", {"type": 0}, {"type": 6}, {"type": 2.0}, {"type": False},
    {"type": 2}, {"type": 2, "data": {"name": 5}},
    {"type": 2, "guild_id": 1, "member": {"user": {"id": "1"}}, "data": {"name": "postflow"}},
])
def test_what_is_not_a_readable_interaction_is_refused(payload: object) -> None:
    with pytest.raises(MalformedInteraction):
        read_interaction(payload)


def test_a_long_reply_keeps_whole_items_within_2000_characters() -> None:
    items = tuple(Item(title=f"Post {n}", lines=("x" * 150,)) for n in range(40))
    text = reply_text(Reply(text="Upcoming posts", items=items))
    assert len(text) <= MESSAGE_MAX
    assert text.endswith("more than fits in one message.")
    assert "**Post 0**" in text and "**Post 39**" not in text
    assert len(reply_text(Reply(text="y" * 5000))) == MESSAGE_MAX


def test_only_a_public_reply_is_seen_by_the_channel() -> None:
    assert message_data(Reply(text="hi"))["flags"] == EPHEMERAL
    assert "flags" not in message_data(Reply(text="hi", public=True))
