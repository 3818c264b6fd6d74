"""The digest pass (the scheduler's leader runs it every minute): for each member whose digest
period has begun (08:00 in their zone, daily or on Mondays) and who has none recorded for it,
build the digest and hand it to the email outbox.

Batched per organization: its members, posts, open reviews, accounts and usage are read once
for all of its members, and the periods already recorded are read in one query. A digest is
recorded under ``digest:<member>:<period>`` before it is queued (the outbox's dedupe key), so
a second pass, a second scheduler or a restarted one finds it and sends none twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from postflow.connections import Connection
from postflow.email.preferences import DigestFrequency, EmailKind
from postflow.errors import Conflict, NotFound
from postflow.mailing import wording
from postflow.mailing.addresses import email_outbox
from postflow.mailing.digest_periods import DigestPeriod, digest_key, digest_zone, latest_period
from postflow.mailing.digests import (
    DigestFacts,
    UsageLine,
    WaitingReview,
    accounts_needing_attention,
    may_decide,
    week_ahead,
)
from postflow.mailing.outbox import EmailOutbox
from postflow.mailing.recipients import effective_preferences, mailable
from postflow.organizations import Member, Organization
from postflow.posts import Post, PostStatus
from postflow.reviews import ReviewRequest
from postflow.runtime import Runtime
from postflow.usecases.billing.plan_usage import usage_against_limits

log = logging.getLogger(__name__)

#: How many Scheduled posts (soonest first) and open reviews one organization's digests read.
SCHEDULED_READ = 500
REVIEWS_READ = 200
#: Digests built and recorded side by side: their store writes are committed together and
#: their queue hand-offs overlap.
CONCURRENT_DIGESTS = 50
PUBLISHED = (PostStatus.PUBLISHED,)
#: A post that went out on some accounts only counts as failed: it needs someone.
FAILED = (PostStatus.FAILED, PostStatus.PARTIAL)


@dataclass
class DigestPassReport:
    #: Digests recorded and queued.
    sent: int = 0
    #: Due digests with nothing to say (not sent).
    empty: int = 0


@dataclass(frozen=True)
class DueDigest:
    member: Member
    period: DigestPeriod
    key: str


@dataclass(frozen=True)
class _Shared:
    scheduled: list[Post]
    reviews: list[tuple[ReviewRequest, Post]]
    connections: list[Connection]
    usage: tuple[UsageLine, ...]


class OrgDigestReads:
    """One organization's records, read once (lazily) for all of its members' digests."""

    def __init__(self, rt: Runtime, org: Organization, now: datetime) -> None:
        self.rt = rt
        self.org = org
        self.now = now
        self._counts: dict[tuple[datetime, datetime], tuple[int, int]] = {}
        self._shared: _Shared | None = None

    async def counts(self, period: DigestPeriod) -> tuple[int, int]:
        """Published and failed posts of the period (members in one zone share a query)."""
        window = (period.since, period.due_at)
        if window not in self._counts:
            store = self.rt.store
            self._counts[window] = (
                await store.count_posts_updated_between(self.org.id, PUBLISHED, *window),
                await store.count_posts_updated_between(self.org.id, FAILED, *window))
        return self._counts[window]

    async def shared(self) -> _Shared:
        """Scheduled posts, open reviews with their posts, accounts, usage: read once."""
        if self._shared is None:
            store = self.rt.store
            scheduled = await store.list_posts_soonest_first(
                self.org.id, [PostStatus.SCHEDULED], offset=0, limit=SCHEDULED_READ)
            reviews = []
            for review in await store.list_open_reviews(self.org.id, REVIEWS_READ):
                try:
                    reviews.append((review, await store.get_post(self.org.id, review.post_id)))
                except NotFound:  # a review whose post is gone says nothing
                    continue
            usage = tuple(UsageLine(u.limit, u.used, u.allowed)
                          for u in await usage_against_limits(self.rt, self.org))
            self._shared = _Shared(scheduled, reviews, await store.list_connections(self.org.id),
                                   usage)
        return self._shared

    async def facts(self, member: Member, period: DigestPeriod,
                    outbox: EmailOutbox) -> DigestFacts:
        published, failed = await self.counts(period)
        shared = await self.shared()
        waiting = tuple(WaitingReview(post, outbox.links.post(self.org.id, member.id, post.id))
                        for review, post in shared.reviews if may_decide(member, review, post))
        return DigestFacts(
            org_name=self.org.name, period=period,
            zone=digest_zone(member.timezone or self.org.timezone),
            published=published, failed=failed, upcoming=week_ahead(shared.scheduled, self.now),
            waiting=waiting, accounts=accounts_needing_attention(shared.connections, self.now),
            usage=shared.usage, now=self.now)


def due_digests(org: Organization, members: list[Member], now: datetime) -> list[DueDigest]:
    """The members of ``org`` who want a digest and can be mailed, with their latest period."""
    due = []
    for member in members:
        frequency = effective_preferences(member).digest
        if frequency is DigestFrequency.NONE or not mailable(member):
            continue
        period = latest_period(frequency, digest_zone(member.timezone or org.timezone), now)
        due.append(DueDigest(member, period, digest_key(member.id, period)))
    return due


async def send_due_digests(rt: Runtime, outbox: EmailOutbox | None = None, *,
                           nothing_to_say: set[str] | None = None) -> DigestPassReport:
    """Build and queue every digest due now and not recorded yet. ``nothing_to_say``: the keys
    of digests found empty earlier (kept by the caller between passes, so an empty digest is
    not built again every minute); empty ones found now are added to it."""
    skip = nothing_to_say if nothing_to_say is not None else set()
    outbox = outbox or email_outbox(rt)
    now = rt.clock.now()
    report = DigestPassReport()
    for org in await rt.store.list_organizations():
        due = [d for d in due_digests(org, await rt.store.list_members(org.id), now)
               if d.key not in skip]
        if not due:
            continue
        recorded = await rt.store.find_recorded_email_keys([d.key for d in due])
        waiting = [d for d in due if d.key not in recorded]
        if not waiting:
            continue
        reads = OrgDigestReads(rt, org, now)
        await reads.shared()   # once, before the members' digests run side by side
        for start in range(0, len(waiting), CONCURRENT_DIGESTS):
            await asyncio.gather(*(_send_one(reads, outbox, digest, skip, report)
                                   for digest in waiting[start:start + CONCURRENT_DIGESTS]))
    return report


async def _send_one(reads: OrgDigestReads, outbox: EmailOutbox, digest: DueDigest,
                    skip: set[str], report: DigestPassReport) -> None:
    facts = await reads.facts(digest.member, digest.period, outbox)
    if not facts.has_news:
        skip.add(digest.key)
        report.empty += 1
        return
    try:
        sent = await outbox.to_member(digest.member, EmailKind.DIGEST, wording.digest(facts),
                                      dedupe_key=digest.key)
    except Conflict:
        return  # another pass recorded it first
    if sent is not None:
        report.sent += 1
