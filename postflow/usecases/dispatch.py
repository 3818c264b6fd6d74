"""Handing due work to workers: claim in the store first, then enqueue.

The store is the source of truth. A claimed post is Queued before any message is sent, so a lost
message (broker restart, flushed Redis) leaves a Queued post that ``requeue_stale_posts`` sends
again; a duplicate message finds the post no longer Queued and does nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

from postflow.errors import Conflict
from postflow.post_status import revise, transition
from postflow.posts import Post, PostStatus
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime
from postflow.usecases.audit_log import audit_event

log = logging.getLogger(__name__)

BATCH = 200


async def claim_post(rt: Runtime, post: Post, actor: str = "scheduler") -> Post | None:
    """Move a Scheduled post to Queued; None when another claimer (or an edit) got there first."""
    queued = transition(post, PostStatus.QUEUED, at=rt.clock.now())
    try:
        await rt.store.replace_post(queued, expected_version=post.version, audit=[audit_event(
            rt, post.org_id, actor, "post.status_changed", post.id,
            **{"from": post.status.value, "to": queued.status.value, "reason": ""})])
    except Conflict:
        return None
    return queued


async def _send(queue: PublishQueue, post: Post, trigger: str) -> bool:
    try:
        await queue.enqueue_publish(post.org_id, post.id, post.version, trigger)
    except Exception:  # the broker is down: the post stays Queued, the reconciler resends it
        log.warning("could not enqueue post %s; the reconciler will resend it", post.id,
                    exc_info=True)
        return False
    return True


async def claim_and_enqueue(rt: Runtime, queue: PublishQueue, post: Post,
                            trigger: str = "publish_now") -> Post | None:
    claimed = await claim_post(rt, post, actor=trigger)
    if claimed is not None:
        await _send(queue, claimed, trigger)
    return claimed


async def dispatch_if_due(rt: Runtime, queue: PublishQueue, post: Post) -> Post:
    """Hand a post that was just created and is due now straight to a worker; return it as it
    is now (Queued when handed over).

    Failing here is never the caller's error: the post is stored and due, so the scheduler's next
    tick sends it.
    """
    if post.status is not PostStatus.SCHEDULED or post.due_at is None \
            or post.due_at > rt.clock.now():
        return post
    try:
        claimed = await claim_and_enqueue(rt, queue, post)
    except Exception:
        log.warning("could not hand post %s to a worker at once; the scheduler will", post.id,
                    exc_info=True)
        return post
    return claimed if claimed is not None else post


async def dispatch_due_posts(rt: Runtime, queue: PublishQueue, limit: int = BATCH, *,
                             excluding_orgs: Sequence[str] = ()) -> int:
    """Claim every due Scheduled post (up to ``limit``) and enqueue it; returns how many.

    The batch's posts go at once: each is claimed before its message is sent, and the claims
    arrive at the store together (SQLite writes them in one transaction), so a burst of due
    posts costs the scheduler a few store trips instead of one per post. Earliest due first.
    The posts of ``excluding_orgs`` (suspended organizations) wait.
    """
    due = await rt.store.find_due_posts(rt.clock.now(), limit, excluding_orgs=excluding_orgs)
    claimed = await asyncio.gather(*(claim_and_enqueue(rt, queue, post, trigger="scheduler")
                                     for post in due))
    return sum(1 for post in claimed if post is not None)


async def requeue_stale_posts(rt: Runtime, queue: PublishQueue,
                              older_than: timedelta | None = None, limit: int = BATCH) -> int:
    """Send again posts stuck in Queued or Publishing (a lost message, a killed worker)."""
    if older_than is None:
        older_than = timedelta(seconds=rt.settings.reconcile_after_seconds)
    now = rt.clock.now()
    stale = await rt.store.find_stale_posts([PostStatus.QUEUED, PostStatus.PUBLISHING],
                                            now - older_than, limit)
    sent = 0
    for post in stale:
        if post.status is PostStatus.PUBLISHING:
            fresh = transition(post, PostStatus.QUEUED, at=now,
                               reason="a worker stopped while publishing; resuming")
        else:
            fresh = revise(post, at=now)
        try:
            await rt.store.replace_post(fresh, expected_version=post.version, audit=[audit_event(
                rt, post.org_id, "reconciler", "post.requeued", post.id,
                was=post.status.value)])
        except Conflict:
            continue
        if await _send(queue, fresh, "reconciler"):
            sent += 1
    return sent
