"""The one definition of ``/postflow``: discord.py's tree and the registered JSON are the same
commands, every word of the chat-neutral command set is there with Discord's typed options,
and what Discord sends back reads as the words the core parses."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.discord.command_tree import SUBCOMMANDS, build_command_tree, command_payload
from bot.discord.interactions import answer_interaction, read_interaction
from postflow.chatops.commands import COMMANDS
from postflow.chatops.install import WorkspaceOwner, link_or_create
from postflow.organizations import ChatIdentity
from postflow.runtime import Runtime
from tests.hub.discord_sender import GUILD_ID, OWNER_ID
from tests.hub.discord_sender import command_payload as interaction_of

NAME = re.compile(r"^[-_a-z0-9]{1,32}$")


def subcommand_options(path: str) -> dict[str, dict[str, Any]]:
    """The options of ``settings review-channel`` (or ``role``...) by name, from the JSON."""
    entries = command_payload()[0]["options"]
    for word in path.split():
        entry = next(e for e in entries if e["name"] == word)
        entries = entry["options"]
    return {o["name"]: o for o in entries}


def test_discord_pys_tree_holds_exactly_the_registered_commands() -> None:
    tree = build_command_tree(discord.Client(intents=discord.Intents(guilds=True)))
    assert [c.to_dict(tree) for c in tree.get_commands()] == command_payload()


def test_every_word_of_the_command_set_is_a_subcommand() -> None:
    assert {entry.name for entry in SUBCOMMANDS} == set(COMMANDS)


def test_people_channels_media_and_completions_are_typed_options() -> None:
    assert subcommand_options("role")["person"]["type"] == 6
    assert subcommand_options("role")["role"]["choices"][0] == {"name": "viewer",
                                                               "value": "viewer"}
    assert subcommand_options("settings review-channel")["channel"]["type"] == 7
    assert subcommand_options("settings notify-channel")["channel"]["type"] == 7
    media = subcommand_options("new")["media"]
    assert media["type"] == 11 and media["required"] is False
    for path, name in (("queue", "account"), ("disconnect", "account"),
                       ("settings timezone", "timezone")):
        option = subcommand_options(path)[name]
        assert option["type"] == 3 and option["autocomplete"] is True


def test_names_and_descriptions_are_within_discords_limits() -> None:
    [root] = command_payload()
    assert root["contexts"] == [0] and root["dm_permission"] is False

    def check(entry: dict[str, Any]) -> None:
        assert NAME.match(entry["name"]), entry["name"]
        assert 1 <= len(entry["description"]) <= 100, entry["name"]
        options = entry.get("options", [])
        assert len(options) <= 25
        required = [o.get("required", False) for o in options if o["type"] > 2]
        assert required == sorted(required, reverse=True), entry["name"]  # required first
        for option in options:
            check(option)

    check(root)


def test_a_subcommand_of_a_group_reads_as_the_core_words() -> None:
    group = {"type": 2, "name": "settings", "options": [
        {"type": 1, "name": "review-channel",
         "options": [{"type": 7, "name": "channel", "value": "123"}]}]}
    interaction = read_interaction(interaction_of(group))
    assert interaction.command is not None
    assert interaction.command.text == "settings review-channel <#123>"


async def test_settings_show_shows_the_settings(rt: Runtime) -> None:
    await link_or_create(rt, "discord", GUILD_ID, "Acme", WorkspaceOwner(ChatIdentity(
        platform="discord", workspace_id=GUILD_ID, user_id=OWNER_ID)), actor="test")
    show = {"type": 2, "name": "settings", "options": [{"type": 1, "name": "show"}]}
    answer = await answer_interaction(rt, None, read_interaction(interaction_of(show)))
    assert answer["data"]["content"].startswith("Settings of Acme.")



def test_inbox_read_is_an_optional_choice_that_reads_as_the_core_words() -> None:
    action = subcommand_options("inbox")["action"]
    assert action["type"] == 3 and action["required"] is False
    assert action["choices"] == [{"name": "read", "value": "read"}]
    inbox = {"type": 1, "name": "inbox",
             "options": [{"type": 3, "name": "action", "value": "read"}]}
    interaction = read_interaction(interaction_of(inbox))
    assert interaction.command is not None and interaction.command.text == "inbox read"


def test_apikey_create_reads_as_the_core_words() -> None:
    group = {"type": 2, "name": "apikey", "options": [
        {"type": 1, "name": "create", "options": [
            {"type": 3, "name": "name", "value": "cms"},
            {"type": 3, "name": "scopes", "value": "posts:read,posts:write"}]}]}
    interaction = read_interaction(interaction_of(group))
    assert interaction.command is not None
    assert interaction.command.text == "apikey create cms posts:read,posts:write"
