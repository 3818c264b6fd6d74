"""Discord interactions, whichever way they arrive (the hub's HTTP endpoint today, the gateway
bot later): the payload is read once into the core's neutral caller and command text, the
chat-neutral command handler Slack uses runs, and its reply becomes an interaction response.

A button press or a submitted form goes to the handler its ``custom_id``'s prefix names
(:data:`COMPONENT_HANDLERS`: ``pf:r:`` review cards, ``pf:n:`` notices, ``pf:c:`` the
composer, ``pf:p:`` pages of a long reply); an id no handler claims gets a short ephemeral
answer and nothing else. ``/postflow new`` opens the composer (:data:`COMMAND_HANDLERS`); an
autocomplete request is answered by :mod:`bot.discord.autocomplete`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from pydantic import BaseModel, ValidationError

from bot.discord import components
from bot.discord.autocomplete import autocomplete_answer
from bot.discord.component_press import ComponentHandler, ComponentPress, PressedMessage
from bot.discord.composer import COMPOSER_PREFIX, composer_answer, open_composer
from bot.discord.custom_ids import NOTICE_PREFIX, REVIEW_PREFIX
from bot.discord.install import admit_member
from bot.discord.interaction_types import CallbackType
from bot.discord.paging import PAGE_PREFIX, page_answer, paged_message
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


class InteractionType(IntEnum):
    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    APPLICATION_COMMAND_AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


class OptionType(IntEnum):
    SUB_COMMAND = 1
    SUB_COMMAND_GROUP = 2
    USER = 6
    CHANNEL = 7
    ROLE = 8


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
    #: The member's permissions in the channel, a decimal bit set (Discord sends it as text).
    permissions: str = "0"


class _Present(BaseModel):
    """Who is interacting, whatever the interaction's type."""

    guild_id: str | None = None
    channel_id: str = ""
    member: _Member | None = None


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


class _TextInput(BaseModel):
    custom_id: str = ""
    value: str | None = None
    components: list[_TextInput] = []


class _ComponentData(BaseModel):
    custom_id: str
    components: list[_TextInput] = []
    #: What a select has selected.
    values: list[str] = []


class _Message(BaseModel):
    id: str
    channel_id: str = ""
    content: str = ""
    embeds: list[dict[str, Any]] = []


class _ComponentInteraction(BaseModel):
    application_id: str = ""
    token: str = ""
    guild_id: str | None = None
    channel_id: str = ""
    member: _Member | None = None
    user: _User | None = None
    data: _ComponentData
    message: _Message | None = None


#: Who answers a press, by its ``custom_id``'s prefix.
COMPONENT_HANDLERS: dict[str, ComponentHandler] = {
    REVIEW_PREFIX: components.answer_review_press,
    NOTICE_PREFIX: components.answer_notice_press,
    COMPOSER_PREFIX: composer_answer,
    PAGE_PREFIX: page_answer,
}
#: ``/postflow <word>`` answered by a handler of its own (a form) rather than a reply: it gets
#: who asked and the interaction's payload (the command's options and resolved attachments).
CommandHandler = Callable[[Runtime, PublishQueue | None, Caller, Mapping[str, Any]],
                          Awaitable[dict[str, Any]]]
COMMAND_HANDLERS: dict[str, CommandHandler] = {
    "new": open_composer,
}


@dataclass(frozen=True)
class CommandCall:
    """A ``/postflow`` command: who asked (None outside a server) and the text after it."""

    caller: Caller | None
    command: str
    text: str


@dataclass(frozen=True)
class Interaction:
    """A verified interaction as PostFlow reads it: its type, and for a command who asked and
    what they typed."""

    kind: InteractionType
    command: CommandCall | None = None
    #: A button press or a submitted form.
    press: ComponentPress | None = None
    #: Who interacts in a server (any type but PING), and their Discord permissions there:
    #: a person's first interaction makes them a member (bot/discord/install.py).
    member: Caller | None = None
    permissions: int = 0
    #: The payload, for commands and autocomplete (options, resolved attachments).
    payload: Mapping[str, Any] = field(default_factory=dict, repr=False)


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
    if kind == InteractionType.PING:
        return Interaction(kind=InteractionType.PING)
    member, permissions = _present(payload)
    press = (_press(payload, kind)
             if kind in (InteractionType.MESSAGE_COMPONENT, InteractionType.MODAL_SUBMIT)
             else None)
    command = _command(payload) if kind == InteractionType.APPLICATION_COMMAND else None
    keeps_payload = kind in (InteractionType.APPLICATION_COMMAND,
                             InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE)
    return Interaction(kind=InteractionType(kind), command=command, press=press,
                       member=member, permissions=permissions,
                       payload=payload if keeps_payload else {})


def _present(payload: dict[str, Any]) -> tuple[Caller | None, int]:
    """The person interacting in a server and their permissions; (None, 0) outside one."""
    try:
        present = _Present.model_validate(payload)
    except (ValidationError, RecursionError):
        return None, 0
    member = present.member
    caller = _caller(present.guild_id, member, present.channel_id)
    if caller is None or member is None:
        return None, 0
    bits = member.permissions
    # A 64-bit set at most: anything else (or a digit string too long for int()) is none.
    permissions = int(bits) if bits.isascii() and bits.isdigit() and len(bits) <= 20 else 0
    return caller, permissions


def _command(payload: dict[str, Any]) -> CommandCall:
    """The caller as the core names them (``discord:<guild>:<user>``) and the command's text
    as ``/postflow`` words."""
    try:
        interaction = _CommandInteraction.model_validate(payload)
    except (ValidationError, RecursionError):
        raise MalformedInteraction("The interaction is not an application command PostFlow "
                                   "can read.") from None
    words = " ".join(_option_words(interaction.data.options))
    caller = _caller(interaction.guild_id, interaction.member, interaction.channel_id)
    return CommandCall(caller=caller, command=interaction.data.name, text=words)


def _caller(guild_id: str | None, member: _Member | None, channel_id: str) -> Caller | None:
    """The person as the core names them (``discord:<guild>:<user>``); None outside a
    server."""
    if guild_id is None or member is None:
        return None
    user = member.user
    return Caller(identity=ChatIdentity(platform=PLATFORM, workspace_id=guild_id,
                                        user_id=user.id),
                  display_name=member.nick or user.global_name or user.username,
                  channel_id=channel_id)


def _press(payload: dict[str, Any], kind: int) -> ComponentPress:
    """A button press or a form: its custom id, who, where, the form's values, the message."""
    try:
        interaction = _ComponentInteraction.model_validate(payload)
    except (ValidationError, RecursionError):
        raise MalformedInteraction("The interaction is not a button press or a form PostFlow "
                                   "can read.") from None
    values: dict[str, str] = {}
    for row in interaction.data.components:
        for text_input in [row, *row.components]:
            if text_input.custom_id and text_input.value is not None:
                values[text_input.custom_id] = text_input.value
    message = interaction.message
    return ComponentPress(
        custom_id=interaction.data.custom_id,
        caller=_caller(interaction.guild_id, interaction.member, interaction.channel_id),
        guild_id=interaction.guild_id or "", form=kind == InteractionType.MODAL_SUBMIT,
        values=values,
        message=None if message is None else PressedMessage(
            id=message.id, channel_id=message.channel_id or interaction.channel_id,
            content=message.content, embeds=tuple(message.embeds)),
        application_id=interaction.application_id, token=interaction.token,
        selected=tuple(interaction.data.values))


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
    if interaction.member is not None:
        await admit_member(rt, interaction.member, interaction.permissions)
    if interaction.kind is InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE:
        return await autocomplete_answer(rt, interaction.member, interaction.payload)
    if interaction.press is not None:
        return await _press_answer(rt, queue, interaction.press)
    if interaction.command is not None:
        call = interaction.command
        handler = _command_handler(call)
        if handler is not None and call.caller is not None:
            return await handler(rt, queue, call.caller, interaction.payload)
        reply = await reply_or_apology(_command_reply(rt, queue, call), log,
                                       "Discord interaction")
        return {"type": CallbackType.CHANNEL_MESSAGE_WITH_SOURCE,
                "data": paged_message(reply, call.text if call.caller is not None else "")}
    reply = Reply(text="That is not something PostFlow can answer here: use the "
                       "`/postflow` commands.", error=True)
    return {"type": CallbackType.CHANNEL_MESSAGE_WITH_SOURCE, "data": paged_message(reply, "")}


def _command_handler(call: CommandCall) -> CommandHandler | None:
    words = call.text.split()
    if call.command != COMMAND or not words:
        return None
    return COMMAND_HANDLERS.get(words[0].lower())


async def _press_answer(rt: Runtime, queue: PublishQueue | None,
                        press: ComponentPress) -> dict[str, Any]:
    handler = next((h for prefix, h in COMPONENT_HANDLERS.items()
                    if press.custom_id.startswith(prefix)), None)
    if handler is None:
        return components.ephemeral(components.UNKNOWN_BUTTON)
    return await handler(rt, queue, press)


async def _command_reply(rt: Runtime, queue: PublishQueue | None, call: CommandCall) -> Reply:
    if call.command != COMMAND:
        return Reply(text=f"There is no command `/{call.command}`. `/postflow help` lists "
                          "PostFlow's.", error=True)
    if call.caller is None:
        return Reply(text="PostFlow's commands work in a server, not in direct messages.",
                     error=True)
    return await run_command(rt, queue, call.caller, call.text)
