"""``/postflow audit [page]``: the organization's latest audit events, a page at a time, for
Owners and Admins."""

from __future__ import annotations

from postflow.audit import AuditEvent
from postflow.chatops.callers import Membership
from postflow.chatops.formatting import excerpt, local_time
from postflow.chatops.permissions import Permission, require
from postflow.chatops.replies import Button, ButtonAction, Item, Reply
from postflow.errors import BadInput
from postflow.runtime import Runtime

#: Events a page: one item each keeps a reply well inside Slack's 50 blocks and Discord's
#: 25 embed fields, with room for the page buttons.
PAGE_SIZE = 10
#: The data of an event is shown up to this many characters.
DATA_LENGTH = 160


def parse_page(args: list[str]) -> int:
    words = [a for a in args if a.lower() != "page"]
    if not words:
        return 1
    if len(words) == 1 and words[0].isdigit() and int(words[0]) >= 1:
        return int(words[0])
    raise BadInput("Say which page: `/postflow audit` or `/postflow audit 2`.")


async def audit_command(rt: Runtime, who: Membership, args: list[str]) -> Reply:
    return await audit_page(rt, who, parse_page(args))


async def audit_page(rt: Runtime, who: Membership, page: int) -> Reply:
    """Events newest first; Admin or Owner only."""
    require(who.member.role, Permission.READ_AUDIT)
    # One more than a page tells whether a next page exists.
    events = await rt.store.list_recent_audit(who.org.id, offset=(page - 1) * PAGE_SIZE,
                                              limit=PAGE_SIZE + 1)
    shown = events[:PAGE_SIZE]
    if not shown:
        text = ("The audit log is empty." if page == 1 else
                f"There is no page {page} of the audit log; `/postflow audit` shows the latest.")
        return Reply(text=text)
    buttons = []
    if page > 1:
        buttons.append(Button(ButtonAction.AUDIT_PAGE, "Newer", str(page - 1)))
    if len(events) > PAGE_SIZE:
        buttons.append(Button(ButtonAction.AUDIT_PAGE, "Older", str(page + 1)))
    return Reply(text=f"Audit log of {who.org.name}, newest first (page {page}).",
                 items=tuple(event_item(e, who.org.timezone) for e in shown),
                 buttons=tuple(buttons))


async def press_audit_page(rt: Runtime, who: Membership, value: str) -> Reply:
    if not value.isdigit() or int(value) < 1:
        raise BadInput("That button is out of date; run `/postflow audit` again.")
    return await audit_page(rt, who, int(value))


def event_item(event: AuditEvent, timezone: str) -> Item:
    data = ", ".join(f"{k}={v}" for k, v in event.data.items())
    lines = [f"{local_time(event.at, timezone)} · by `{event.actor}` · on `{event.subject_id}`"]
    if data:
        lines.append(excerpt(data, DATA_LENGTH))
    return Item(title=event.action, lines=tuple(lines))
