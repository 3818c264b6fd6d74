"""Discord interactions, whichever way they arrive (the hub's HTTP endpoint today, the gateway
bot later): the payload is read once into the core's neutral caller and command text, the
chat-neutral command handler Slack uses runs, and its reply becomes an interaction response."""

from __future__ import annotations

import logging
from enum import IntEnum
from typing import Any

from pydantic import BaseModel, ValidationError

from bot.discord.autocomplete import autocomplete_answer
from bot.discord.composer import COMPOSER_PREFIX, composer_answer, open_composer
from bot.discord.interaction_types import (
    CallbackType,
    CommandCall,
    Handler,
    Interaction,
    InteractionType,
)
from bot.discord.paging import PAGE_PREFIX, page_answer, paged_message
from bot.discord.reply_text import message_data
from postflow.chatops.callers import Caller
from postflow.chatops.commands import run_command
from postflow.chatops.failure_replies import reply_or_apology
from postflow.chatops.replies import Reply
from postflow.errors import BadInput
from postflow.organizations import ChatIdentity
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime

log = logging.getLogger(__name__)

PLATFORM = "discord"
COMMAND = "postflow"


class OptionType(IntEnum):
    SUB_COMMAND = 1
    SUB_COMMAND_GROUP = 2
    USER = 6
    CHANNEL = 7
    ROLE = 8
    ATTACHMENT = 11


class MalformedInteraction(BadInput):
    """Raised for a payload that is not an interaction PostFlow can read (the HTTP endpoint
    answers 400)."""

    code = "malformed_interaction"


class _User(BaseModel):
    id: str
    username: str = ""
    global_name: str | None = None


class _Member(BaseModel):
    user: _User
    nick: str | None = None


class _Option(BaseModel):
    name: str
    type: int
    value: str | int | float | bool | None = None
    options: list[_Option] = []


class _CommandData(BaseModel):
    name: str
    options: list[_Option] = []


class _CommandInteraction(BaseModel):
    guild_id: str | None = None
    channel_id: str = ""
    member: _Member | None = None
    user: _User | None = None
    data: _CommandData


class _ActedInteraction(BaseModel):
    guild_id: str | None = None
    channel_id: str = ""
    member: _Member | None = None
    user: _User | None = None


def read_interaction(payload: object) -> Interaction:
    """Read an interaction payload (the JSON object Discord sends, over HTTP or the gateway)
    once; MalformedInteraction when it is not one PostFlow can read."""
    if not isinstance(payload, dict):
        raise MalformedInteraction("The body is not an interaction (a JSON object).")
    kind = payload.get("type")
    # bool is an int to Python, and 2.0 equals 2: only a JSON integer names a type.
    if type(kind) is not int or kind not in {t.value for t in InteractionType}:
        raise MalformedInteraction("The body is not an interaction of a type PostFlow knows.",
                                   details={"type": repr(kind)[:20]})
    if kind == InteractionType.APPLICATION_COMMAND:
        command = _command(payload)
        return Interaction(kind=InteractionType.APPLICATION_COMMAND, command=command,
                           caller=command.caller, payload=payload)
    if kind == InteractionType.PING:
        return Interaction(kind=InteractionType.PING)
    return _acted(InteractionType(kind), payload)


def _acted(kind: InteractionType, payload: dict[str, Any]) -> Interaction:
    """A component press, a form submission or an autocomplete request: who, and which id."""
    try:
        acted = _ActedInteraction.model_validate(payload)
    except (ValidationError, RecursionError):
        raise MalformedInteraction("The interaction is not one PostFlow can read.") from None
    data = payload.get("data")
    custom_id = data.get("custom_id") if isinstance(data, dict) else None
    caller = None
    if acted.guild_id is not None and acted.member is not None:
        caller = _caller(acted.guild_id, acted.member, acted.channel_id)
    return Interaction(kind=kind, caller=caller, payload=payload,
                       custom_id=custom_id if isinstance(custom_id, str) else "")


def _caller(guild_id: str, member: _Member, channel_id: str) -> Caller:
    user = member.user
    return Caller(identity=ChatIdentity(platform=PLATFORM, workspace_id=guild_id,
                                        user_id=user.id),
                  display_name=member.nick or user.global_name or user.username,
                  channel_id=channel_id)


def _command(payload: dict[str, Any]) -> CommandCall:
    """The caller as the core names them (``discord:<guild>:<user>``) and the command's text
    as ``/postflow`` words."""
    try:
        interaction = _CommandInteraction.model_validate(payload)
    except (ValidationError, RecursionError):
        raise MalformedInteraction("The interaction is not an application command PostFlow "
                                   "can read.") from None
    words = " ".join(_option_words(interaction.data.options))
    if interaction.guild_id is None or interaction.member is None:
        return CommandCall(caller=None, command=interaction.data.name, text=words)
    caller = _caller(interaction.guild_id, interaction.member, interaction.channel_id)
    return CommandCall(caller=caller, command=interaction.data.name, text=words)


def _option_words(options: list[_Option]) -> list[str]:
    """Subcommands by name, then their options' values in order; people, channels and roles
    as the mentions the commands parse."""
    words: list[str] = []
    for option in options:
        if option.type in (OptionType.SUB_COMMAND, OptionType.SUB_COMMAND_GROUP):
            words += [option.name, *_option_words(option.options)]
        elif option.value is None:
            continue
        elif option.type == OptionType.USER:
            words.append(f"<@{option.value}>")
        elif option.type == OptionType.CHANNEL:
            words.append(f"<#{option.value}>")
        elif option.type == OptionType.ROLE:
            words.append(f"<@&{option.value}>")
        else:
            words.append(str(option.value))
    return words


async def answer_interaction(rt: Runtime, queue: PublishQueue | None,
                             interaction: Interaction) -> dict[str, Any]:
    """The interaction response (its JSON) to a verified interaction. Every failure is an
    ephemeral reply, never a trace."""
    if interaction.kind is InteractionType.PING:
        return {"type": CallbackType.PONG}
    if interaction.kind is InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE:
        return await autocomplete_answer(rt, interaction)
    if interaction.command is not None:
        call = interaction.command
        if call.command == COMMAND and call.caller is not None:
            words = call.text.split()
            handler = COMMAND_HANDLERS.get(words[0].lower() if words else "")
            if handler is not None:
                return await _handled(handler, rt, queue, interaction)
        reply = await reply_or_apology(_command_reply(rt, queue, call), log,
                                        "Discord interaction")
        return {"type": CallbackType.CHANNEL_MESSAGE_WITH_SOURCE,
                "data": paged_message(reply, call.text if call.caller is not None else "")}
    handler = next((h for prefix, h in COMPONENT_HANDLERS.items()
                    if interaction.custom_id.startswith(prefix)), None)
    if handler is not None:
        return await _handled(handler, rt, queue, interaction)
    reply = Reply(text="That button or form is out of date or not one PostFlow knows: use the "
                       "`/postflow` commands.", error=True)
    return {"type": CallbackType.CHANNEL_MESSAGE_WITH_SOURCE, "data": message_data(reply)}


async def _handled(handler: Handler, rt: Runtime, queue: PublishQueue | None,
                   interaction: Interaction) -> dict[str, Any]:
    """What ``handler`` answers; when it raises, the one failure path every chat adapter uses
    (a core error's message, else an apology with a reference) as an ephemeral reply."""
    answers: list[dict[str, Any]] = []

    async def run() -> Reply:
        answers.append(await handler(rt, queue, interaction))
        return Reply(text="")

    failure = await reply_or_apology(run(), log, "Discord interaction")
    if answers:
        return answers[0]
    return {"type": CallbackType.CHANNEL_MESSAGE_WITH_SOURCE, "data": message_data(failure)}


async def _command_reply(rt: Runtime, queue: PublishQueue | None, call: CommandCall) -> Reply:
    if call.command != COMMAND:
        return Reply(text=f"There is no command `/{call.command}`. `/postflow help` lists "
                          "PostFlow's.", error=True)
    if call.caller is None:
        return Reply(text="PostFlow's commands work in a server, not in direct messages.",
                     error=True)
    return await run_command(rt, queue, call.caller, call.text)


#: ``/postflow <word>`` answered by a handler of its own (a form) rather than a reply.
COMMAND_HANDLERS: dict[str, Handler] = {
    "new": open_composer,
}
#: Components and forms by the prefix of their custom id.
COMPONENT_HANDLERS: dict[str, Handler] = {
    COMPOSER_PREFIX: composer_answer,
    PAGE_PREFIX: page_answer,
}
