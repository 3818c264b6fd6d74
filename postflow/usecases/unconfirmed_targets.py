"""A person settling a target whose outcome the network could not confirm (Unconfirmed).

The publisher never guesses: when neither the call nor the ``check`` could say whether a post
went out, the target is Unconfirmed and a person looks at the account. If the post is there,
they mark it published here; if not, they retry it (``publish_now`` or ``reschedule_post`` with
``include_unconfirmed``). Both are audited with the person's name.
"""

from __future__ import annotations

from postflow.errors import BadInput, Conflict
from postflow.post_status import outcome_status, revise, transition
from postflow.posts import Post, PostStatus, TargetStatus
from postflow.runtime import Runtime
from postflow.usecases.audit_log import audit_event
from postflow.usecases.post_actions import MAX_RACES

#: Only a finished publish has targets a person may settle.
SETTLEABLE = frozenset({PostStatus.FAILED, PostStatus.PARTIAL})


async def mark_unconfirmed_published(rt: Runtime, org_id: str, post_id: str, *,
                                     actor: str) -> Post:
    """Mark every Unconfirmed target of the post as published (a person saw it on the account);
    the post becomes what its targets add up to. BadInput when none is Unconfirmed."""
    for _ in range(MAX_RACES):
        post = await rt.store.get_post(org_id, post_id)
        unconfirmed = [t for t in post.targets if t.status is TargetStatus.UNCONFIRMED]
        if post.status not in SETTLEABLE or not unconfirmed:
            raise BadInput(f"Post {post.id} has no unconfirmed account to mark as published.",
                           details={"post_id": post.id, "status": post.status.value})
        now = rt.clock.now()
        targets = [t.model_copy(update={"status": TargetStatus.PUBLISHED, "published_at": now,
                                        "error_kind": None, "error_message": None})
                   if t.status is TargetStatus.UNCONFIRMED else t for t in post.targets]
        final = outcome_status(targets) or post.status
        reason = f"unconfirmed targets marked as published by {actor}"
        new = (revise(post, at=now, targets=targets, status_reason=reason)
               if final is post.status
               else transition(post, final, at=now, reason=reason, targets=targets))
        moves = {"from": post.status.value, "to": new.status.value}
        events = [audit_event(rt, org_id, actor, "post.unconfirmed_marked_published", post.id,
                              connections=",".join(t.connection_id for t in unconfirmed),
                              **moves)]
        if new.status is not post.status:
            events.append(audit_event(rt, org_id, actor, "post.status_changed", post.id,
                                      **moves, reason=reason))
        try:
            await rt.store.replace_post(new, expected_version=post.version, audit=events)
        except Conflict:
            continue
        return new
    raise Conflict("The post kept changing while PostFlow updated it; try again.",
                   details={"post_id": post_id})
