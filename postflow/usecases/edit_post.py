"""Editing a post that has not gone out yet: its text, variants, media, targets or time; and
editing the text of a Failed or Partial post to send its failed targets again (edit and retry).

An edit is validated like a new post. When the post has a review that the edit invalidates (open,
approved, or with changes requested), the post goes back to In review and review is asked for
again in the same thread, saying what changed; approvals given before count no more, because
they were given on other content. An edit and retry also goes to review when the editor's role
may not schedule without one; otherwise its failed targets are due at once. Targets already
published are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

from postflow.clock import as_utc, to_millis
from postflow.errors import BadInput, Conflict, InvalidTransition
from postflow.post_status import revise, transition
from postflow.posts import Post, PostStatus, PostTarget
from postflow.publish_queue import PublishQueue
from postflow.reviews import ReviewedContent, ReviewRequest, ReviewState, ReviewWhen
from postflow.runtime import Runtime
from postflow.usecases.audit_log import audit_event
from postflow.usecases.dispatch import claim_and_enqueue
from postflow.usecases.media import store_post_media
from postflow.usecases.post_actions import RETRYABLE, retry_failed_targets
from postflow.usecases.queues import next_queue_slot
from postflow.usecases.reviews import MAX_RACES, reopen_after_edit, request_review
from postflow.usecases.submit_post import (
    MAX_AHEAD,
    PAST_TOLERANCE,
    PostRequest,
    resolve_targets,
    validate_content,
)

S = PostStatus
#: Statuses whose content may still change: nothing was handed to a worker yet.
EDITABLE = frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED, S.SCHEDULED})


class PostEdit(BaseModel):
    """What to change; a field left None stays as it is."""

    text: str | None = None
    variants: dict[str, str] | None = None
    media_urls: list[str] | None = None
    #: Connection ids.
    targets: list[str] | None = None
    #: The new "when": AT (with ``at``, aware), QUEUE (next free slot) or NOW.
    when: ReviewWhen | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class Edited:
    post: Post
    #: What changed, one line per kind; empty when the edit changed nothing.
    changes: tuple[str, ...]
    #: The review asked for again, when the edit invalidated one.
    review: ReviewRequest | None


async def edit_post(rt: Runtime, org_id: str, post_id: str, edit: PostEdit, *,
                    actor: str) -> Edited:
    """Apply ``edit`` to a post not handed to a worker yet; see the module docstring."""
    for _ in range(MAX_RACES):
        post = await rt.store.get_post(org_id, post_id)
        if post.status not in EDITABLE:
            raise InvalidTransition(
                f"Post {post.id} cannot be edited: it is {post.status.value}.",
                details={"post_id": post.id, "from": post.status.value})
        changed = await _apply_edit(rt, post, edit)
        changes = ReviewedContent.of(changed).changes_from(ReviewedContent.of(post))
        if not changes:
            return Edited(post=post, changes=(), review=None)
        back_to_review = await _invalidates_review(rt, post)
        now = rt.clock.now()
        fields = _content_fields(changed)
        reason = f"edited by {actor}: {'; '.join(changes)}"
        if back_to_review and post.status is not S.IN_REVIEW:
            new = transition(post, S.IN_REVIEW, at=now, reason=reason, due_at=None, **fields)
        elif post.status is S.SCHEDULED:
            new = revise(post, at=now, status_reason=reason, due_at=changed.scheduled_at or now,
                         **fields)
        else:
            new = revise(post, at=now, status_reason=reason, **fields)
        try:
            await rt.store.replace_post(new, expected_version=post.version, audit=[audit_event(
                rt, org_id, actor, "post.edited", post.id, changes="; ".join(changes),
                **{"from": post.status.value, "to": new.status.value})])
        except Conflict:
            continue
        reopened = await reopen_after_edit(rt, post, new, actor=actor) if back_to_review \
            else None
        if reopened is not None:
            new = await rt.store.get_post(org_id, post_id)
        return Edited(post=new, changes=tuple(changes), review=reopened)
    raise Conflict("The post kept changing while PostFlow edited it; try again.",
                   details={"post_id": post_id})


async def edit_and_retry(rt: Runtime, queue: PublishQueue | None, org_id: str, post_id: str,
                         edit: PostEdit, *, actor: str, review_required: bool) -> Edited:
    """Change a Failed or Partial post's text (and per-network variants) and send its failed
    targets again, now; the published ones stay as they are.

    The post goes to In review, review asked for, when ``review_required`` (the editor's role
    may not schedule without one) or when the edit invalidates its review, as :func:`edit_post`
    decides. Otherwise it is due now and, with a ``queue``, handed to a worker. BadInput when
    the edit is not only text, changes nothing or the content is invalid.
    """
    if edit.media_urls is not None or edit.targets is not None or edit.when is not None:
        raise BadInput("Editing a failed post changes its text only.",
                       details={"post_id": post_id})
    for _ in range(MAX_RACES):
        post = await rt.store.get_post(org_id, post_id)
        if post.status not in RETRYABLE:
            raise InvalidTransition(
                f"Post {post.id} cannot be edited and retried: it is {post.status.value}.",
                details={"post_id": post.id, "from": post.status.value})
        changed = await _apply_edit(rt, post, edit)
        changes = ReviewedContent.of(changed).changes_from(ReviewedContent.of(post))
        if not changes:
            raise BadInput("The text is unchanged: change it, or retry the post as it is.",
                           details={"post_id": post.id})
        back_to_review = review_required or await _invalidates_review(rt, post)
        now = rt.clock.now()
        reason = f"edited by {actor} and retried: {'; '.join(changes)}"
        # Out as soon as allowed: an old time would make the retry Late at once.
        fields = {**_content_fields(changed), "targets": retry_failed_targets(changed),
                  "scheduled_at": None, "from_queue": False}
        # Failed and Partial posts reach In review through Scheduled, in one write.
        new = transition(post, S.SCHEDULED, at=now, reason=reason,
                         due_at=None if back_to_review else now, **fields)
        if back_to_review:
            new = transition(new, S.IN_REVIEW, at=now, reason=reason, due_at=None)
            new = new.model_copy(update={"version": post.version + 1})
        moves = {"from": post.status.value, "to": new.status.value}
        try:
            await rt.store.replace_post(new, expected_version=post.version, audit=[
                audit_event(rt, org_id, actor, "post.edited", post.id,
                            changes="; ".join(changes), retried=True, **moves),
                audit_event(rt, org_id, actor, "post.status_changed", post.id, **moves,
                            reason=reason)])
        except Conflict:
            continue
        if back_to_review:
            review = (await reopen_after_edit(rt, post, new, actor=actor)
                      or await request_review(rt, post.id, org_id, requested_by=actor))
            return Edited(post=await rt.store.get_post(org_id, post_id),
                          changes=tuple(changes), review=review)
        if queue is not None:
            # None: the scheduler claimed it first, which is just as good.
            await claim_and_enqueue(rt, queue, new, trigger="edit_retry")
        return Edited(post=await rt.store.get_post(org_id, post_id), changes=tuple(changes),
                      review=None)
    raise Conflict("The post kept changing while PostFlow edited it; try again.",
                   details={"post_id": post_id})


async def _invalidates_review(rt: Runtime, post: Post) -> bool:
    """Whether ``post`` has a review that an edit of its content invalidates."""
    review = await rt.store.find_review_for_post(post.org_id, post.id)
    return review is not None and review.state in (
        ReviewState.OPEN, ReviewState.APPROVED, ReviewState.CHANGES_REQUESTED)


def _content_fields(changed: Post) -> dict[str, object]:
    return {k: getattr(changed, k) for k in ("text", "variants", "media", "targets",
                                             "scheduled_at", "from_queue")}


async def _apply_edit(rt: Runtime, post: Post, edit: PostEdit) -> Post:
    """``post`` with ``edit`` applied and validated (not stored, version unchanged)."""
    text = post.text if edit.text is None else edit.text.strip()
    variants = post.variants if edit.variants is None else edit.variants
    media = [m.url for m in post.media] if edit.media_urls is None else edit.media_urls
    target_ids = [t.connection_id for t in post.targets] if edit.targets is None \
        else edit.targets
    if not text and not media:
        raise BadInput("A post needs text or media.")
    request = PostRequest(text=text, variants=variants, targets=target_ids, media_urls=media)
    connections = await resolve_targets(rt, post.org_id, request)
    validate_content(rt, request, {c.network for c in connections})
    kept = {t.connection_id: t for t in post.targets}
    targets = [kept.get(c.id) or PostTarget(connection_id=c.id, network=c.network)
               for c in connections]
    scheduled_at, from_queue = post.scheduled_at, post.from_queue
    if edit.when is ReviewWhen.NOW:
        scheduled_at, from_queue = None, False
    elif edit.when is ReviewWhen.AT:
        scheduled_at, from_queue = _new_time(edit.at, rt.clock.now()), False
    elif edit.when is ReviewWhen.QUEUE and not post.from_queue:
        scheduled_at = await next_queue_slot(rt, post.org_id, [c.id for c in connections], None)
        from_queue = True
    return post.model_copy(update={
        "text": text, "variants": variants,
        "media": (await store_post_media(rt, media, {c.network for c in connections},
                                         org_id=post.org_id)
                  if edit.media_urls is not None else post.media),
        "targets": targets, "scheduled_at": scheduled_at, "from_queue": from_queue})


def _new_time(at: datetime | None, now: datetime) -> datetime:
    if at is None or at.tzinfo is None:
        raise BadInput("The new time needs a UTC offset, such as 2026-12-01T09:00:00+01:00.")
    when = to_millis(as_utc(at))
    if when < now - PAST_TOLERANCE:
        raise BadInput(f"The new time {when.isoformat()} is in the past.")
    if when > now + MAX_AHEAD:
        raise BadInput("The new time is more than two years ahead.")
    return max(when, now)
