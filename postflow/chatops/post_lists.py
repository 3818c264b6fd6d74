"""``/postflow list``: posts by group, a page at a time, with the buttons the caller's role
allows; and what those buttons do (cancel, publish now)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from postflow.chatops.callers import Membership
from postflow.chatops.formatting import excerpt, local_time
from postflow.chatops.permissions import Permission, allows, require
from postflow.chatops.replies import Button, ButtonAction, ButtonStyle, Item, Reply
from postflow.errors import BadInput
from postflow.organizations import Role
from postflow.posts import Post, PostStatus
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime
from postflow.usecases.post_actions import CANCELABLE, PUBLISHABLE_NOW, cancel_post, publish_now

S = PostStatus
PAGE_SIZE = 5

STATUS_WORDS: dict[PostStatus, str] = {
    S.DRAFT: "Draft", S.IN_REVIEW: "In review", S.APPROVED: "Approved",
    S.SCHEDULED: "Scheduled", S.LATE: "Late: waiting for you", S.QUEUED: "Going out now",
    S.PUBLISHING: "Publishing", S.PUBLISHED: "Published", S.PARTIAL: "Partly published",
    S.FAILED: "Failed", S.CANCELED: "Canceled",
}


@dataclass(frozen=True)
class ListGroup:
    key: str
    title: str
    statuses: tuple[PostStatus, ...]
    #: Upcoming posts read best soonest first; the others newest first.
    soonest_first: bool = False


GROUPS: dict[str, ListGroup] = {g.key: g for g in (
    ListGroup("upcoming", "Upcoming posts",
              (S.APPROVED, S.SCHEDULED, S.LATE, S.QUEUED, S.PUBLISHING), soonest_first=True),
    ListGroup("drafts", "Drafts", (S.DRAFT,)),
    ListGroup("review", "Posts in review", (S.IN_REVIEW,)),
    ListGroup("failed", "Failed posts", (S.FAILED, S.PARTIAL)),
)}
ALIASES = {"draft": "drafts", "in-review": "review", "in_review": "review", "reviews": "review",
           "failures": "failed", "next": "upcoming", "scheduled": "upcoming"}


def parse_list_args(args: list[str]) -> tuple[ListGroup, int]:
    """``[group] [page]`` -> (group, page from 1)."""
    group, page = GROUPS["upcoming"], 1
    for arg in args:
        word = arg.lower()
        if word.isdigit():
            page = max(1, int(word))
        elif ALIASES.get(word, word) in GROUPS:
            group = GROUPS[ALIASES.get(word, word)]
        elif word != "page":
            raise BadInput(f"{arg!r} is not a list: use upcoming, drafts, review or failed, "
                           "and a page number, as in `/postflow list drafts 2`.")
    return group, page


async def list_posts(rt: Runtime, who: Membership, group: ListGroup, page: int) -> Reply:
    require(who.member.role, Permission.READ)
    total = await rt.store.count_posts(who.org.id, group.statuses)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(page, pages)
    shown = await _page_of(rt, who.org.id, group, page)
    others = [f"{await rt.store.count_posts(who.org.id, g.statuses)} {g.key}"
              for g in GROUPS.values() if g is not group]
    if total:
        text = f"{group.title}: {total} in all, page {page} of {pages}."
    else:
        text = f"No {group.title.lower()}."
    text += f" Also: {', '.join(others)} (`/postflow list <which>`)."
    pager = []
    if page > 1:
        pager.append(Button(ButtonAction.LIST_PAGE, "Previous page", f"{group.key}:{page - 1}"))
    if page < pages:
        pager.append(Button(ButtonAction.LIST_PAGE, "Next page", f"{group.key}:{page + 1}"))
    items = tuple(post_item(p, who.org.timezone, who.member.role) for p in shown)
    return Reply(text=text, items=items, buttons=tuple(pager))


async def list_page(rt: Runtime, who: Membership, value: str) -> Reply:
    key, _, page = value.partition(":")
    if key not in GROUPS or not page.isdigit():
        raise BadInput("That page button is out of date; run `/postflow list` again.")
    return await list_posts(rt, who, GROUPS[key], int(page))


def post_item(post: Post, timezone: str, role: Role) -> Item:
    """A post as one item: id and status, an excerpt, when, where, and allowed buttons."""
    lines = [excerpt(post.text),
             f"When: {local_time(post.scheduled_at, post.timezone or timezone)}",
             "To: " + ", ".join(sorted({t.network for t in post.targets}))]
    if post.status in (S.LATE, S.FAILED, S.PARTIAL) and post.status_reason:
        lines.append(f"Why: {excerpt(post.status_reason, 160)}")
    return Item(title=f"`{post.id}` · {STATUS_WORDS[post.status]}", lines=tuple(lines),
                buttons=post_buttons(post, role))


def post_buttons(post: Post, role: Role) -> tuple[Button, ...]:
    """Publish now and cancel, where the post's status and the caller's role allow them."""
    if not allows(role, Permission.PUBLISH):
        return ()
    buttons = []
    if post.status in PUBLISHABLE_NOW:
        buttons.append(Button(ButtonAction.PUBLISH_NOW, "Publish now", post.id,
                              ButtonStyle.PRIMARY, confirm=f"Publish post {post.id} now?"))
    if post.status in CANCELABLE:
        buttons.append(Button(ButtonAction.CANCEL, "Cancel", post.id, ButtonStyle.DANGER,
                              confirm=f"Cancel post {post.id}? It will not be published."))
    return tuple(buttons)


async def press_cancel(rt: Runtime, who: Membership, post_id: str) -> Reply:
    require(who.member.role, Permission.PUBLISH, action="Canceling posts")
    post = await cancel_post(rt, who.org.id, post_id, actor=who.actor)
    return Reply(text=f"Canceled post `{post.id}`: it will not be published.")


async def press_publish_now(rt: Runtime, queue: PublishQueue | None, who: Membership,
                            post_id: str) -> Reply:
    require(who.member.role, Permission.PUBLISH, action="Publishing posts now")
    post = await publish_now(rt, queue, who.org.id, post_id, actor=who.actor)
    return Reply(text=f"Post `{post.id}` is going out now ({STATUS_WORDS[post.status]}).")


async def _page_of(rt: Runtime, org_id: str, group: ListGroup, page: int) -> list[Post]:
    """Page ``page`` (from 1) of the group, read from the store: no more posts than it shows."""
    offset = (page - 1) * PAGE_SIZE
    if group.soonest_first:
        return await rt.store.list_posts_soonest_first(org_id, group.statuses, offset=offset,
                                                       limit=PAGE_SIZE)
    newest = await rt.store.list_posts(org_id, list(group.statuses), limit=offset + PAGE_SIZE)
    return newest[offset:]
