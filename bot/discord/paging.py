"""Long replies in pages: each page a message within Discord's 2,000 characters (whole items),
with Previous / Next buttons whose custom ids (``pf:p:<page>:<command>``) carry the page and
the ``/postflow`` words that made the reply.

A press runs those words again for whoever pressed (their role checked now, not trusted from
when the page was shown) and shows the asked page in place of the message. Only commands that
change nothing are ever run again this way (``help``, ``accounts``, ``list``, ``queue <account>``):
a page id naming anything else is refused, so a forged id can never make a change.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.discord.component_press import ComponentPress
from bot.discord.interaction_types import Answer, CallbackType
from bot.discord.reply_text import EPHEMERAL, MESSAGE_MAX
from postflow.chatops.commands import run_command
from postflow.chatops.failure_replies import reply_or_apology
from postflow.chatops.queue_edits import split_edit
from postflow.chatops.replies import ButtonAction, Reply
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime

log = logging.getLogger(__name__)

PAGE_PREFIX = "pf:p:"
#: Discord's limit on a custom id.
CUSTOM_ID_MAX = 100
#: Room kept on every page for its "Page 2 of 3" line.
_FOOTER_ROOM = 40
#: Commands a page press may run again: they read only.
READ_ONLY_COMMANDS = frozenset({"help", "accounts", "list", "queue"})
_BUTTON, _ROW = 2, 1
_SECONDARY, _PRIMARY = 2, 1


def reply_pages(reply: Reply) -> list[str]:
    """The reply's text and items cut into pages of whole items, each within
    :data:`MESSAGE_MAX` with its page line; an item longer than a page is cut with "…"."""
    budget = MESSAGE_MAX - _FOOTER_ROOM
    head = f"\N{WARNING SIGN}\N{VARIATION SELECTOR-16} {reply.text}" if reply.error else reply.text
    pages: list[str] = []
    current = _cut(head, budget)
    for item in reply.items:
        block = _cut("\n".join([f"**{item.title}**", *item.lines]), budget)
        if current and len(current) + 2 + len(block) > budget:
            pages.append(current)
            current = block
        else:
            current = f"{current}\n\n{block}" if current else block
    pages.append(current)
    return pages


def pageable(command_text: str) -> bool:
    """Whether a press may run ``command_text`` again: a read-only command that fits an id."""
    words = command_text.split()
    if not words or words[0].lower() not in READ_ONLY_COMMANDS:
        return False
    if words[0].lower() == "queue" and split_edit(words[1:]) is not None:
        return False
    return len(page_id(0, command_text)) <= CUSTOM_ID_MAX


def page_id(page: int, command_text: str) -> str:
    return f"{PAGE_PREFIX}{page}:{' '.join(command_text.split())}"


def read_page_id(custom_id: str) -> tuple[int, str] | None:
    """(page, command words) of a page button's id; None when it is not one."""
    if not custom_id.startswith(PAGE_PREFIX) or len(custom_id) > CUSTOM_ID_MAX:
        return None
    page, sep, text = custom_id.removeprefix(PAGE_PREFIX).partition(":")
    if not sep or not page.isascii() or not page.isdigit() or len(page) > 4:
        return None
    if not pageable(text):
        return None
    return int(page), text


def paged_message(reply: Reply, command_text: str, page: int = 0) -> dict[str, Any]:
    """The message data showing ``page`` (from 0) of the reply to ``command_text``, with the
    buttons to its neighbours and the core's own page buttons (``list``'s pages of posts).
    A reply to a command that may not run again shows its first page only, saying so."""
    pages = reply_pages(reply)
    can_page = pageable(command_text)
    page = min(max(page, 0), len(pages) - 1)
    text = pages[page]
    buttons: list[dict[str, Any]] = []
    if len(pages) > 1:
        if can_page:
            text += f"\n\nPage {page + 1} of {len(pages)}"
            if page > 0:
                buttons.append(_button("Previous", page_id(page - 1, command_text)))
            if page < len(pages) - 1:
                buttons.append(_button("Next", page_id(page + 1, command_text), primary=True))
        else:
            text += "\n…more than fits in one message."
    for button in reply.buttons:
        if button.action is ButtonAction.LIST_PAGE:
            group, _, number = button.value.partition(":")
            custom_id = page_id(0, f"list {group} {number}")
            if len(custom_id) <= CUSTOM_ID_MAX:
                buttons.append(_button(button.label, custom_id))
    data: dict[str, Any] = {"content": text[:MESSAGE_MAX],
                            "allowed_mentions": {"parse": []}}
    if not reply.public:
        data["flags"] = EPHEMERAL
    if buttons:
        data["components"] = [{"type": _ROW, "components": buttons[:5]}]
    return data


async def page_answer(rt: Runtime, queue: PublishQueue | None,
                      press: ComponentPress) -> Answer:
    """A page button pressed: the command run again for the presser, the page shown in place
    of the message (``UPDATE_MESSAGE``)."""
    read = read_page_id(press.custom_id)
    if read is None or press.caller is None or press.form:
        reply = Reply(text="That page button is out of date; run the command again.",
                      error=True)
        return {"type": CallbackType.CHANNEL_MESSAGE_WITH_SOURCE,
                "data": paged_message(reply, "")}
    page, text = read
    reply = await reply_or_apology(run_command(rt, queue, press.caller, text), log,
                                   "Discord page button")
    data = paged_message(reply, text, page)
    data.pop("flags", None)  # an update keeps the message's own flags
    data.setdefault("components", [])
    return {"type": CallbackType.UPDATE_MESSAGE, "data": data}


def _button(label: str, custom_id: str, *, primary: bool = False) -> dict[str, Any]:
    return {"type": _BUTTON, "style": _PRIMARY if primary else _SECONDARY,
            "label": label[:80], "custom_id": custom_id}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
