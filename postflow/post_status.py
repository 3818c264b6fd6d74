"""The one state machine for a post's status.

Draft → InReview → Approved → Scheduled → Queued → Publishing → Published | Partial | Failed,
and Canceled from any state that has not started publishing. A retry goes back to Scheduled
with a later ``due_at``; the reconciler may put a stuck Publishing post back to Queued.
A Scheduled post whose time passed unnoticed becomes Late and waits for a person: back to
Scheduled (publish now, reschedule) or Canceled. Rescheduling also takes a Queued post back to
Scheduled, and a Failed or Partial one (its failed targets are tried again).
A Failed or Partial post whose unconfirmed targets a person marks as published becomes what its
targets then add up to (Partial or Published).
Any other move raises :class:`InvalidTransition` — a status is never silently overwritten.
"""

from __future__ import annotations

from datetime import datetime

from postflow.errors import InvalidTransition
from postflow.posts import Post, PostStatus, PostTarget, TargetStatus

S = PostStatus

ALLOWED_TRANSITIONS: dict[PostStatus, frozenset[PostStatus]] = {
    S.DRAFT: frozenset({S.IN_REVIEW, S.APPROVED, S.CANCELED}),
    S.IN_REVIEW: frozenset({S.APPROVED, S.DRAFT, S.CANCELED}),
    S.APPROVED: frozenset({S.SCHEDULED, S.IN_REVIEW, S.CANCELED}),
    S.SCHEDULED: frozenset({S.QUEUED, S.IN_REVIEW, S.LATE, S.CANCELED}),
    S.LATE: frozenset({S.SCHEDULED, S.CANCELED}),
    S.QUEUED: frozenset({S.PUBLISHING, S.SCHEDULED, S.CANCELED}),
    S.PUBLISHING: frozenset({S.PUBLISHED, S.PARTIAL, S.FAILED, S.SCHEDULED, S.QUEUED}),
    S.PUBLISHED: frozenset(),
    # A person saying an unconfirmed target did go out (postflow/usecases/unconfirmed_targets.py)
    # moves Partial to Published, and Failed to Partial or Published.
    S.PARTIAL: frozenset({S.SCHEDULED, S.PUBLISHED}),
    S.FAILED: frozenset({S.SCHEDULED, S.CANCELED, S.PARTIAL, S.PUBLISHED}),
    S.CANCELED: frozenset(),
}

TERMINAL_STATUSES = frozenset(s for s, nxt in ALLOWED_TRANSITIONS.items() if not nxt)


def can_transition(current: PostStatus, to: PostStatus) -> bool:
    return to in ALLOWED_TRANSITIONS[current]


def transition(post: Post, to: PostStatus, *, at: datetime, reason: str = "",
               **changes: object) -> Post:
    """Return a copy of ``post`` in status ``to`` with its version bumped, or raise.

    The copy is shallow: posts and targets are never changed in place, only replaced.
    """
    if not can_transition(post.status, to):
        allowed = sorted(s.value for s in ALLOWED_TRANSITIONS[post.status])
        raise InvalidTransition(
            f"A {post.status.value} post cannot become {to.value}.",
            details={"post_id": post.id, "from": post.status.value, "to": to.value,
                     "allowed": allowed},
        )
    return post.model_copy(
        update={"status": to, "status_reason": reason, "version": post.version + 1,
                "updated_at": at, **changes},
    )


def revise(post: Post, *, at: datetime, **changes: object) -> Post:
    """Return a copy with ``changes`` applied and the version bumped, status unchanged."""
    return post.model_copy(update={"version": post.version + 1, "updated_at": at, **changes})


def outcome_status(targets: list[PostTarget]) -> PostStatus | None:
    """The post status its targets add up to once none is left to try, else ``None``.

    All published → Published; some published → Partial; none published → Failed. A target that
    is unconfirmed counts as not published until a person decides.
    """
    if any(t.status in (TargetStatus.PENDING, TargetStatus.PUBLISHING) for t in targets):
        return None
    published = sum(t.status is TargetStatus.PUBLISHED for t in targets)
    if published == len(targets):
        return S.PUBLISHED
    if published:
        return S.PARTIAL
    return S.FAILED
