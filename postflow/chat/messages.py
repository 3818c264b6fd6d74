"""A chat message as the core and the ``chat`` queue see it: plain data, no platform's markup.

The text is already worded for the platform it goes to (the sink that built it chose the
mentions and emoji); the card is structure only (a title, fields, context lines and buttons
carrying action ids), and each platform renders it itself (Slack: Block Kit). A message fits in
a queue message: :meth:`ChatMessage.to_message` and :meth:`ChatMessage.from_message`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class ButtonStyle(StrEnum):
    DEFAULT = ""
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True)
class ChatButton:
    """A button: pressing it sends ``action_id`` and ``value`` back to the adapter."""

    action_id: str
    label: str
    value: str = ""
    style: ButtonStyle = ButtonStyle.DEFAULT
    #: When set, the platform asks "Are you sure?" with this text first.
    confirm: str = ""
    confirm_yes: str = "Yes"
    confirm_no: str = "No"


@dataclass(frozen=True)
class ChatCard:
    """A structured message: a title, paragraphs, labelled fields, small context lines and
    buttons. ``key`` names the card (``notice``, ``review:<id>``) so a platform can find its
    parts again when a button on it is pressed."""

    key: str = ""
    title: str = ""
    paragraphs: tuple[str, ...] = ()
    #: (label, value) pairs, shown together.
    fields: tuple[tuple[str, str], ...] = ()
    context: tuple[str, ...] = ()
    buttons: tuple[ChatButton, ...] = ()


@dataclass(frozen=True)
class ChatDestination:
    """Where a message goes: a channel of a workspace (a Slack team, a Discord guild), or a
    person's direct messages (``channel_id`` empty, ``user_id`` set)."""

    platform: str
    workspace_id: str
    channel_id: str = ""
    user_id: str = ""

    def pace_key(self) -> str:
        """The posting budget a message to this destination spends: its channel (a direct
        message counts as the person's)."""
        return f"{self.platform}:{self.workspace_id}:{self.channel_id or 'user-' + self.user_id}"


@dataclass(frozen=True)
class ChatMessage:
    """One message to post (or, with ``replaces``, to update in place)."""

    destination: ChatDestination
    #: The whole message as text: what notifications and platforms without cards show.
    text: str
    card: ChatCard | None = None
    #: Post as a reply in the thread of this message id.
    thread_id: str = ""
    #: Update this message id instead of posting a new one.
    replaces: str = ""
    #: Shown only to ``destination.user_id`` in ``destination.channel_id``.
    ephemeral: bool = False
    #: For the log: "post a late notice".
    what: str = field(default="post a notice")

    @property
    def platform(self) -> str:
        return self.destination.platform

    def to_message(self) -> dict[str, Any]:
        """Plain JSON-able data for a queue message."""
        return asdict(self)

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> ChatMessage:
        card = data.get("card")
        return cls(destination=ChatDestination(**data["destination"]), text=data["text"],
                   card=None if card is None else _card(card),
                   thread_id=data.get("thread_id", ""), replaces=data.get("replaces", ""),
                   ephemeral=bool(data.get("ephemeral", False)),
                   what=data.get("what", "post a notice"))


def _card(data: dict[str, Any]) -> ChatCard:
    return ChatCard(
        key=data.get("key", ""), title=data.get("title", ""),
        paragraphs=tuple(data.get("paragraphs", ())),
        fields=tuple((str(label), str(value)) for label, value in data.get("fields", ())),
        context=tuple(data.get("context", ())),
        buttons=tuple(ChatButton(**{**b, "style": ButtonStyle(b.get("style", ""))})
                      for b in data.get("buttons", ())))
