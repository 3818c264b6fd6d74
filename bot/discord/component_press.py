"""A button press or a submitted form, as :mod:`bot.discord.interactions` reads it once, and
what a handler of one looks like (the handlers are found by the ``custom_id``'s prefix:
``COMPONENT_HANDLERS`` there)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from postflow.chatops.callers import Caller
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime


@dataclass(frozen=True)
class PressedMessage:
    """The message the pressed button is on (Discord sends it with the press)."""

    id: str
    channel_id: str
    content: str = ""
    #: Its embeds as Discord sent them.
    embeds: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class ComponentPress:
    """A MESSAGE_COMPONENT (``form`` False) or MODAL_SUBMIT (``form`` True) interaction."""

    custom_id: str
    #: Who pressed, in which server; None outside a server.
    caller: Caller | None
    guild_id: str
    form: bool = False
    #: A form's text inputs: custom id -> value.
    values: Mapping[str, str] = field(default_factory=dict)
    message: PressedMessage | None = None
    #: For answering later through the interaction's webhook (15 minutes).
    application_id: str = ""
    token: str = ""
    #: What a select (a list to pick from) has selected, in order.
    selected: tuple[str, ...] = ()


#: A handler: the interaction response (its JSON) to a press.
ComponentHandler = Callable[[Runtime, PublishQueue | None, ComponentPress],
                            Awaitable[dict[str, Any]]]
