"""What a member's digest says, as plain facts (the wording is in
:mod:`postflow.mailing.wording`): the period's published and failed posts, the week ahead,
the reviews waiting for them, the accounts that need attention and the plan's usage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from postflow.approvals import ApprovalRules
from postflow.chat_actors import chat_actor, may_be_same_person
from postflow.connections import Connection, ConnectionStatus
from postflow.mailing.digest_periods import DigestPeriod
from postflow.organizations import Member
from postflow.plans import Limit
from postflow.posts import Post
from postflow.reviews import ReviewRequest

#: How far ahead "the week ahead" looks, from when the digest is built.
WEEK_AHEAD = timedelta(days=7)
#: An account whose access ends within this is listed as expiring.
EXPIRING_WITHIN = timedelta(days=7)
#: A limit used to this share or more is worth saying (below it, usage alone is no news).
NEAR_LIMIT = 0.8


@dataclass(frozen=True)
class UsageLine:
    limit: Limit
    used: int
    #: None: unlimited.
    allowed: int | None

    @property
    def near(self) -> bool:
        return self.allowed is not None and self.used >= NEAR_LIMIT * self.allowed


@dataclass(frozen=True)
class WaitingReview:
    post: Post
    #: A signed link to the post's page, for this member.
    link: str


@dataclass(frozen=True)
class DigestFacts:
    org_name: str
    period: DigestPeriod
    zone: ZoneInfo
    published: int
    failed: int
    #: Scheduled posts due within the week ahead, soonest first.
    upcoming: tuple[Post, ...]
    waiting: tuple[WaitingReview, ...]
    #: Accounts needing a reconnect, or whose access ends soon.
    accounts: tuple[Connection, ...]
    usage: tuple[UsageLine, ...]
    #: When it was built (the week ahead starts here).
    now: datetime

    @property
    def has_news(self) -> bool:
        """Something to say: else no digest is sent."""
        return bool(self.published or self.failed or self.upcoming or self.waiting
                    or self.accounts or any(line.near for line in self.usage))


def when_due(post: Post) -> datetime | None:
    return post.due_at or post.scheduled_at


def week_ahead(scheduled: list[Post], now: datetime) -> tuple[Post, ...]:
    """The posts of ``scheduled`` (soonest first) due from ``now`` to a week later."""
    return tuple(post for post in scheduled
                 if (due := when_due(post)) is not None and now <= due < now + WEEK_AHEAD)


def accounts_needing_attention(connections: list[Connection],
                               now: datetime) -> tuple[Connection, ...]:
    return tuple(c for c in connections
                 if c.status is ConnectionStatus.NEEDS_RECONNECT
                 or (c.status is ConnectionStatus.ACTIVE and c.token_expires_at is not None
                     and c.token_expires_at < now + EXPIRING_WITHIN))


def may_decide(member: Member, review: ReviewRequest, post: Post) -> bool:
    """Whether ``member`` may approve ``review`` and has not yet approved this round."""
    if any(d.member_id == member.id and d.round == review.round for d in review.decisions):
        return False
    is_author = any(may_be_same_person(by, chat_actor(i))
                    for by in (post.created_by, review.requested_by) if by
                    for i in member.identities)
    rules: ApprovalRules = review.rules
    return rules.refusal(member.role, member.id, is_author=is_author) is None
