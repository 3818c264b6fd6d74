"""What a person does to a post already on its way: reschedule it, cancel it, publish it now,
share it next (move it to the front of its queue).

Every change is a compare-and-swap on the post's version. Racing a worker or the scheduler, a
change either wins (a message already sent then finds a newer version and does nothing) or loses
and is decided again on the post as the racer left it (which may refuse it: a post that started
publishing cannot be canceled).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from postflow.audit import AuditEvent
from postflow.clock import as_utc, to_millis
from postflow.errors import BadInput, Conflict, InvalidTransition
from postflow.post_status import ALLOWED_TRANSITIONS, revise, transition
from postflow.posts import Post, PostStatus, PostTarget, TargetStatus
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime
from postflow.usecases.audit_log import audit_event
from postflow.usecases.dispatch import claim_and_enqueue
from postflow.usecases.queues import MOVABLE, make_room, plan_share_next
from postflow.usecases.submit_post import MAX_AHEAD, PAST_TOLERANCE

S = PostStatus

RESCHEDULABLE = frozenset({S.SCHEDULED, S.QUEUED, S.LATE, S.FAILED, S.PARTIAL})
PUBLISHABLE_NOW = frozenset({S.SCHEDULED, S.LATE, S.FAILED, S.PARTIAL})
CANCELABLE = frozenset(s for s, nxt in ALLOWED_TRANSITIONS.items() if S.CANCELED in nxt)
#: Statuses whose failed targets are tried again by a reschedule or a publish now.
RETRYABLE = frozenset({S.FAILED, S.PARTIAL})

#: Why a post in this status refuses an action it does not allow; said to the person.
WHY_NOT: dict[PostStatus, str] = {
    S.DRAFT: "it is a draft; submit it first",
    S.IN_REVIEW: "it is waiting for review; approve it first",
    S.APPROVED: "it is approved but not scheduled yet",
    S.QUEUED: "it is already queued and goes out within moments",
    S.PUBLISHING: "it is being published right now; try again in a moment or let it finish",
    S.PUBLISHED: "it is already published",
    S.PARTIAL: "some of its targets are already published; reschedule it or publish it now "
               "to retry the others",
    S.CANCELED: "it was canceled",
}

#: How many times a change lost to a racer is decided again before giving up.
MAX_RACES = 5


def retry_failed_targets(post: Post, *, include_unconfirmed: bool = False) -> list[PostTarget]:
    """The post's targets with the failed ones (and the unconfirmed ones, once a person checked
    the account) back to pending; published targets are untouched.

    A retried target starts a fresh attempt budget; its earlier attempts stay on record.
    Raises BadInput when there is nothing to retry.
    """
    again = {TargetStatus.FAILED}
    if include_unconfirmed:
        again.add(TargetStatus.UNCONFIRMED)
    if not any(t.status in again for t in post.targets):
        unconfirmed = any(t.status is TargetStatus.UNCONFIRMED for t in post.targets)
        raise BadInput(
            "No failed target to retry." + (
                " The others are unconfirmed: check the account, and if the post is not "
                "there, retry with include_unconfirmed (--include-unconfirmed)."
                if unconfirmed else ""),
            details={"post_id": post.id, "include_unconfirmed": include_unconfirmed})
    return [t.model_copy(update={"status": TargetStatus.PENDING, "current_attempt_id": None,
                                 "attempt_count": 0})
            if t.status in again else t for t in post.targets]


async def reschedule_post(rt: Runtime, org_id: str, post_id: str, at: datetime, *, actor: str,
                          include_unconfirmed: bool = False) -> Post:
    """Move the post's time to ``at`` (aware) and leave it Scheduled.

    A Queued post's message becomes a no-op; a Failed or Partial post retries its failed
    targets at ``at``; a Late post is back on the schedule.
    """
    now = rt.clock.now()
    when = _new_time(at, now)

    def decide(post: Post) -> Post:
        _require(post, RESCHEDULABLE, "rescheduled", S.SCHEDULED)
        return _back_on_schedule(post, when, now, f"rescheduled by {actor}",
                                 include_unconfirmed=include_unconfirmed)

    _, after = await _change(rt, org_id, post_id, decide, lambda before, after: _events(
        rt, before, after, actor, "post.rescheduled", scheduled_at=when.isoformat(),
        previous_scheduled_at=_iso(before.scheduled_at)))
    return after


async def publish_now(rt: Runtime, queue: PublishQueue | None, org_id: str, post_id: str, *,
                      actor: str, include_unconfirmed: bool = False) -> Post:
    """Make the post due now and hand it to a worker.

    With ``queue`` None (no shared broker, as from the CLI in embedded mode) the post is only
    made due: the running scheduler claims it on its next tick. Failed or Partial posts retry
    their failed targets.
    """
    now = rt.clock.now()

    def decide(post: Post) -> Post:
        _require(post, PUBLISHABLE_NOW, "published now", S.SCHEDULED)
        return _back_on_schedule(post, now, now, f"publish now requested by {actor}",
                                 include_unconfirmed=include_unconfirmed)

    _, due = await _change(rt, org_id, post_id, decide, lambda before, after: _events(
        rt, before, after, actor, "post.publish_now", enqueued=queue is not None))
    if queue is None:
        return due
    claimed = await claim_and_enqueue(rt, queue, due, trigger="publish_now")
    # None: the scheduler claimed it first, which is just as good.
    return claimed if claimed is not None else await rt.store.get_post(org_id, post_id)


async def cancel_post(rt: Runtime, org_id: str, post_id: str, *, actor: str) -> Post:
    """Cancel a post that has not started publishing (or that is Late or Failed)."""
    now = rt.clock.now()

    def decide(post: Post) -> Post:
        _require(post, CANCELABLE, "canceled", S.CANCELED)
        reason = f"canceled by {actor}"
        published = sum(t.status is TargetStatus.PUBLISHED for t in post.targets)
        if published:  # a retry was pending: what went out stays out
            reason += (f"; {published} of {len(post.targets)} targets had already been "
                       "published")
        return transition(post, S.CANCELED, at=now, reason=reason)

    _, after = await _change(rt, org_id, post_id, decide, lambda before, after: _events(
        rt, before, after, actor, "post.canceled"))
    return after


@dataclass(frozen=True)
class SharedNext:
    """A queued post moved to the front of its queue, and the posts pushed back for it."""

    post: Post
    #: Its time before; equal to ``post.scheduled_at`` when it was already next.
    previous_scheduled_at: datetime | None
    #: (a pushed post as it was, its new time), in the order they were written.
    shifted: tuple[tuple[Post, datetime], ...]


async def share_next(rt: Runtime, org_id: str, post_id: str, *, actor: str) -> SharedNext:
    """Move a post already in its queue to the first upcoming slot of its first target's queue.

    The queued posts from that slot up to the one it leaves move back one slot each (within the
    caps, on every connection the post goes to); the posts after it keep their slots. The post
    is written first, version bumped, so a message sent for an older version does nothing.
    """
    now = rt.clock.now()
    for _ in range(MAX_RACES):
        post = await rt.store.get_post(org_id, post_id)
        _require(post, MOVABLE, "shared next", S.SCHEDULED)
        if not post.from_queue or post.scheduled_at is None:
            raise BadInput(f"Post {post.id} is not in a queue: it has a time of its own. "
                           "Reschedule it instead.", details={"post_id": post.id})
        connection_ids = [t.connection_id for t in post.targets]
        first = (await plan_share_next(rt, org_id, connection_ids, None, moving=post.id)).at
        moved = post
        if post.scheduled_at > first:
            moved = revise(post, at=now, scheduled_at=first,
                           due_at=None if post.due_at is None else first,
                           status_reason=f"shared next by {actor} for {first.isoformat()}")
            try:
                await rt.store.replace_post(moved, expected_version=post.version)
            except Conflict:
                continue
        # Also when it was already next: a push cut short by a racer is finished here.
        room = await make_room(rt, org_id, connection_ids, None, actor=actor, moving=post.id)
        if moved is not post:  # after make_room: the event counts the posts pushed back
            for event in _events(rt, post, moved, actor, "post.shared_next",
                                 scheduled_at=first.isoformat(),
                                 previous_scheduled_at=_iso(post.scheduled_at),
                                 shifted=len(room.moves)):
                await rt.store.append_audit(event)
        return SharedNext(moved, post.scheduled_at, room.moves)
    raise Conflict("The post kept changing while PostFlow moved it; try again.",
                   details={"post_id": post_id})


# -- helpers ----------------------------------------------------------------------------------

def _new_time(at: datetime, now: datetime) -> datetime:
    if at.tzinfo is None:
        raise BadInput("The new time needs a UTC offset, such as 2026-12-01T09:00:00+01:00.",
                       details={"at": at.isoformat()})
    when = to_millis(as_utc(at))
    if when < now - PAST_TOLERANCE:
        raise BadInput(f"The new time {when.isoformat()} is in the past.",
                       details={"at": when.isoformat(), "now": now.isoformat()})
    if when > now + MAX_AHEAD:
        raise BadInput("The new time is more than two years ahead.",
                       details={"at": when.isoformat()})
    return max(when, now)


def _require(post: Post, allowed: frozenset[PostStatus], done: str, to: PostStatus) -> None:
    if post.status in allowed:
        return
    why = WHY_NOT.get(post.status, f"it is {post.status.value}")
    raise InvalidTransition(
        f"Post {post.id} cannot be {done}: {why}.",
        details={"post_id": post.id, "from": post.status.value, "to": to.value,
                 "allowed_from": sorted(s.value for s in allowed)})


def _back_on_schedule(post: Post, when: datetime, now: datetime, reason: str, *,
                      include_unconfirmed: bool) -> Post:
    changes: dict[str, object] = {"scheduled_at": when, "due_at": when, "from_queue": False}
    if post.status in RETRYABLE:
        changes["targets"] = retry_failed_targets(post, include_unconfirmed=include_unconfirmed)
    reason = f"{reason} for {when.isoformat()}"
    if post.status is S.SCHEDULED:
        return revise(post, at=now, status_reason=reason, **changes)
    return transition(post, S.SCHEDULED, at=now, reason=reason, **changes)


async def _change(rt: Runtime, org_id: str, post_id: str, decide: Callable[[Post], Post],
                  events: Callable[[Post, Post], list[AuditEvent]]) -> tuple[Post, Post]:
    """Read the post, decide its new version, write it with its ``events`` (of the post before
    and after) if nobody wrote first; else again."""
    for _ in range(MAX_RACES):
        post = await rt.store.get_post(org_id, post_id)
        new = decide(post)
        try:
            await rt.store.replace_post(new, expected_version=post.version,
                                        audit=events(post, new))
        except Conflict:
            continue
        return post, new
    raise Conflict("The post kept changing while PostFlow updated it; try again.",
                   details={"post_id": post_id})


def _events(rt: Runtime, before: Post, after: Post, actor: str, action: str,
            **data: str | bool | int | None) -> list[AuditEvent]:
    """The action's own event, and a ``post.status_changed`` like every status change has."""
    events = [audit_event(rt, after.org_id, actor, action, after.id,
                          **{"from": before.status.value, "to": after.status.value, **data})]
    if after.status is not before.status:
        events.append(audit_event(rt, after.org_id, actor, "post.status_changed", after.id,
                                  **{"from": before.status.value, "to": after.status.value,
                                     "reason": after.status_reason}))
    return events


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
