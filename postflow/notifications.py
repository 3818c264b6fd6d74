"""The port through which the core tells people about a post that needs them.

Today the only implementation writes a log line. The Slack and Discord adapters will implement
:class:`Notifier` to post the message in the channel the post came from.
"""

from __future__ import annotations

import logging
from typing import Protocol

from postflow.connections import Connection
from postflow.posts import Post
from postflow.reviews import ChatMessageRef, ReviewDecision, ReviewRequest

log = logging.getLogger(__name__)


class Notifier(Protocol):
    """Implemented by each chat adapter (Slack, Discord) once they exist; by the log until then."""

    async def post_late(self, post: Post) -> None:
        """Say that ``post`` became Late and waits for a person (``post.status_reason`` says
        how late). Called once per post, after the status change is stored."""
        ...

    async def post_published(self, post: Post) -> None:
        """Say that ``post`` went out on every target (each target's ``url`` links to it)."""
        ...

    async def post_partially_published(self, post: Post) -> None:
        """Say that ``post`` went out on some targets only (Partial); the others say why."""
        ...

    async def post_failed(self, post: Post) -> None:
        """Say that ``post`` went out nowhere (Failed); each target's ``error_kind`` says why."""
        ...

    async def connection_needs_reconnect(self, connection: Connection, reason: str) -> None:
        """Say that PostFlow can no longer post to ``connection`` until a person reconnects it.
        Called once, when the connection is marked."""
        ...

    async def token_expiring(self, connection: Connection, days_left: int) -> None:
        """Warn that ``connection`` stops working in ``days_left`` days (at
        ``connection.reconnect_by``) unless a person reconnects it. Called once per warning
        threshold (7, 3, 1 days)."""
        ...

    async def review_requested(self, post: Post, review: ReviewRequest) -> ChatMessageRef | None:
        """Ask the review channel to review ``post``: a new card, or (``review.message`` set,
        a later round) the same card updated and ``review.changes`` said in its thread.
        Returns where the card is, for the use case to store; None when nothing was posted."""
        ...

    async def review_decided(self, post: Post, review: ReviewRequest,
                             decision: ReviewDecision) -> None:
        """Say ``decision`` (stored, with its effect on ``post``) on the card and its thread."""
        ...

    async def review_expired(self, post: Post, review: ReviewRequest) -> None:
        """Say that nobody decided in time and the post went back to its author as a Draft."""
        ...


class LoggingNotifier:
    """Writes one warning per late post: ids and the reason, never the text or a token."""

    async def post_late(self, post: Post) -> None:
        log.warning("post %s of organization %s is late: %s", post.id, post.org_id,
                    post.status_reason)

    async def post_published(self, post: Post) -> None:
        log.info("post %s of organization %s is published", post.id, post.org_id)

    async def post_partially_published(self, post: Post) -> None:
        log.warning("post %s of organization %s is partially published: %s", post.id,
                    post.org_id, post.status_reason)

    async def post_failed(self, post: Post) -> None:
        log.warning("post %s of organization %s failed: %s", post.id, post.org_id,
                    post.status_reason)

    async def connection_needs_reconnect(self, connection: Connection, reason: str) -> None:
        log.warning("connection %s (%s) of organization %s needs a reconnect", connection.id,
                    connection.network, connection.org_id)

    async def token_expiring(self, connection: Connection, days_left: int) -> None:
        log.warning("connection %s (%s) of organization %s stops working in %d days unless "
                    "it is reconnected", connection.id, connection.network, connection.org_id,
                    days_left)

    async def review_requested(self, post: Post, review: ReviewRequest) -> ChatMessageRef | None:
        log.info("review %s (round %d) requested for post %s of organization %s",
                 review.id, review.round, post.id, post.org_id)
        return None

    async def review_decided(self, post: Post, review: ReviewRequest,
                             decision: ReviewDecision) -> None:
        log.info("review %s of post %s: %s by %s (%s)", review.id, post.id,
                 decision.verdict.value, decision.actor, review.state.value)

    async def review_expired(self, post: Post, review: ReviewRequest) -> None:
        log.warning("review %s of post %s expired; the post is a draft again", review.id,
                    post.id)
