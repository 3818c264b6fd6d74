"""The buttons on chat notices (a failed, partial or late post; an account needing a reconnect):
each press is checked against the presser's role at press time and runs an existing use case.

The answer is a :class:`NoticeOutcome`: a short :class:`Reply` for the presser alone, and, when
the press changed something, the line the notice itself is updated with (who did what).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from postflow.chat_actors import names_member
from postflow.chatops.accounts import asker_name
from postflow.chatops.callers import Caller, Membership, resolve_member
from postflow.chatops.formatting import local_time, user_mention
from postflow.chatops.permissions import Permission, allows, refuse, require
from postflow.chatops.post_outcomes import EDITED_FOR_REVIEW, NoticeAction, done_text
from postflow.chatops.replies import Reply
from postflow.errors import BadInput, PostFlowError
from postflow.organizations import Role
from postflow.posts import Post
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime
from postflow.usecases.edit_post import PostEdit, edit_and_retry
from postflow.usecases.oauth_connect import connect_link, consent_networks
from postflow.usecases.post_actions import cancel_post, publish_now, reschedule_post
from postflow.usecases.unconfirmed_targets import mark_unconfirmed_published


@dataclass(frozen=True)
class NoticeOutcome:
    reply: Reply
    #: The line to add to the notice, replacing its buttons; "" leaves the notice as it is.
    done: str = ""
    #: For a form: network -> what its provider refuses ("" for the shared text).
    problems: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EditDraft:
    """What the Edit button's form starts from: the post's text and per-network variants."""

    post_id: str
    text: str
    variants: Mapping[str, str]
    #: The networks of the post's targets, sorted: one optional variant field each.
    networks: tuple[str, ...]


async def press_notice(rt: Runtime, queue: PublishQueue | None, caller: Caller,
                       action: NoticeAction, value: str) -> NoticeOutcome:
    """Act on ``value`` (a post id; a connection id for RECONNECT) as ``caller``; a refusal
    (role, or a post that moved on meanwhile) is an error reply and leaves the notice alone."""
    try:
        who = await resolve_member(rt, caller)
        if action is NoticeAction.RECONNECT:
            return NoticeOutcome(await _reconnect(rt, who, value))
        require(who.member.role, Permission.PUBLISH)
        return await _act_on_post(rt, queue, who, action, value)
    except PostFlowError as err:
        return NoticeOutcome(Reply(text=err.message, error=True))


async def reschedule_from_notice(rt: Runtime, caller: Caller, post_id: str, at: datetime,
                                 timezone: str) -> NoticeOutcome:
    """The Reschedule button's form, submitted: the post moves to ``at`` (aware), said in
    ``timezone`` (the presser's)."""
    try:
        who = await resolve_member(rt, caller)
        require(who.member.role, Permission.PUBLISH)
        post = await reschedule_post(rt, who.org.id, post_id, at, actor=who.actor)
    except PostFlowError as err:
        return NoticeOutcome(Reply(text=err.message, error=True))
    when = local_time(post.scheduled_at, timezone)
    return NoticeOutcome(Reply(text=f"Rescheduled post `{post.id}` for {when}."),
                         done_text(NoticeAction.RESCHEDULE, _mention(who), when))


async def reschedule_allowed(rt: Runtime, caller: Caller) -> Reply | None:
    """Checked before the form opens, so a Viewer is told at once; None when allowed."""
    try:
        who = await resolve_member(rt, caller)
        require(who.member.role, Permission.PUBLISH)
    except PostFlowError as err:
        return Reply(text=err.message, error=True)
    return None


async def edit_draft(rt: Runtime, caller: Caller, post_id: str) -> EditDraft | Reply:
    """Checked before the Edit form opens (a refusal is a Reply); the form's starting values."""
    try:
        who = await resolve_member(rt, caller)
        post = await rt.store.get_post(who.org.id, post_id)
        _may_edit(who, post)
    except PostFlowError as err:
        return Reply(text=err.message, error=True)
    return EditDraft(post_id=post.id, text=post.text, variants=dict(post.variants),
                     networks=tuple(sorted({t.network for t in post.targets})))


async def edit_from_notice(rt: Runtime, queue: PublishQueue | None, caller: Caller,
                           post_id: str, text: str, variants: Mapping[str, str]) -> NoticeOutcome:
    """The Edit form, submitted: the post's new text, and its failed targets sent again (or
    the post back to review when the presser's role or its review requires one). The role is
    checked again: it may have changed since the form opened."""
    try:
        who = await resolve_member(rt, caller)
        post = await rt.store.get_post(who.org.id, post_id)
        review_required = _may_edit(who, post)
        edited = await edit_and_retry(
            rt, queue, who.org.id, post_id,
            PostEdit(text=text, variants={n: v.strip() for n, v in variants.items()
                                          if v.strip()}),
            actor=who.actor, review_required=review_required)
    except BadInput as err:
        return NoticeOutcome(Reply(text=err.message, error=True), problems=_problems(err))
    except PostFlowError as err:
        return NoticeOutcome(Reply(text=err.message, error=True))
    if edited.review is not None:
        return NoticeOutcome(
            Reply(text=f"Post `{post_id}` is edited and waits for review; once approved, the "
                       "accounts it missed are tried again."),
            f"{_mention(who)} {EDITED_FOR_REVIEW}.")
    text = (f"Post `{post_id}` is edited and being published now to the accounts it missed."
            if queue is not None else f"Post `{post_id}` is edited and due now: the scheduler "
                                      "publishes it to the accounts it missed within moments.")
    return NoticeOutcome(Reply(text=text), done_text(NoticeAction.EDIT, _mention(who)))


def _may_edit(who: Membership, post: Post) -> bool:
    """Raise Forbidden when ``who`` may not edit ``post``; else whether the edit needs review.

    A Member edits their own posts, and their edit goes to review as their new posts do; an
    Admin or Owner edits any post and sends it straight out.
    """
    role = who.member.role
    require(role, Permission.DRAFT, action="Editing posts")
    if not allows(role, Permission.PUBLISH) and not names_member(post.created_by, who.member):
        refuse(role, Role.ADMIN, "Editing someone else's post")
    return not allows(role, Permission.SCHEDULE_DIRECTLY)


def _problems(err: BadInput) -> dict[str, str]:
    """network -> the first problem its provider found; "" -> a problem with no network."""
    found = (err.details or {}).get("problems")
    if not isinstance(found, dict):
        return {"": err.message}
    return {str(network): str(problems[0]["message"]) for network, problems in found.items()
            if problems}


async def _act_on_post(rt: Runtime, queue: PublishQueue | None, who: Membership,
                       action: NoticeAction, post_id: str) -> NoticeOutcome:
    org_id, actor = who.org.id, who.actor
    if action is NoticeAction.MARK_PUBLISHED:
        post = await mark_unconfirmed_published(rt, org_id, post_id, actor=actor)
        text = f"Marked post `{post.id}` as published on the accounts that were unconfirmed."
    elif action is NoticeAction.DROP:
        post = await cancel_post(rt, org_id, post_id, actor=actor)
        text = f"Dropped post `{post.id}`: it will not be published."
    elif action in (NoticeAction.RETRY, NoticeAction.RETRY_UNCONFIRMED,
                    NoticeAction.PUBLISH_NOW):
        post = await publish_now(rt, queue, org_id, post_id, actor=actor,
                                 include_unconfirmed=action is NoticeAction.RETRY_UNCONFIRMED)
        text = (f"Post `{post.id}` is being published now." if queue is not None else
                f"Post `{post.id}` is due now: the scheduler publishes it within moments.")
    else:  # RESCHEDULE opens a form first: see reschedule_from_notice
        raise ValueError(f"{action} is not answered by press_notice")
    return NoticeOutcome(Reply(text=text), done_text(action, _mention(who)))


async def _reconnect(rt: Runtime, who: Membership, connection_id: str) -> Reply:
    require(who.member.role, Permission.MANAGE_CONNECTIONS)
    connection = await rt.store.get_connection(who.org.id, connection_id)
    if connection.network in consent_networks(rt):
        link = await connect_link(rt, who.org.id, connection.network, actor=who.actor,
                                  asked_by=asker_name(who))
        return Reply(text=f"Open this link to connect {connection.display_name} "
                          f"({connection.network}) again; it works once, for the next 10 "
                          f"minutes: {link.url}")
    if connection.network == "sandbox":
        return Reply(text=f"{connection.display_name} is a sandbox account: it has no access "
                          "to lose, so there is nothing to reconnect. Retry the post instead.")
    return Reply(text=f"{connection.network} accounts are connected with `postflow connect "
                      f"{connection.network}` on the PostFlow server; ask whoever runs it.")


def _mention(who: Membership) -> str:
    return user_mention(who.caller.identity.user_id)
