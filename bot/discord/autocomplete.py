"""Autocomplete for ``/postflow`` options (interaction type 4, answered with type 8 and at most
25 choices), by the focused option's name: ``account`` (the organization's connected accounts),
``timezone`` (IANA zones matching what was typed) and ``post`` (the organization's recent
posts). Someone who is not a member, or types into an option PostFlow does not complete, gets no
choices: autocomplete never says why, Discord shows nothing for an error."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from bot.discord.interaction_types import Answer, CallbackType
from postflow.chatops.callers import Caller, Membership, resolve_member
from postflow.chatops.formatting import excerpt
from postflow.chatops.permissions import Permission, allows
from postflow.chatops.post_lists import STATUS_WORDS
from postflow.errors import PostFlowError
from postflow.runtime import Runtime

log = logging.getLogger(__name__)

#: Discord's limits: 25 choices, a choice's name and value 100 characters each.
CHOICES_MAX = 25
CHOICE_TEXT_MAX = 100
#: Recent posts looked through for ``post``.
RECENT_POSTS = 100

Choice = dict[str, str]
Complete = Callable[[Runtime, Membership, str], Awaitable[list[Choice]]]


async def autocomplete_answer(rt: Runtime, caller: Caller | None,
                              payload: Mapping[str, Any]) -> Answer:
    """The choices for the option ``caller`` is typing into, or none."""
    return {"type": CallbackType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT,
            "data": {"choices": await _choices(rt, caller, payload)}}


async def _choices(rt: Runtime, caller: Caller | None,
                   payload: Mapping[str, Any]) -> list[Choice]:
    focused = focused_option(payload)
    if focused is None or caller is None:
        return []
    name, typed = focused
    complete = COMPLETERS.get(name)
    if complete is None:
        return []
    try:
        who = await resolve_member(rt, caller)
        return (await complete(rt, who, typed.strip().lower()))[:CHOICES_MAX]
    except PostFlowError:
        return []
    except Exception:
        log.exception("Discord autocomplete for %s failed", name)
        return []


def focused_option(payload: Mapping[str, Any]) -> tuple[str, str] | None:
    """(name, what is typed so far) of the option being typed into; None when there is none."""
    data = payload.get("data")
    options = data.get("options") if isinstance(data, dict) else None
    for option in _walk(options, depth=0):
        if option.get("focused") is True and isinstance(option.get("name"), str):
            value = option.get("value")
            return option["name"], value if isinstance(value, str) else str(value or "")
    return None


def _walk(options: Any, depth: int) -> Iterator[dict[str, Any]]:
    if not isinstance(options, list) or depth > 3:  # subcommand groups nest two levels
        return
    for option in options:
        if isinstance(option, dict):
            yield option
            yield from _walk(option.get("options"), depth + 1)


async def _accounts(rt: Runtime, who: Membership, typed: str) -> list[Choice]:
    if not allows(who.member.role, Permission.READ):
        return []
    choices = []
    for conn in await rt.store.list_connections(who.org.id):
        label = f"{conn.display_name} ({conn.network})"
        if typed in label.lower() or typed in conn.id.lower():
            choices.append(_choice(label, conn.id))
    return choices


async def _timezones(rt: Runtime, who: Membership, typed: str) -> list[Choice]:
    zones = _zones()
    starting = [z for z in zones if z.lower().startswith(typed)]
    inside = [z for z in zones if typed in z.lower() and not z.lower().startswith(typed)]
    return [_choice(z, z) for z in [*starting, *inside][:CHOICES_MAX]]


async def _posts(rt: Runtime, who: Membership, typed: str) -> list[Choice]:
    if not allows(who.member.role, Permission.READ):
        return []
    choices = []
    for post in await rt.store.list_posts(who.org.id, limit=RECENT_POSTS):
        if typed in post.id.lower() or typed in post.text.lower():
            label = f"{STATUS_WORDS[post.status]} · {excerpt(post.text, 60)}"
            choices.append(_choice(label, post.id))
        if len(choices) == CHOICES_MAX:
            break
    return choices


@cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))


def _choice(name: str, value: str) -> Choice:
    return {"name": name[:CHOICE_TEXT_MAX] or value[:CHOICE_TEXT_MAX],
            "value": value[:CHOICE_TEXT_MAX]}


COMPLETERS: dict[str, Complete] = {
    "account": _accounts,
    "timezone": _timezones,
    "post": _posts,
}
