"""``/postflow inbox``: the caller's notification center, their latest notices with the unread
ones first and marked, each with a link to its post when it has one; ``/postflow inbox read``
(or the Mark all read button, where the chat shows buttons) marks them all read.

Any member may look at their own notices (the Viewer role); only their own."""

from __future__ import annotations

from postflow.chatops.callers import Membership
from postflow.chatops.formatting import excerpt, local_time
from postflow.chatops.permissions import Permission, require
from postflow.chatops.replies import Button, ButtonAction, Item, Reply
from postflow.errors import BadInput
from postflow.inbox import InboxEntry
from postflow.runtime import Runtime
from postflow.usecases.inbox import latest_notices, mark_all_read

#: Notices shown by one ``/postflow inbox``; Discord's 2,000 characters may show fewer.
SHOWN = 8
#: How much of a notice's text one line of the list keeps.
LINE_MAX = 180
READ_WORDS = frozenset({"read", "mark-read", "markread", "clear"})
KIND_WORDS = {
    "post.published": "Published", "post.partially_published": "Partly published",
    "post.failed": "Failed", "post.late": "Late", "review.requested": "Review requested",
    "review.decided": "Review decided", "review.expired": "Review expired",
    "connection.token_expiring": "Account expiring",
    "connection.needs_reconnect": "Reconnect needed", "plan.limit_reached": "Plan limit",
    "chat.app_removed": "App removed",
}
MARK_ALL_READ = Button(ButtonAction.INBOX_READ, "Mark all read", "all")


async def inbox_command(rt: Runtime, who: Membership, args: list[str]) -> Reply:
    """``inbox`` shows the notices; ``inbox read`` marks them all read."""
    if not args:
        return await show_inbox(rt, who)
    if len(args) == 1 and args[0].lower() in READ_WORDS:
        return await read_inbox(rt, who)
    raise BadInput("Say `/postflow inbox` to see your notices, or `/postflow inbox read` to "
                   "mark them all read.")


async def show_inbox(rt: Runtime, who: Membership) -> Reply:
    require(who.member.role, Permission.READ)
    view = await latest_notices(rt, who.org.id, who.member.id, limit=SHOWN)
    if not view.entries:
        return Reply(text="No notices yet: what PostFlow tells you (failed posts, reviews "
                          "waiting for you, accounts to reconnect) will be listed here.")
    if view.unread:
        text = (f"{view.unread} unread notice{'s' if view.unread != 1 else ''}, marked "
                "New; `/postflow inbox read` marks them all read.")
    else:
        text = "No unread notices; your latest ones:"
    items = tuple(notice_item(e, who.org.timezone) for e in view.entries)
    return Reply(text=text, items=items, buttons=(MARK_ALL_READ,) if view.unread else ())


async def read_inbox(rt: Runtime, who: Membership) -> Reply:
    require(who.member.role, Permission.READ)
    marked = await mark_all_read(rt, who.org.id, who.member.id)
    if not marked:
        return Reply(text="You have no unread notices.")
    return Reply(text=f"Marked {marked} notice{'s' if marked != 1 else ''} read.")


def notice_item(entry: InboxEntry, timezone: str) -> Item:
    """One notice: whether it is new, what kind, when; its text; its post's link."""
    kind = KIND_WORDS.get(entry.kind, entry.kind)
    title = f"{'New · ' if entry.unread else ''}{kind} · {local_time(entry.created_at, timezone)}"
    lines = [excerpt(entry.text, LINE_MAX)]
    if entry.link:
        lines.append(f"Link: {entry.link}")
    return Item(title=title, lines=tuple(lines))
