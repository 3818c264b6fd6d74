"""Small text pieces every chat reply shares: local times, excerpts, mentions."""

from __future__ import annotations

import re
from datetime import datetime

from postflow.errors import BadInput
from postflow.organizations import Member
from postflow.timezones import zone

EXCERPT_LENGTH = 90

#: ``<@U123>``, ``<@U123|ada>`` (Slack), ``<@!123>`` (Discord nickname form).
_USER_MENTION = re.compile(r"^<@!?([A-Za-z0-9]+)(?:\|([^>]*))?>$")
#: ``<#C123>``, ``<#C123|general>``.
_CHANNEL_MENTION = re.compile(r"^<#([A-Za-z0-9]+)(?:\|([^>]*))?>$")
_BARE_ID = re.compile(r"^[A-Z0-9][A-Za-z0-9]{5,}$")


def local_time(moment: datetime | None, timezone: str) -> str:
    """``Thu 26 Nov 2026 09:00 Europe/Paris``; "as soon as possible" for None."""
    if moment is None:
        return "as soon as possible"
    local = moment.astimezone(zone(timezone))
    return f"{local:%a %d %b %Y %H:%M} {timezone}"


def excerpt(text: str, length: int = EXCERPT_LENGTH) -> str:
    """The text on one line, cut at ``length`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[:length - 1].rstrip() + "…"


def user_mention(user_id: str) -> str:
    return f"<@{user_id}>"


def member_mention(member: Member) -> str:
    """A mention of ``member`` in chat; their name (or address) when they have no chat identity
    (an email-only member)."""
    chat = member.chat_identity
    if chat is not None:
        return user_mention(chat.user_id)
    return member.display_name or member.identity.user_id


def channel_mention(channel_id: str) -> str:
    return f"<#{channel_id}>"


def parse_user(text: str) -> tuple[str, str]:
    """(user id, name if the mention carried one) from a mention; BadInput otherwise."""
    match = _USER_MENTION.match(text.strip())
    if match:
        return match.group(1), match.group(2) or ""
    raise BadInput(f"{text!r} is not a person: mention them, as in `@ada`.",
                   details={"user": text})


def parse_channel(text: str) -> str:
    """A channel id from a mention (``#general``) or a bare id; BadInput otherwise."""
    text = text.strip()
    match = _CHANNEL_MENTION.match(text)
    if match:
        return match.group(1)
    if _BARE_ID.match(text):
        return text
    raise BadInput(f"{text!r} is not a channel: mention it, as in `#social`, or say `here`.",
                   details={"channel": text})
