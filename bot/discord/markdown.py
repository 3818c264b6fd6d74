"""Text for Discord messages: its Markdown escaped, people as mentions."""

from __future__ import annotations

import re

from postflow.chat_actors import read_chat_actor

_MARKDOWN = re.compile(r"([\\*_~`|>\[\]])")
#: A heading or a list item at the start of a line.
_LINE_START = re.compile(r"^([#-])", re.MULTILINE)
PLATFORM = "discord"


def escape(text: str) -> str:
    """``text`` shown as it is, not as Discord Markdown."""
    return _LINE_START.sub(r"\\\1", _MARKDOWN.sub(r"\\\1", text))


def person(actor: str) -> str:
    """``discord:G1:U1`` -> ``<@U1>``; other actors (Slack people, hooks, the CLI) as they are,
    escaped."""
    who = read_chat_actor(actor)
    return f"<@{who.user_id}>" if who is not None and who.platform == PLATFORM else escape(actor)
