"""Review decisions from chat: a button on the review card (or the comment of a "request
changes" form), checked against the member's role and the review's policy, answered with a
short :class:`Reply` for the person who pressed it. The card itself is updated by the chat sinks."""

from __future__ import annotations

from postflow.chatops.callers import Caller, resolve_member
from postflow.chatops.formatting import local_time
from postflow.chatops.replies import Reply
from postflow.errors import PostFlowError
from postflow.posts import PostStatus
from postflow.publish_queue import PublishQueue
from postflow.reviews import ReviewState, Verdict
from postflow.runtime import Runtime
from postflow.usecases.dispatch import claim_and_enqueue
from postflow.usecases.reviews import decide

#: What the person who decided is told, by the review's state after their decision.
DONE_WORDS: dict[ReviewState, str] = {
    ReviewState.OPEN: "You approved it",
    ReviewState.APPROVED: "Approved",
    ReviewState.CHANGES_REQUESTED: "You asked for changes; the post is back with its author "
                                   "as a draft",
    ReviewState.REJECTED: "Rejected; the post will not be published",
    ReviewState.EXPIRED: "This review expired",
}


async def press_review(rt: Runtime, queue: PublishQueue | None, caller: Caller,
                       verdict: Verdict, review_id: str, comment: str = "") -> Reply:
    """Decide ``review_id`` as ``caller``; any refusal comes back as an error reply."""
    try:
        who = await resolve_member(rt, caller)
        decided = await decide(rt, who.org.id, review_id, who.member, verdict,
                               actor=caller.actor, comment=comment)
    except PostFlowError as err:
        return Reply(text=err.message, error=True)
    review, post = decided.review, decided.post
    text = f"{DONE_WORDS[review.state]} ({review.progress()})."
    if review.state is ReviewState.APPROVED and post.status is PostStatus.SCHEDULED:
        text = (f"Approved ({review.progress()}): post `{post.id}` is scheduled for "
                f"{local_time(post.scheduled_at or post.due_at, who.org.timezone)}.")
        now = rt.clock.now()
        if queue is not None and post.due_at is not None and post.due_at <= now:
            await claim_and_enqueue(rt, queue, post, trigger="approved")
            text = f"Approved ({review.progress()}): post `{post.id}` is being published now."
    return Reply(text=text)
