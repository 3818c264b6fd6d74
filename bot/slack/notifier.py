"""The Slack :class:`~postflow.notifications.Notifier`: review cards in the organization's
review channel, updated in place, with each step said in the card's thread; late posts,
publish outcomes and accounts needing a reconnect in the post's thread or the notification
channel, and to a Slack author by direct message (:mod:`bot.slack.outcome_notices`).

Every message is handed to the outbox the composition root gave it (the ``chat`` Dramatiq
queue, paced per channel and retried on 429 by a worker; or at once in a one-off CLI command),
except one: the first review card of a post is posted here, synchronously, because
``review_requested`` must return where the card is (its ``ts``) for the review record, and every
later update and thread reply needs it.
The use cases calling this already stored what happened, so a failed message changes nothing else.
"""

from __future__ import annotations

import logging

from bot.slack.authorize import PLATFORM
from bot.slack.blocks import escape
from bot.slack.chat_delivery import ChatOutbox, ChatSend, SendOutcome, SlackChatDelivery
from bot.slack.outcome_notices import OutcomeNotices
from bot.slack.review_blocks import VERDICT_WORDS, person, review_card
from postflow.chatops.formatting import local_time
from postflow.chatops.post_outcomes import expiry_warning_text
from postflow.connections import Connection
from postflow.errors import NotFound
from postflow.organizations import Organization
from postflow.posts import Post, PostStatus
from postflow.reviews import ChatMessageRef, ReviewDecision, ReviewRequest, ReviewState, Verdict
from postflow.store.port import Store

log = logging.getLogger(__name__)


class SlackNotifier:
    """Posts to the Slack channels an organization chose (``/postflow settings``)."""

    def __init__(self, store: Store, delivery: SlackChatDelivery, outbox: ChatOutbox) -> None:
        self._store = store
        self._delivery = delivery
        #: Where every message but a first review card goes.
        self.outbox = outbox
        #: Publish outcomes, late posts and reconnect notices (thread or channel, and DMs).
        self._outcomes = OutcomeNotices(store, outbox)

    # -- events -----------------------------------------------------------------------------
    async def post_late(self, post: Post) -> None:
        await self._outcomes.post_late(post)

    async def post_published(self, post: Post) -> None:
        await self._outcomes.post_outcome(post)

    async def post_partially_published(self, post: Post) -> None:
        await self._outcomes.post_outcome(post)

    async def post_failed(self, post: Post) -> None:
        await self._outcomes.post_outcome(post)

    async def connection_needs_reconnect(self, connection: Connection, reason: str) -> None:
        await self._outcomes.needs_reconnect(connection)

    async def token_expiring(self, connection: Connection, days_left: int) -> None:
        org = await self._store.get_organization(connection.org_id)
        await self._outcomes.to_channel(
            org, f":hourglass: {escape(expiry_warning_text(connection, days_left))}")

    async def review_requested(self, post: Post, review: ReviewRequest) -> ChatMessageRef | None:
        org = await self._store.get_organization(post.org_id)
        ref = review.message
        if ref is not None:
            if ref.platform != PLATFORM:
                return ref
            await self._update_card(ref, org, post, review)
            changed = "; ".join(review.changes) or "it was asked again"
            await self._reply(ref, f":arrows_counterclockwise: Review again "
                              f"(round {review.round}), asked by {person(review.requested_by)}: "
                              f"{escape(changed)}. Earlier approvals no longer count.")
            return ref
        channel = org.review_channel
        if channel is None or channel.platform != PLATFORM:
            log.info("review %s: organization %s has no Slack review channel", review.id,
                     org.id)
            return None
        # Synchronous on purpose (see the module docstring): the card's ts is the answer.
        text, blocks = review_card(post, review, await self._connections(post), org.timezone)
        sent = await self._delivery.deliver(ChatSend(
            workspace_id=channel.workspace_id, channel_id=channel.channel_id, text=text,
            blocks=blocks, what="post a review card"))
        if sent.outcome is not SendOutcome.SENT or not sent.ts:
            log.warning("could not post the review card of review %s: %s %s", review.id,
                        sent.outcome.value, sent.error)
            return None
        return ChatMessageRef(platform=PLATFORM, workspace_id=channel.workspace_id,
                              channel_id=sent.channel_id or channel.channel_id,
                              message_id=sent.ts)

    async def review_decided(self, post: Post, review: ReviewRequest,
                             decision: ReviewDecision) -> None:
        ref = review.message
        if ref is None or ref.platform != PLATFORM:
            return
        org = await self._store.get_organization(post.org_id)
        await self._update_card(ref, org, post, review)
        text = f"{person(decision.actor)} {VERDICT_WORDS[decision.verdict]}"
        if decision.comment:
            text += f": {escape(decision.comment)}"
        text += f" ({review.progress()})."
        if review.state is ReviewState.APPROVED and post.status is PostStatus.SCHEDULED:
            text += (" The post is approved and scheduled for "
                     f"{local_time(post.scheduled_at or post.due_at, org.timezone)}.")
        elif decision.verdict is not Verdict.APPROVE:
            author = person(post.created_by or review.requested_by)
            text += (f" {author}, edit the post and it comes back here for review."
                     if review.state is ReviewState.CHANGES_REQUESTED
                     else f" {author}, the post was canceled.")
        await self._reply(ref, text)

    async def review_expired(self, post: Post, review: ReviewRequest) -> None:
        ref = review.message
        if ref is None or ref.platform != PLATFORM:
            return
        org = await self._store.get_organization(post.org_id)
        await self._update_card(ref, org, post, review)
        await self._reply(ref, f":hourglass: This review expired "
                          f"({review.progress()}). {person(post.created_by or review.requested_by)}"
                          ", the post is a draft again: ask for review again when ready.")

    # -- helpers ----------------------------------------------------------------------------
    async def _update_card(self, ref: ChatMessageRef, org: Organization, post: Post,
                           review: ReviewRequest) -> None:
        text, blocks = review_card(post, review, await self._connections(post), org.timezone)
        await self.outbox.send(ChatSend(workspace_id=ref.workspace_id,
                                          channel_id=ref.channel_id, ts=ref.message_id,
                                          text=text, blocks=blocks, what="update a review card"))

    async def _reply(self, ref: ChatMessageRef, text: str) -> None:
        await self.outbox.send(ChatSend(workspace_id=ref.workspace_id,
                                          channel_id=ref.channel_id, thread_ts=ref.message_id,
                                          text=text, what="reply in a review thread"))

    async def _connections(self, post: Post) -> dict[str, Connection]:
        found = {}
        for target in post.targets:
            try:
                found[target.connection_id] = await self._store.get_connection(
                    post.org_id, target.connection_id)
            except NotFound:
                continue
        return found
