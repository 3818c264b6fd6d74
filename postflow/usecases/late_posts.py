"""The late-post policy: a post whose time passed unnoticed waits for a person.

When the scheduler was down (or the machine asleep) past a post's time by more than
``late_grace_minutes``, publishing it the moment PostFlow is back could be wrong: a "see you at
9" post going out at noon. Such a post becomes Late, a person is told, and it goes out only
after ``publish now`` or ``reschedule``. Posts waiting out a retry's backoff are never late:
their time was already tried.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from postflow.errors import Conflict
from postflow.notices.events import PostLate
from postflow.notices.router import Notices
from postflow.post_status import transition
from postflow.posts import Post, PostStatus, TargetStatus
from postflow.runtime import Runtime
from postflow.usecases.audit_log import audit_event
from postflow.usecases.dispatch import BATCH

log = logging.getLogger(__name__)

#: Target statuses that still have a publish ahead of them.
OPEN_TARGETS = (TargetStatus.PENDING, TargetStatus.PUBLISHING)


def never_attempted(post: Post) -> bool:
    """True when no target still to publish has been tried yet (a retry's has)."""
    return not any(t.attempt_count > 0 for t in post.targets if t.status in OPEN_TARGETS)


async def mark_late_posts(rt: Runtime, notices: Notices, limit: int = BATCH, *,
                          excluding_orgs: Sequence[str] = ()) -> int:
    """Mark Late every Scheduled, never-tried post due more than the grace period ago, record
    it, and tell ``notices`` once per post; returns how many. Run before dispatching. The
    posts of ``excluding_orgs`` (suspended organizations) are left as they are."""
    now = rt.clock.now()
    cutoff = now - timedelta(minutes=rt.settings.late_grace_minutes)
    marked = 0
    for post in await rt.store.find_due_posts(cutoff, limit, excluding_orgs=excluding_orgs):
        if not never_attempted(post):
            continue
        due = post.due_at or cutoff
        late = transition(post, PostStatus.LATE, at=now, reason=late_reason(due, now))
        try:
            await rt.store.replace_post(late, expected_version=post.version, audit=[
                audit_event(rt, post.org_id, "scheduler", "post.status_changed", post.id,
                            **{"from": post.status.value, "to": late.status.value,
                               "reason": late.status_reason}),
                audit_event(rt, post.org_id, "scheduler", "post.late", post.id,
                            due_at=due.isoformat(),
                            minutes_late=int((now - due).total_seconds() // 60))])
        except Conflict:  # edited, rescheduled or claimed meanwhile: no longer ours to mark
            continue
        marked += 1
        await notices.notify(PostLate(late))
    return marked


def late_reason(due: datetime, now: datetime) -> str:
    return (f"late: it was due at {due.strftime('%Y-%m-%d %H:%M UTC')}, "
            f"{how_long(now - due)} ago, and was not published; publish it now, reschedule it "
            "or cancel it")


def how_long(delta: timedelta) -> str:
    """``20 minutes``, ``3 hours 5 minutes``, ``2 days 4 hours``: two units at most."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    shown = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n]
    return " ".join(shown[:2]) or "less than a minute"
