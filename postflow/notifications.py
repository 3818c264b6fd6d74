"""The log as a notice sink: one line per notice, ids and the reason, never the text or a token.

The composition root registers it when no other sink is configured, so a PostFlow without chat
still says in its log what needs a person.
"""

from __future__ import annotations

import logging

from postflow.notices.events import (
    ChatAppRemoved,
    ConnectionBroken,
    Notice,
    PlanLimitReached,
    PostFailed,
    PostLate,
    PostPartiallyPublished,
    PostPublished,
    PostScheduled,
    ReviewDecided,
    ReviewExpired,
    ReviewRequested,
    TokenExpiring,
    WebhookEndpointDisabled,
)

log = logging.getLogger(__name__)


class LogSink:
    """Writes one line per notice: a warning for what needs a person, info for the rest."""

    name = "log"

    def wants(self, notice: Notice) -> bool:
        # A post scheduled is the normal course of things: said to webhooks, not to the log.
        return not isinstance(notice, PostScheduled)

    async def deliver(self, notice: Notice) -> None:
        match notice:
            case PostLate(post=post):
                log.warning("post %s of organization %s is late: %s", post.id, post.org_id,
                            post.status_reason)
            case PostPublished(post=post):
                log.info("post %s of organization %s is published", post.id, post.org_id)
            case PostPartiallyPublished(post=post):
                log.warning("post %s of organization %s is partially published: %s", post.id,
                            post.org_id, post.status_reason)
            case PostFailed(post=post):
                log.warning("post %s of organization %s failed: %s", post.id, post.org_id,
                            post.status_reason)
            case ConnectionBroken(connection=connection):
                log.warning("connection %s (%s) of organization %s needs a reconnect",
                            connection.id, connection.network, connection.org_id)
            case TokenExpiring(connection=connection, days_left=days_left):
                log.warning("connection %s (%s) of organization %s stops working in %d days "
                            "unless it is reconnected", connection.id, connection.network,
                            connection.org_id, days_left)
            case ReviewRequested(post=post, review=review):
                log.info("review %s (round %d) requested for post %s of organization %s",
                         review.id, review.round, post.id, post.org_id)
            case ReviewDecided(post=post, review=review, decision=decision):
                log.info("review %s of post %s: %s by %s (%s)", review.id, post.id,
                         decision.verdict.value, decision.actor, review.state.value)
            case ReviewExpired(post=post, review=review):
                log.warning("review %s of post %s expired; the post is a draft again",
                            review.id, post.id)
            case ChatAppRemoved(platform=platform, workspace_id=workspace_id):
                log.warning("PostFlow was removed from %s workspace %s of organization %s",
                            platform, workspace_id, notice.org_id)
            case PlanLimitReached(limit=limit):
                log.info("organization %s reached its plan's %s limit", notice.org_id,
                            limit)
            case WebhookEndpointDisabled(endpoint_id=endpoint_id, reason=reason):
                log.warning("webhook endpoint %s of organization %s is disabled: %s",
                            endpoint_id, notice.org_id, reason)
            case _:
                log.info("%s about %s of organization %s", notice.kind, notice.subject,
                         notice.org_id)
