"""Who receives a notice: the one answer every sink that addresses people (the notification
center, email, digests) shares, so a notice reaches the same members whichever way it goes.

The rules mirror whom the chat sinks speak to, person by person:

- a post's publish outcome or lateness: its author (the member whose chat identity created it);
  a failure (failed, partly published, late) also goes to the Owners and Admins, who can
  reschedule, publish or cancel it; a post no member wrote (a hook, the CLI) goes to them alone;
- a review request: the members who may approve it under its rules (not its author unless the
  rules let authors approve);
- a review decided or expired: the post's author and whoever asked for the review, not the
  member who decided;
- a connection expiring or broken, a plan limit reached, the app removed from a chat workspace,
  a security change (an account connected, a role changed or a member added, an incoming hook
  created or rotated): the Owners and Admins;
- a billing notice (payment failed, trial or grace ending, plan changed) and an outbound webhook
  endpoint disabled (its URL may carry a secret): the Owners alone, as in chat.

Only members of the notice's own organization are ever returned.
"""

from __future__ import annotations

from postflow.chat_actors import chat_actor, may_be_same_person
from postflow.notices.events import (
    BillingNotice,
    ChatAppRemoved,
    ConnectionNotice,
    Notice,
    PlanLimitReached,
    PostFailed,
    PostLate,
    PostNotice,
    PostPartiallyPublished,
    ReviewDecided,
    ReviewNotice,
    ReviewRequested,
    SecurityNotice,
    WebhookEndpointDisabled,
)
from postflow.organizations import Member, Role
from postflow.reviews import ReviewRequest
from postflow.store.records.organizations import OrganizationRecords

#: The notices about a post that need someone who can act on it, not only its author.
NEEDS_ACTION = (PostFailed, PostPartiallyPublished, PostLate)
#: The least role that manages connections, billing alerts and stuck posts.
MANAGERS = Role.ADMIN


async def notice_audience(members: OrganizationRecords, notice: Notice) -> list[Member]:
    """The members of ``notice``'s organization who receive it, each once, in the order the
    organization lists its members; empty for a notice kind nobody receives."""
    everyone = await members.list_members(notice.org_id)
    chosen = _chosen(everyone, notice)
    return [m for m in everyone if m.id in chosen]


def _chosen(everyone: list[Member], notice: Notice) -> set[str]:
    managers = {m.id for m in everyone if m.role.allows(MANAGERS)}
    match notice:
        case PostNotice(post=post):
            authors = _named(everyone, post.created_by)
            if not authors or isinstance(notice, NEEDS_ACTION):
                return authors | managers
            return authors
        case ReviewRequested(post=post, review=review):
            return _reviewers(everyone, review, post.created_by)
        case ReviewNotice(post=post, review=review):
            told = _named(everyone, post.created_by) | _named(everyone, review.requested_by)
            if isinstance(notice, ReviewDecided):
                told.discard(notice.decision.member_id)
            return told
        case ConnectionNotice() | PlanLimitReached() | ChatAppRemoved() | SecurityNotice():
            return managers
        case BillingNotice() | WebhookEndpointDisabled():
            return {m.id for m in everyone if m.role is Role.OWNER}
    return set()


def _named(everyone: list[Member], recorded: str) -> set[str]:
    """The members ``recorded`` (an actor name such as ``slack:T1:U1``) names; none for a hook
    or the CLI. A name written before workspaces were recorded matches that user anywhere."""
    if not recorded:
        return set()
    return {m.id for m in everyone
            if any(may_be_same_person(recorded, chat_actor(i)) for i in m.identities)}


def _reviewers(everyone: list[Member], review: ReviewRequest, author: str) -> set[str]:
    """The members the review's rules let approve it."""
    chosen = set()
    for member in everyone:
        is_author = any(may_be_same_person(by, chat_actor(i))
                        for by in (author, review.requested_by) if by
                        for i in member.identities)
        if review.rules.refusal(member.role, member.id, is_author=is_author) is None:
            chosen.add(member.id)
    return chosen
