"""Discord's rendering of a neutral :class:`~postflow.chat.messages.ChatMessage`: the JSON body
of ``POST /channels/{id}/messages`` (or of its ``PATCH``).

A card is one embed (its title; its paragraphs as the description; its fields, inline; its
context lines as the footer) and its buttons in action rows. The card carries the message's
words, so the message's ``content`` is its text only when there is no card (Discord would show
both). Discord's limits hold: ``content`` at most 2,000 characters, each embed part within its
own limit and the whole embed within 6,000 characters (the title, fields and footer first, the
description gets what is left), at most 5 buttons a row and 25 in all; anything cut ends with
"…". A button's ``custom_id`` is its action id, then ``|`` and its value when it has one
(:func:`custom_id`, read back by :func:`button_of`). Discord has no "Are you sure?" on a
button: a button's ``confirm`` text is not shown.
"""

from __future__ import annotations

from typing import Any

from bot.discord.reply_text import MESSAGE_MAX
from postflow.chat.messages import ButtonStyle, ChatButton, ChatCard, ChatMessage

#: Discord's embed limits (characters; fields in number).
EMBED_TOTAL_MAX = 6000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
#: Buttons: 5 to an action row, 5 rows; a label of 80 characters.
ROW_BUTTONS_MAX = 5
BUTTONS_MAX = 25
LABEL_MAX = 80
#: Between a button's action id and its value in its ``custom_id``.
VALUE_SEPARATOR = "|"
ELLIPSIS = "…"
#: A field's name or value may not be empty: a zero-width space stands in.
BLANK = "\N{ZERO WIDTH SPACE}"
ACTION_ROW, BUTTON = 1, 2
BUTTON_STYLES = {ButtonStyle.PRIMARY: 1, ButtonStyle.DEFAULT: 2, ButtonStyle.DANGER: 4}


def message_body(message: ChatMessage) -> dict[str, Any]:
    """The JSON body posting (or editing to) ``message``."""
    card = message.card
    embed = None if card is None else card_embed(card)
    return {
        "content": "" if embed is not None else cut(message.text, MESSAGE_MAX),
        "embeds": [] if embed is None else [embed],
        "components": [] if card is None else button_rows(card.buttons),
        # The sink chose whom to mention; @everyone and roles never ping from a notice.
        "allowed_mentions": {"parse": ["users"]},
    }


def card_embed(card: ChatCard) -> dict[str, Any] | None:
    """``card`` as one embed, within :data:`EMBED_TOTAL_MAX`; None when it has no words."""
    embed: dict[str, Any] = {}
    left = EMBED_TOTAL_MAX
    if card.title:
        embed["title"] = cut(card.title, TITLE_MAX)
        left -= len(embed["title"])
    if card.context:
        embed["footer"] = {"text": cut("\n".join(card.context), min(FOOTER_MAX, left))}
        left -= len(embed["footer"]["text"])
    fields = []
    for label, value in card.fields[:FIELDS_MAX]:
        name = cut(label, FIELD_NAME_MAX) or BLANK
        text = cut(value, FIELD_VALUE_MAX) or BLANK
        if len(name) + len(text) > left:
            break
        fields.append({"name": name, "value": text, "inline": True})
        left -= len(name) + len(text)
    if fields:
        embed["fields"] = fields
    description = "\n\n".join(p for p in card.paragraphs if p)
    if description and left > 0:
        embed["description"] = cut(description, min(DESCRIPTION_MAX, left))
    return embed or None


def button_rows(buttons: tuple[ChatButton, ...]) -> list[dict[str, Any]]:
    """The first :data:`BUTTONS_MAX` buttons, :data:`ROW_BUTTONS_MAX` to an action row."""
    kept = [_button(b) for b in buttons[:BUTTONS_MAX]]
    return [{"type": ACTION_ROW, "components": kept[start:start + ROW_BUTTONS_MAX]}
            for start in range(0, len(kept), ROW_BUTTONS_MAX)]


def custom_id(button: ChatButton) -> str:
    """What a press of ``button`` sends back: its action id, and its value after ``|``."""
    if not button.value:
        return button.action_id
    return f"{button.action_id}{VALUE_SEPARATOR}{button.value}"


def button_of(pressed: str) -> tuple[str, str]:
    """The action id and value a button's ``custom_id`` carries (:func:`custom_id`)."""
    action_id, _, value = pressed.partition(VALUE_SEPARATOR)
    return action_id, value


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, ending with "…" when it was cut."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    return text[:limit - len(ELLIPSIS)] + ELLIPSIS


def _button(button: ChatButton) -> dict[str, Any]:
    return {"type": BUTTON, "style": BUTTON_STYLES.get(button.style, 2),
            "label": cut(button.label, LABEL_MAX) or BLANK, "custom_id": custom_id(button)}
