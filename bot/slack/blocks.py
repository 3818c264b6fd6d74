"""Rendering chat-ops reply data as a Slack message: Block Kit sections and buttons."""

from __future__ import annotations

import re
from typing import Any

from postflow.chat.messages import ButtonStyle as ChatButtonStyle
from postflow.chat.messages import ChatButton
from postflow.chatops.replies import Button, ButtonStyle, Reply

#: Buttons carry ``postflow:<action>:<n>``; ``n`` keeps action ids unique within a block.
ACTION_PREFIX = "postflow:"
ACTION_ID_PATTERN = re.compile(r"^postflow:")
#: Slack's limits: 3000 characters in a section's text, 50 blocks in a message.
SECTION_MAX = 3000
BLOCKS_MAX = 50

Block = dict[str, Any]

_MENTION = re.compile(r"&lt;([@#]!?[A-Za-z0-9]+)&gt;")


def escape(text: str) -> str:
    """Slack's three control characters escaped, except in the user and channel mentions the
    replies make on purpose."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MENTION.sub(r"<\1>", escaped)


def action_name(action_id: str) -> str:
    """``postflow:cancel:0`` -> ``cancel``."""
    return action_id.removeprefix(ACTION_PREFIX).split(":", 1)[0]


def render(reply: Reply) -> dict[str, Any]:
    """Keyword arguments for bolt's ``ack``/``respond``: text, blocks and response type."""
    text = escape(reply.text)
    if reply.error:
        text = f":warning: {text}"
    blocks: list[Block] = [_section(text)]
    for item in reply.items:
        body = "\n".join([f"*{escape(item.title)}*", *(escape(line) for line in item.lines)])
        blocks.append(_section(body))
        if item.buttons:
            blocks.append(_actions(item.buttons))
    if reply.buttons:
        blocks.append(_actions(reply.buttons))
    if len(blocks) > BLOCKS_MAX:
        blocks = [*blocks[:BLOCKS_MAX - 1], _section("…more than fits in one message.")]
    return {"text": text[:SECTION_MAX], "blocks": blocks,
            "response_type": "in_channel" if reply.public else "ephemeral"}


def _section(text: str) -> Block:
    if len(text) > SECTION_MAX:
        text = text[:SECTION_MAX - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _actions(buttons: tuple[Button, ...]) -> Block:
    return {"type": "actions", "elements": [_button(b, n) for n, b in enumerate(buttons)]}


def _button(button: Button, n: int) -> Block:
    style = (ChatButtonStyle.DEFAULT if button.style is ButtonStyle.DEFAULT
             else ChatButtonStyle(button.style.value))
    return button_element(ChatButton(action_id=f"{ACTION_PREFIX}{button.action}:{n}",
                                     label=button.label, value=button.value, style=style,
                                     confirm=button.confirm))


def button_element(button: ChatButton) -> Block:
    """A neutral button as a Block Kit button, with its "Are you sure?" dialog."""
    element: Block = {"type": "button", "action_id": button.action_id,
                      "text": {"type": "plain_text", "text": button.label},
                      "value": button.value}
    if button.style is not ChatButtonStyle.DEFAULT:
        element["style"] = button.style.value
    if button.confirm:
        element["confirm"] = {
            "title": {"type": "plain_text", "text": "Are you sure?"},
            "text": {"type": "plain_text", "text": button.confirm},
            "confirm": {"type": "plain_text", "text": button.confirm_yes},
            "deny": {"type": "plain_text", "text": button.confirm_no}}
    return element
