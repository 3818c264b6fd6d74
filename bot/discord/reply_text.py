"""Rendering chat-ops reply data as a Discord message: Markdown text within Discord's 2,000
characters, ephemeral unless the reply is for everyone, and pinging no one."""

from __future__ import annotations

from typing import Any

from postflow.chatops.replies import Reply

#: Discord's limit on a message's ``content``.
MESSAGE_MAX = 2000
#: ``flags`` bit that shows a message only to the person who asked.
EPHEMERAL = 1 << 6
_MORE = "\n…more than fits in one message."


def reply_text(reply: Reply) -> str:
    """The reply's text and its items (bold titles, one line each), whole items only, at most
    :data:`MESSAGE_MAX` characters."""
    text = f"\N{WARNING SIGN}\N{VARIATION SELECTOR-16} {reply.text}" if reply.error else reply.text
    if len(text) > MESSAGE_MAX:
        return text[:MESSAGE_MAX - 1] + "…"
    for item in reply.items:
        block = "\n\n" + "\n".join([f"**{item.title}**", *item.lines])
        if len(text) + len(block) + len(_MORE) > MESSAGE_MAX:
            return text + _MORE
        text += block
    return text


def message_data(reply: Reply) -> dict[str, Any]:
    """The ``data`` of an interaction response (or a follow-up) carrying ``reply``."""
    data: dict[str, Any] = {"content": reply_text(reply),
                            # Mentions in replies name people; they never notify anyone.
                            "allowed_mentions": {"parse": []}}
    if not reply.public:
        data["flags"] = EPHEMERAL
    return data
