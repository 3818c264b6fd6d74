"""The shapes every Discord interaction handler shares: the interaction as PostFlow reads it
(:func:`bot.discord.interactions.read_interaction`), the answer types and a handler's signature."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from postflow.chatops.callers import Caller
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime


class InteractionType(IntEnum):
    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    APPLICATION_COMMAND_AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


class CallbackType(IntEnum):
    PONG = 1
    CHANNEL_MESSAGE_WITH_SOURCE = 4
    DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE = 5
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    APPLICATION_COMMAND_AUTOCOMPLETE_RESULT = 8
    MODAL = 9


@dataclass(frozen=True)
class CommandCall:
    """A ``/postflow`` command: who asked (None outside a server) and the text after it."""

    caller: Caller | None
    command: str
    text: str


@dataclass(frozen=True)
class Interaction:
    """A verified interaction as PostFlow reads it: its type, and for a command who asked and
    what they typed. Components, forms and autocomplete keep who acted (None outside a server),
    the component's or form's ``custom_id`` and the payload, which their handlers read."""

    kind: InteractionType
    command: CommandCall | None = None
    caller: Caller | None = None
    custom_id: str = ""
    payload: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def token(self) -> str:
        """The interaction's token: its follow-ups and edits for 15 minutes."""
        return str(self.payload.get("token", ""))

    @property
    def application_id(self) -> str:
        return str(self.payload.get("application_id", ""))


Answer = dict[str, Any]
#: Handles an interaction whose custom id (a component's, a form's) starts with a prefix.
Handler = Callable[[Runtime, PublishQueue | None, Interaction], Awaitable[Answer]]
