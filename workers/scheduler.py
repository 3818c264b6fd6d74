"""The scheduler loop: create the posts of recurring occurrences, set aside late posts, hand due
posts to workers, send canaries, resend what got stuck, delete media nobody uses any more,
purge expired request records, delete notices past their retention.

Every step tolerates an unreachable broker or store: it logs and the next tick tries again, so a
scheduler started before Redis (or the database) is up recovers by itself once it is.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from postflow.mailing.delivery import resend_unsent_emails
from postflow.mailing.digest_pass import send_due_digests
from postflow.notices.router import Notices
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime
from postflow.usecases.admin import suspended_org_ids
from postflow.usecases.billing.event_intake import BillingEventQueue, requeue_pending_events
from postflow.usecases.billing.grace import RUN_EVERY as BILLING_PASS_EVERY
from postflow.usecases.billing.grace import check_billing_grace
from postflow.usecases.billing.plan_enforcement import release_quota_holds
from postflow.usecases.dispatch import BATCH as DISPATCH_BATCH
from postflow.usecases.dispatch import dispatch_due_posts, requeue_stale_posts
from postflow.usecases.inbox import RUN_EVERY as NOTICE_PASS_EVERY
from postflow.usecases.inbox import delete_old_notices
from postflow.usecases.late_posts import mark_late_posts
from postflow.usecases.media_retention import RUN_EVERY as MEDIA_PASS_EVERY
from postflow.usecases.media_retention import release_unused_media
from postflow.usecases.recurring_posts import materialize_due_occurrences
from postflow.usecases.reviews import expire_reviews
from postflow.usecases.seen_signatures import purge_expired_records
from postflow.usecases.submit_post import usage_period
from postflow.usecases.token_health import CHECK_EVERY, check_token_health
from postflow.usecases.webhook_deliveries import purge_webhook_log, queue_due_deliveries
from postflow.webhooks.sending import WebhookQueue
from workers.leader import LeaderLock

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The reconciler looks for stuck posts this often, or more often when they count as stuck sooner.
REQUEUE_EVERY_SECONDS = 30.0
#: Shortest sleep between ticks: posts still due after a tick (a backlog bigger than a tick
#: drains) are picked up almost at once, without spinning.
MIN_WAIT_SECONDS = 0.02
#: While a step keeps failing (Redis down), it is logged again only every this many ticks.
LOG_EVERY_FAILURES = 60
#: Expired idempotency keys and seen signatures are deleted this often (MongoDB's TTL index
#: does it too; SQLite has only this).
PURGE_EVERY = timedelta(minutes=5)
#: Outbound webhook deliveries whose next try is due are queued this often.
WEBHOOK_SWEEP_EVERY = timedelta(seconds=5)
#: Recorded emails still unsent are looked for this often (postflow/mailing/delivery.py).
EMAIL_SWEEP_EVERY = timedelta(minutes=1)
#: Members whose digest is due (08:00 in their zone) are looked for this often.
DIGEST_PASS_EVERY = timedelta(minutes=1)
#: Which organizations are suspended (their posts wait) is read again this often.
SUSPENDED_EVERY = timedelta(seconds=5)


@dataclass(frozen=True)
class TickReport:
    """What one tick did; counts are zero for steps that did not run or failed."""

    leader: bool
    #: Posts created for occurrences of recurring series.
    materialized: int = 0
    late: int = 0
    dispatched: int = 0
    canary_sent: bool = False
    requeued: int = 0
    #: Review requests closed because nobody decided before their deadline.
    reviews_expired: int = 0
    #: Connections whose tokens the token-health pass refreshed.
    tokens_refreshed: int = 0
    #: Media holds released because nothing used them for the retention.
    media_released: int = 0
    #: Expired idempotency keys and seen signatures deleted (and the webhook log's old rows).
    records_purged: int = 0
    #: Recorded Stripe events still pending, handed to the billing job again.
    billing_events_requeued: int = 0
    #: Organizations moved to the default plan because their grace period ended.
    grace_ended: int = 0
    #: Outbound webhook deliveries queued because their next try was due.
    webhooks_queued: int = 0
    #: Notices deleted from notification centers, older than their retention.
    notices_deleted: int = 0
    #: Recorded emails never sent (their queue message lost) handed to the queue again.
    emails_resent: int = 0
    #: Digests recorded and queued (postflow/mailing/digest_pass.py).
    digests_sent: int = 0


class Scheduler:
    """Runs on every scheduler process; only the one holding ``leader`` does the work."""

    def __init__(self, rt: Runtime, queue: PublishQueue, leader: LeaderLock,
                 notices: Notices | None = None,
                 billing_queue: BillingEventQueue | None = None, *,
                 webhooks: WebhookQueue | None = None) -> None:
        self.rt = rt
        self.queue = queue
        #: Where recorded Stripe events still pending are handed again (None: not here).
        self.billing_queue = billing_queue
        self._last_billing_pass: datetime | None = None
        #: The quota month the held posts were last looked at in (``2026-11``).
        self._quota_month: str | None = None
        #: Where due webhook deliveries are queued; None: this scheduler sweeps none.
        self.webhooks = webhooks
        self._last_webhook_sweep: datetime | None = None
        self.leader = leader
        self.notices: Notices = notices or rt.notices
        self._leading = False
        self._last_canary: datetime | None = None
        self._last_requeue: datetime | None = None
        self._last_token_check: datetime | None = None
        self._last_media_pass: datetime | None = None
        self._last_purge: datetime | None = None
        self._last_notice_pass: datetime | None = None
        self._last_email_sweep: datetime | None = None
        self._last_digest_pass: datetime | None = None
        #: Digests found with nothing to say, not built again by this process.
        self._empty_digests: set[str] = set()
        self._last_suspended_read: datetime | None = None
        #: Organizations whose posts wait: left out of dispatching and of the late check.
        self.suspended: Sequence[str] = ()
        #: Consecutive failures per step, so an outage logs once, not once per tick.
        self._failures: dict[str, int] = {}

    @property
    def requeue_every(self) -> timedelta:
        return timedelta(seconds=min(REQUEUE_EVERY_SECONDS,
                                     self.rt.settings.reconcile_after_seconds))

    async def tick(self) -> TickReport:
        """One round: create the posts of recurring occurrences coming up, mark late posts,
        dispatch due posts, and when their time has come a canary and a reconcile pass. Never
        raises for broker or store faults."""
        if not await self._lead():
            return TickReport(leader=False)
        now = self.rt.clock.now()
        await self._read_suspended(now)
        # First, so an occurrence due now is a Scheduled post by the time due posts are read;
        # if it fails, the posts already scheduled still go out.
        recurring = await self._step("create recurring occurrences",
                                     materialize_due_occurrences(self.rt))
        late = await self._step("mark late posts", mark_late_posts(
            self.rt, self.notices, excluding_orgs=self.suspended))
        reviews_expired = await self._step("expire review requests",
                                           expire_reviews(self.rt, self.notices))
        dispatched = None
        # Only after the late check: otherwise a post due long ago would go out without a word.
        if late is not None:
            dispatched = await self._dispatch_backlog()
        canary_sent = False
        interval = timedelta(seconds=self.rt.settings.canary_interval_seconds)
        if self._last_canary is None or now - self._last_canary >= interval:
            canary_sent = await self._step("send a canary", self._send_canary()) is not None
            if canary_sent:
                self._last_canary = now
        requeued = 0
        if self._last_requeue is None or now - self._last_requeue >= self.requeue_every:
            result = await self._step("requeue stale posts",
                                      requeue_stale_posts(self.rt, self.queue))
            if result is not None:
                self._last_requeue = now
                requeued = result
        tokens_refreshed = 0
        # Last: refreshing tokens calls networks, so it never delays a dispatch.
        if self._last_token_check is None or now - self._last_token_check >= CHECK_EVERY:
            health = await self._step("check token health", check_token_health(self.rt))
            if health is not None:
                self._last_token_check = now
                tokens_refreshed = health.refreshed
        media_released = 0
        if self._last_media_pass is None or now - self._last_media_pass >= MEDIA_PASS_EVERY:
            media = await self._step("release unused media", release_unused_media(self.rt))
            if media is not None:
                self._last_media_pass = now
                media_released = media.released
        notices_deleted = 0
        if self._last_notice_pass is None or now - self._last_notice_pass >= NOTICE_PASS_EVERY:
            deleted = await self._step("delete old notices", delete_old_notices(self.rt))
            if deleted is not None:
                self._last_notice_pass = now
                notices_deleted = deleted
        return TickReport(leader=True,
                          materialized=recurring.created if recurring is not None else 0,
                          late=late or 0, dispatched=dispatched or 0,
                          canary_sent=canary_sent, requeued=requeued,
                          reviews_expired=reviews_expired or 0,
                          tokens_refreshed=tokens_refreshed, media_released=media_released,
                          records_purged=await self._purge_records(now),
                          notices_deleted=notices_deleted,
                          emails_resent=await self._resend_emails(now),
                          digests_sent=await self._digest_pass(now),
                          webhooks_queued=await self._sweep_webhooks(now),
                          **await self._billing_pass(now))

    async def _billing_pass(self, now: datetime) -> dict[str, int]:
        """Every billing RUN_EVERY: resend pending Stripe events, and end grace periods."""
        if self._last_billing_pass is not None and \
                now - self._last_billing_pass < BILLING_PASS_EVERY:
            return {}
        requeued = await self._step("resend pending Stripe events",
                                    requeue_pending_events(self.rt, self.billing_queue))
        grace = await self._step("end billing grace periods", check_billing_grace(self.rt))
        if requeued is not None and grace is not None:
            self._last_billing_pass = now
        if self._quota_month != usage_period(now):
            released = await self._step("release last month's quota holds",
                                        release_quota_holds(self.rt))
            if released is not None:
                self._quota_month = usage_period(now)
        return {"billing_events_requeued": requeued or 0, "grace_ended": grace or 0}

    async def _sweep_webhooks(self, now: datetime) -> int:
        """Every WEBHOOK_SWEEP_EVERY: queue the webhook deliveries whose next try is due."""
        if self.webhooks is None or (self._last_webhook_sweep is not None
                                     and now - self._last_webhook_sweep < WEBHOOK_SWEEP_EVERY):
            return 0
        queued = await self._step("queue due webhook deliveries",
                                  queue_due_deliveries(self.rt, self.webhooks))
        if queued is None:
            return 0
        self._last_webhook_sweep = now
        return queued


    async def _resend_emails(self, now: datetime) -> int:
        """Every EMAIL_SWEEP_EVERY: hand recorded emails whose queue message was lost to the
        ``email`` queue again."""
        mail = self.rt.mail
        if mail is None or (self._last_email_sweep is not None
                            and now - self._last_email_sweep < EMAIL_SWEEP_EVERY):
            return 0
        resent = await self._step("resend unsent emails",
                                  resend_unsent_emails(self.rt.store, mail.queue, self.rt.clock))
        if resent is None:
            return 0
        self._last_email_sweep = now
        return resent

    async def _digest_pass(self, now: datetime) -> int:
        """Every DIGEST_PASS_EVERY: record and queue the digests now due."""
        if self.rt.mail is None or (self._last_digest_pass is not None
                                    and now - self._last_digest_pass < DIGEST_PASS_EVERY):
            return 0
        report = await self._step("send due digests",
                                  send_due_digests(self.rt, nothing_to_say=self._empty_digests))
        if report is None:
            return 0
        self._last_digest_pass = now
        if len(self._empty_digests) > 100_000:   # old periods: let them go
            self._empty_digests.clear()
        return report.sent

    async def _read_suspended(self, now: datetime) -> None:
        """Every SUSPENDED_EVERY: which organizations are suspended (on failure, the last
        answer holds until the next tick)."""
        if (self._last_suspended_read is not None
                and now - self._last_suspended_read < SUSPENDED_EVERY):
            return
        suspended = await self._step("read suspended organizations", suspended_org_ids(self.rt))
        if suspended is not None:
            self.suspended = suspended
            self._last_suspended_read = now

    async def _purge_records(self, now: datetime) -> int:
        """Every PURGE_EVERY: delete idempotency keys and seen signatures past their window."""
        if self._last_purge is not None and now - self._last_purge < PURGE_EVERY:
            return 0
        purged = await self._step("purge expired request records", purge_expired_records(self.rt))
        if purged is None:
            return 0
        purged += await self._step("purge the webhook log", purge_webhook_log(self.rt)) or 0
        self._last_purge = now
        return purged

    async def run(self, stop: asyncio.Event) -> None:
        """Tick every ``scheduler_interval_seconds``, and sooner when a post falls due before
        then, until ``stop`` is set; then step down."""
        interval = self.rt.settings.scheduler_interval_seconds
        log.info("scheduler running, every %.1f s", interval)
        try:
            while not stop.is_set():
                report = await self.tick()
                wait = await self.next_wait(interval) if report.leader else interval
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=wait)
        finally:
            if self._leading:
                try:
                    await self.leader.release()
                except Exception:
                    log.warning("could not release scheduler leadership", exc_info=True)
            log.info("scheduler stopped")

    async def next_wait(self, interval: float) -> float:
        """Seconds to sleep: until the next Scheduled post falls due, so it is claimed at its
        time rather than up to a whole interval later, but never longer than ``interval``."""
        try:
            next_due = await self.rt.store.next_due_at(excluding_orgs=self.suspended)
        except Exception:  # the store is down: the next tick logs it
            return interval
        if next_due is None:
            return interval
        seconds = (next_due - self.rt.clock.now()).total_seconds()
        return min(interval, max(MIN_WAIT_SECONDS, seconds))

    async def _lead(self) -> bool:
        leading = await self._step("reach the leader lock", self.leader.acquire_or_renew())
        if leading and not self._leading:
            log.info("this scheduler now leads")
            # A new leader reconciles at once: the previous one may have left work stuck.
            self._last_requeue = None
        elif self._leading and not leading:
            log.info("this scheduler no longer leads")
        self._leading = bool(leading)
        return self._leading

    async def _dispatch_backlog(self) -> int | None:
        """Dispatch due posts batch after batch while batches come back full, for up to one
        interval: a burst of thousands of posts due at once goes out at the workers' pace, not
        one batch per tick. None when the first batch failed."""
        budget = self.rt.settings.scheduler_interval_seconds
        started = time.monotonic()
        total: int | None = None
        while True:
            sent = await self._step("dispatch due posts", dispatch_due_posts(
                self.rt, self.queue, excluding_orgs=self.suspended))
            if sent is None:
                return total
            total = (total or 0) + sent
            if sent < DISPATCH_BATCH or time.monotonic() - started >= budget:
                return total

    async def _send_canary(self) -> bool:
        await self.queue.enqueue_canary()
        return True

    async def _step(self, what: str, work: Awaitable[T]) -> T | None:
        """Await ``work``; on failure log (the first time of a run of failures, with the
        traceback, then every LOG_EVERY_FAILURES ticks) and return None."""
        try:
            result = await work
        except Exception:
            failures = self._failures[what] = self._failures.get(what, 0) + 1
            if failures == 1:
                log.warning("scheduler could not %s; trying again every tick", what,
                            exc_info=True)
            elif failures % LOG_EVERY_FAILURES == 0:
                log.warning("scheduler still cannot %s (%d ticks in a row)", what, failures)
            return None
        if self._failures.pop(what, 0):
            log.info("scheduler can %s again", what)
        return result
