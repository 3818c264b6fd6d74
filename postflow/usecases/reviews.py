"""Review and approval: asking for a review, deciding on one, expiring open ones.

A review request is bound to the exact content it was asked for (:mod:`postflow.reviews`). When
the policy's quorum of approvals is reached the post is approved and scheduled the way its author
chose (at a time, in the next queue slot, now). Request changes and expiry send the post back to
its author as a Draft; reject cancels it. Every step is audited and told through ``rt.notices``;
a notice that fails is logged and changes nothing already stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from postflow.approvals import ApprovalPolicy, ApprovalRules
from postflow.chat_actors import may_be_member
from postflow.errors import BadInput, Conflict, Forbidden, InvalidTransition
from postflow.ids import new_id
from postflow.notices.events import (
    PostScheduled,
    ReviewDecided,
    ReviewExpired,
    ReviewRequested,
)
from postflow.notices.review_cards import post_review_card
from postflow.notices.router import Notices
from postflow.organizations import Member
from postflow.plans import Feature, require_feature
from postflow.post_status import transition
from postflow.posts import Post, PostStatus
from postflow.reviews import (
    ChatMessageRef,
    ReviewDecision,
    ReviewedContent,
    ReviewRequest,
    ReviewState,
    ReviewWhen,
    Verdict,
)
from postflow.runtime import Runtime
from postflow.usecases.audit_log import audit_event, record
from postflow.usecases.dispatch import BATCH
from postflow.usecases.queues import next_queue_slot

log = logging.getLogger(__name__)

S = PostStatus
#: Statuses from which a review may be asked for (Approved and Scheduled: asked again).
REVIEWABLE = frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED, S.SCHEDULED})
#: How many times a write lost to a racer is decided again before giving up.
MAX_RACES = 5
ORG_SCOPE = ""


@dataclass(frozen=True)
class Decided:
    """A decision as stored, the review after it and the post after it."""

    review: ReviewRequest
    post: Post
    decision: ReviewDecision


async def approval_rules(rt: Runtime, post: Post) -> ApprovalRules:
    """The organization's policy and the overrides of the post's targets.

    More than one approval is multi-step approval, a plan feature: checked here, when it is
    used, and not only when the policy was set, so an organization that moved to a plan
    without it gets LimitReached naming the plan (fail closed: never fewer approvals than its
    policy asks) until it upgrades or lowers the quorum.
    """
    stored = await rt.store.get_approval_policies(post.org_id)
    policies = [stored.get(ORG_SCOPE) or ApprovalPolicy()]
    for target in post.targets:
        override = stored.get(target.connection_id)
        if override is not None and override not in policies:
            policies.append(override)
    rules = ApprovalRules(policies=tuple(policies))
    if rules.quorum > 1:
        org = await rt.store.get_organization(post.org_id)
        require_feature(rt.plans, org.plan, Feature.MULTI_STEP_APPROVAL, flags=org.feature_flags)
    return rules


async def request_review(rt: Runtime, post_id: str, org_id: str, *,
                         requested_by: str) -> ReviewRequest:
    """Open a review of ``post_id`` bound to its current content and tell the review channel.

    A Draft (or an Approved or Scheduled post, asked again) becomes In review; a post already
    In review (a hook that requires review) keeps its status. The post's earlier review record,
    if any, is reopened for a new round so chat keeps one thread per post; asking again for
    unchanged content under review returns the open review as it is.
    """
    now = rt.clock.now()
    # The rules first: a policy the plan no longer allows refuses before the post moves.
    rules = await approval_rules(rt, await rt.store.get_post(org_id, post_id))
    post = await _to_review(rt, org_id, post_id, actor=requested_by)
    content = ReviewedContent.of(post)
    fingerprint = content.fingerprint()
    hours = rules.deadline_hours
    expires_at = None if hours is None else now + timedelta(hours=hours)
    previous = await rt.store.find_review_for_post(org_id, post_id)
    if previous is not None and previous.is_open and previous.fingerprint == fingerprint:
        return previous
    if previous is None or previous.state is ReviewState.REJECTED:
        review = ReviewRequest(id=new_id("rev"), org_id=org_id, post_id=post_id,
                               requested_by=requested_by, requested_at=now, content=content,
                               fingerprint=fingerprint, rules=rules, expires_at=expires_at)
        await rt.store.insert_review(review)
    else:
        review = previous.model_copy(update={
            "state": ReviewState.OPEN, "requested_by": requested_by, "requested_at": now,
            "round": previous.round + 1, "content": content, "fingerprint": fingerprint,
            "rules": rules, "expires_at": expires_at, "closed_at": None,
            "changes": content.changes_from(previous.content),
            "version": previous.version + 1})
        await rt.store.replace_review(review, expected_version=previous.version)
    await record(rt, org_id, requested_by, "review.requested", post_id, review_id=review.id,
                 round=review.round, quorum=rules.quorum, fingerprint=fingerprint[:16],
                 changes="; ".join(review.changes))
    if review.message is not None:  # a later round: the card is updated and told the changes
        await rt.notices.notify(ReviewRequested(post, review))
        return review
    try:
        ref = await post_review_card(rt.store, rt.review_cards, post, review)
    except Exception:
        log.warning("could not post the review request %s", review.id, exc_info=True)
        ref = None
    review = await _remember_message(rt, review, ref)
    await rt.notices.notify(ReviewRequested(post, review, card_posted=ref is not None))
    return review


async def decide(rt: Runtime, org_id: str, review_id: str, member: Member, verdict: Verdict,
                 *, actor: str, comment: str = "") -> Decided:
    """Record ``member``'s decision on an open review, checked against its policy.

    Refusals (Forbidden, BadInput, Conflict) say why. The quorum's last approval approves and
    schedules the post; a request for changes sends it back as a Draft; a rejection cancels it.
    """
    comment = comment.strip()
    if verdict is Verdict.REQUEST_CHANGES and not comment:
        raise BadInput("Say what should change: requesting changes needs a comment.")
    for _ in range(MAX_RACES):
        review = await rt.store.get_review(org_id, review_id)
        post = await rt.store.get_post(org_id, review.post_id)
        _check_open(review, post)
        _check_reviewer(review, post, member, actor, verdict)
        now = rt.clock.now()
        decision = ReviewDecision(actor=actor, member_id=member.id, verdict=verdict,
                                  comment=comment, at=now, round=review.round,
                                  fingerprint=review.fingerprint)
        decided = review.model_copy(update={"decisions": [*review.decisions, decision],
                                            "version": review.version + 1})
        state = _outcome(decided, verdict)
        if state is not ReviewState.OPEN:
            decided = decided.model_copy(update={"state": state, "closed_at": now})
        try:
            await rt.store.replace_review(decided, expected_version=review.version)
        except Conflict:
            continue  # another reviewer decided at the same moment: judge again
        await record(rt, org_id, actor, "review.decided", post.id, review_id=review.id,
                     verdict=verdict.value, round=review.round, state=state.value,
                     progress=decided.progress(), comment=comment)
        after = await _apply(rt, decided, state, decision)
        await rt.notices.notify(ReviewDecided(after, decided, decision))
        return Decided(review=decided, post=after, decision=decision)
    raise Conflict("The review kept changing while PostFlow recorded your decision; try again.",
                   details={"review_id": review_id})


async def expire_reviews(rt: Runtime, notices: Notices | None = None,
                         limit: int = BATCH) -> int:
    """Close every open review past its deadline, send its post back to Draft, tell the
    channel and the author; returns how many. Run from the scheduler tick."""
    notices = notices or rt.notices
    now = rt.clock.now()
    expired = 0
    for review in await rt.store.find_expired_reviews(now, limit):
        closed = review.model_copy(update={"state": ReviewState.EXPIRED, "closed_at": now,
                                           "version": review.version + 1})
        try:
            await rt.store.replace_review(closed, expected_version=review.version)
        except Conflict:  # decided or reopened meanwhile
            continue
        hours = review.rules.deadline_hours
        reason = f"review expired: nobody decided within {hours} hours"
        post = await _move_post(rt, review.org_id, review.post_id, S.DRAFT, reason,
                                actor="scheduler", only_from=frozenset({S.IN_REVIEW}))
        await record(rt, review.org_id, "scheduler", "review.expired", review.post_id,
                     review_id=review.id, round=review.round, progress=review.progress())
        expired += 1
        await notices.notify(ReviewExpired(post, closed))
    return expired


async def reopen_after_edit(rt: Runtime, before: Post, after: Post, *,
                            actor: str) -> ReviewRequest | None:
    """After ``after`` (already stored) replaced ``before``: ask for review again when the post
    had a review that an edit invalidates (open, approved, changes requested)."""
    review = await rt.store.find_review_for_post(after.org_id, after.id)
    if review is None or review.state in (ReviewState.REJECTED, ReviewState.EXPIRED):
        return None
    if ReviewedContent.of(after).fingerprint() == review.fingerprint:
        return None
    return await request_review(rt, after.id, after.org_id, requested_by=actor)


# -- helpers ----------------------------------------------------------------------------------

async def _to_review(rt: Runtime, org_id: str, post_id: str, *, actor: str) -> Post:
    """The post In review, moved there if it was not (due time cleared: not scheduled now)."""
    reason = f"review requested by {actor}"
    for _ in range(MAX_RACES):
        post = await rt.store.get_post(org_id, post_id)
        if post.status is S.IN_REVIEW:
            return post
        if post.status not in REVIEWABLE:
            raise InvalidTransition(
                f"Post {post.id} cannot be reviewed: it is {post.status.value}.",
                details={"post_id": post.id, "from": post.status.value, "to": "in_review"})
        moved = transition(post, S.IN_REVIEW, at=rt.clock.now(), reason=reason, due_at=None)
        if await _moved(rt, post, moved, actor):
            return moved
    raise Conflict("The post kept changing; try again.", details={"post_id": post_id})


async def _remember_message(rt: Runtime, review: ReviewRequest,
                            ref: ChatMessageRef | None) -> ReviewRequest:
    """Store where the card was posted; a racing decision keeps its write and gets the ref."""
    if ref is None or ref == review.message:
        return review
    for _ in range(MAX_RACES):
        current = await rt.store.get_review(review.org_id, review.id)
        updated = current.model_copy(update={"message": ref, "version": current.version + 1})
        try:
            await rt.store.replace_review(updated, expected_version=current.version)
        except Conflict:
            continue
        return updated
    return review


def _check_open(review: ReviewRequest, post: Post) -> None:
    if not review.is_open:
        raise Conflict(f"This review is closed: the post was already "
                       f"{review.state.value.replace('_', ' ')}.",
                       details={"review_id": review.id, "state": review.state.value})
    if post.status is not S.IN_REVIEW:
        raise Conflict(f"Post {post.id} is no longer in review: it is {post.status.value}.",
                       details={"post_id": post.id, "status": post.status.value})
    if ReviewedContent.of(post).fingerprint() != review.fingerprint:
        raise Conflict("The post changed since review was requested; review the new version.",
                       details={"post_id": post.id})


def _check_reviewer(review: ReviewRequest, post: Post, member: Member, actor: str,
                    verdict: Verdict) -> None:
    """Forbidden saying why when ``member`` may not decide; BadInput for a second approval."""
    is_author = any(may_be_member(by, member, actor)
                    for by in (post.created_by, review.requested_by))
    refusal = review.rules.refusal(member.role, member.id,
                                   is_author=is_author and verdict is Verdict.APPROVE)
    if refusal is not None:
        role = member.role.value.capitalize()
        article = "an" if role[0] in "AEIOU" else "a"
        raise Forbidden(f"{refusal} You are {article} {role}. ({review.progress()})",
                        details={"your_role": member.role.value, "review_id": review.id})
    if verdict is Verdict.APPROVE and any(a.member_id == member.id for a in review.approvals()):
        raise BadInput(f"You already approved this version ({review.progress()}).",
                       details={"review_id": review.id})


def _outcome(review: ReviewRequest, verdict: Verdict) -> ReviewState:
    if verdict is Verdict.REJECT:
        return ReviewState.REJECTED
    if verdict is Verdict.REQUEST_CHANGES:
        return ReviewState.CHANGES_REQUESTED
    if len(review.approvals()) >= review.rules.quorum:
        return ReviewState.APPROVED
    return ReviewState.OPEN


async def _apply(rt: Runtime, review: ReviewRequest, state: ReviewState,
                 decision: ReviewDecision) -> Post:
    """Move the post as the review's new state says; the post as it is after."""
    org_id, post_id, by = review.org_id, review.post_id, decision.actor
    in_review = frozenset({S.IN_REVIEW})
    if state is ReviewState.REJECTED:
        return await _move_post(rt, org_id, post_id, S.CANCELED, f"rejected by {by}",
                                actor=by, only_from=in_review)
    if state is ReviewState.CHANGES_REQUESTED:
        return await _move_post(rt, org_id, post_id, S.DRAFT,
                                f"changes requested by {by}: {decision.comment}",
                                actor=by, only_from=in_review)
    if state is ReviewState.APPROVED:
        await _move_post(rt, org_id, post_id, S.APPROVED,
                         f"approved by {review.progress()}", actor=by, only_from=in_review)
        return await _schedule(rt, review, actor=by)
    return await rt.store.get_post(org_id, post_id)


async def _schedule(rt: Runtime, review: ReviewRequest, *, actor: str) -> Post:
    """Schedule an approved post the way its review request says: at its time, in the next
    queue slot (its own if still ahead), or now. A time that passed during review makes the
    post due at once; the late-post rule then decides whether a person confirms first."""
    for _ in range(MAX_RACES):
        post = await rt.store.get_post(review.org_id, review.post_id)
        if post.status is not S.APPROVED:
            return post
        now = rt.clock.now()
        when = review.content.when
        scheduled_at = post.scheduled_at
        if when is ReviewWhen.QUEUE and (scheduled_at is None or scheduled_at <= now):
            scheduled_at = await next_queue_slot(rt, post.org_id,
                                                 [t.connection_id for t in post.targets], None)
        elif when is ReviewWhen.NOW:
            scheduled_at = None
        scheduled = transition(post, S.SCHEDULED, at=now, reason=f"approved; {when.value}",
                               scheduled_at=scheduled_at, due_at=scheduled_at or now)
        if await _moved(rt, post, scheduled, actor):
            await rt.notices.notify(PostScheduled(scheduled))
            return scheduled
    raise Conflict("The post kept changing while PostFlow scheduled it; try again.",
                   details={"post_id": review.post_id})


async def _move_post(rt: Runtime, org_id: str, post_id: str, to: PostStatus, reason: str, *,
                     actor: str, only_from: frozenset[PostStatus]) -> Post:
    """Move the post to ``to`` when it is in ``only_from``; otherwise leave it as it is (the
    author or another path moved it meanwhile, and that decision stands)."""
    for _ in range(MAX_RACES):
        post = await rt.store.get_post(org_id, post_id)
        if post.status not in only_from:
            return post
        moved = transition(post, to, at=rt.clock.now(), reason=reason)
        if await _moved(rt, post, moved, actor):
            return moved
    raise Conflict("The post kept changing; try again.", details={"post_id": post_id})


async def _moved(rt: Runtime, post: Post, moved: Post, actor: str) -> bool:
    """Write ``moved`` with its ``post.status_changed`` event if ``post`` is still the stored
    version; False when someone wrote first."""
    try:
        await rt.store.replace_post(moved, expected_version=post.version, audit=[audit_event(
            rt, post.org_id, actor, "post.status_changed", post.id,
            **{"from": post.status.value, "to": moved.status.value,
               "reason": moved.status_reason})])
    except Conflict:
        return False
    return True
