"""The notification center as a notice sink: every notice that addresses people is kept, once
per member who receives it (:func:`~postflow.notices.audience.notice_audience`), as an unread
:class:`~postflow.inbox.InboxEntry` with a line of text and a link to the post when it has one.

The wording here is the notification center's own: plain sentences with only the `code` markup
every chat renders, short enough to list ten in one chat message.
"""

from __future__ import annotations

from postflow.clock import Clock
from postflow.ids import new_id
from postflow.inbox import TEXT_MAX, InboxEntry
from postflow.notices.audience import notice_audience
from postflow.notices.events import (
    BILLING_NOTICES,
    ChatAppRemoved,
    ConnectionAdded,
    ConnectionBroken,
    GraceEnding,
    HookCreated,
    HookRotated,
    MemberRoleChanged,
    Notice,
    PaymentFailed,
    PlanChanged,
    PlanLimitReached,
    PostFailed,
    PostLate,
    PostNotice,
    PostPartiallyPublished,
    PostPublished,
    ReviewDecided,
    ReviewExpired,
    ReviewNotice,
    ReviewRequested,
    TokenExpiring,
    TrialEnding,
    WebhookEndpointDisabled,
)
from postflow.posts import Post
from postflow.reviews import Verdict
from postflow.store.port import Store

#: The notices kept in members' notification centers: every kind the core sends.
KEPT = (PostPublished, PostPartiallyPublished, PostFailed, PostLate, ReviewRequested,
        ReviewDecided, ReviewExpired, TokenExpiring, ConnectionBroken, PlanLimitReached,
        ChatAppRemoved, WebhookEndpointDisabled, *BILLING_NOTICES, ConnectionAdded,
        MemberRoleChanged, HookCreated, HookRotated)
_DAY = "%Y-%m-%d"
#: How much of a post's text names it in an entry.
POST_EXCERPT = 40
VERDICTS = {Verdict.APPROVE: "approved", Verdict.REQUEST_CHANGES: "asked for changes on",
            Verdict.REJECT: "rejected"}


class InboxSink:
    """Stores each notice for every member who receives it."""

    name = "inbox"

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def wants(self, notice: Notice) -> bool:
        return isinstance(notice, KEPT)

    async def deliver(self, notice: Notice) -> None:
        members = await notice_audience(self._store, notice)
        if not members:
            return
        post = notice.post if isinstance(notice, PostNotice | ReviewNotice) else None
        text, now = inbox_text(notice), self._clock.now()
        await self._store.insert_inbox_entries([
            InboxEntry(id=new_id("ntc"), org_id=notice.org_id, member_id=member.id,
                       kind=notice.kind, subject_id=notice.subject,
                       post_id=None if post is None else post.id, text=text,
                       link=None if post is None else post_link(post), created_at=now)
            for member in members])


def inbox_text(notice: Notice) -> str:
    """What the entry says, at most :data:`~postflow.inbox.TEXT_MAX` characters."""
    match notice:
        case PostPublished(post=post):
            text = f"{_post(post)} was published on {_networks(post)}."
        case PostPartiallyPublished(post=post):
            text = f"{_post(post)} was published on some accounts only: {post.status_reason}"
        case PostFailed(post=post):
            text = f"{_post(post)} failed: {post.status_reason}"
        case PostLate(post=post):
            text = f"{_post(post)} is late and waits for a person: {post.status_reason}"
        case ReviewRequested(post=post, review=review):
            again = f" again (round {review.round})" if review.round > 1 else ""
            text = f"{_post(post)} waits for review{again} ({review.progress()})."
        case ReviewDecided(post=post, review=review, decision=decision):
            text = f"A reviewer {VERDICTS[decision.verdict]} {_post(post)} ({review.progress()})"
            text += f": {decision.comment}" if decision.comment else "."
        case ReviewExpired(post=post):
            text = f"The review of {_post(post)} expired: the post is a draft again."
        case TokenExpiring(connection=connection, days_left=days_left):
            text = (f"The {connection.network} account {connection.display_name} stops working "
                    f"in {days_left} day{'s' if days_left != 1 else ''} unless it is "
                    "reconnected.")
        case ConnectionBroken(connection=connection, reason=reason):
            text = (f"The {connection.network} account {connection.display_name} needs a "
                    f"reconnect: {reason}")
        case PlanLimitReached(message=message):
            text = message
        case ChatAppRemoved(platform=platform, workspace_id=workspace_id,
                            workspace_name=workspace_name):
            text = (f"PostFlow was removed from the {platform.capitalize()} workspace "
                    f"{workspace_name or workspace_id}: it can no longer post or answer there.")
        case WebhookEndpointDisabled(endpoint_id=endpoint_id, shown_url=url, reason=reason):
            text = (f"PostFlow disabled the webhook endpoint `{endpoint_id}` ({url}): {reason}. "
                    f"Enable it with `postflow webhook enable {endpoint_id} --org "
                    f"{notice.org_id}` once it answers.")
        case PaymentFailed(plan_name=plan, grace_until=until):
            text = (f"A payment for the {plan} plan failed: the plan stays until "
                    f"{until:{_DAY}}. Update the card with `/postflow billing`.")
        case TrialEnding(plan_name=plan, trial_end=end):
            text = (f"The {plan} trial ends on {end:{_DAY}}. Add a card with `/postflow billing` "
                    "to keep the plan.")
        case GraceEnding(plan_name=plan, grace_until=until):
            text = (f"The grace period for the failed payment ends on {until:{_DAY} %H:%M} UTC; "
                    f"then the organization leaves the {plan} plan. Update the card with "
                    "`/postflow billing`.")
        case PlanChanged(plan_name=plan, old_plan_name=old, reason=reason, paused=paused,
                         held_posts=held):
            text = f"The organization moved from the {old} plan to the {plan} plan ({reason})."
            if paused:
                text += f" Paused over the new limit: {', '.join(paused)}."
            if held:
                text += f" {held} scheduled post(s) wait until the plan allows them."
        case ConnectionAdded(network=network, account_name=account, actor=actor):
            text = f"The {network} account {account} was connected by {_actor(actor)}."
        case MemberRoleChanged(member_name=name, old_role="", new_role=new, actor=actor):
            text = f"{name} was added as {new} by {_actor(actor)}."
        case MemberRoleChanged(member_name=name, old_role=old, new_role=new, actor=actor):
            text = f"{name}'s role changed from {old} to {new} by {_actor(actor)}."
        case HookCreated(hook_name=name, actor=actor):
            text = (f"The incoming hook {name!r} was created by {_actor(actor)}: whoever holds "
                    "its secret can create posts.")
        case HookRotated(hook_name=name, actor=actor):
            text = f"The secret of the incoming hook {name!r} was rotated by {_actor(actor)}."
        case _:
            text = f"{notice.kind} about {notice.subject}."
    flat = " ".join(text.split())
    return flat if len(flat) <= TEXT_MAX else flat[:TEXT_MAX - 1].rstrip() + "…"


def _actor(actor: str) -> str:
    """Who did it, as records name them (``slack:T1:U1``, ``cli``), in `code`."""
    return "an operator at the command line" if actor == "cli" else f"`{actor}`"


def post_link(post: Post) -> str | None:
    """The published post on its network (the first target that has an address), if any."""
    return next((t.url for t in post.targets if t.url), None)


def _post(post: Post) -> str:
    flat = " ".join(post.text.split())
    if len(flat) > POST_EXCERPT:
        flat = flat[:POST_EXCERPT - 1].rstrip() + "…"
    return f"Post `{post.id}` (\u201c{flat}\u201d)" if flat else f"Post `{post.id}`"


def _networks(post: Post) -> str:
    return ", ".join(sorted({t.network for t in post.targets})) or "its accounts"
