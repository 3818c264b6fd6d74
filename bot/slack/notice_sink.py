"""Slack as a notice sink (:class:`~postflow.notices.router.NoticeSink`): review cards updated
in place with each step said in the card's thread; late posts, publish outcomes and accounts
needing a reconnect in the post's thread or the notification channel, and to a Slack author by
direct message (:mod:`bot.slack.outcome_notices`); billing notices, a disabled webhook endpoint
and PostFlow removed from another of the organization's workspaces (a Discord server) by direct
message to each Owner on Slack, the notification channel standing in when none is (not for a
webhook endpoint): :mod:`postflow.chatops.owner_notices` decides whom, and says it.

Every message is handed to the outbox the composition root gave it (the ``chat`` Dramatiq
queue, paced per channel and retried on 429 by a worker; or at once in a one-off CLI command).
The first review card is not posted here but by :mod:`bot.slack.review_cards`, because the core
needs where it is back.
"""

from __future__ import annotations

from bot.slack.authorize import PLATFORM
from bot.slack.blocks import escape
from bot.slack.outcome_notices import OutcomeNotices
from bot.slack.review_blocks import VERDICT_WORDS, person, review_card
from postflow.chat.delivery import ChatOutbox
from postflow.chat.messages import ChatDestination, ChatMessage
from postflow.chatops.formatting import local_time
from postflow.chatops.owner_notices import owner_notice_text, owner_recipients
from postflow.chatops.post_outcomes import expiry_warning_text, post_accounts
from postflow.notices.events import (
    BILLING_NOTICES,
    BillingNotice,
    ChatAppRemoved,
    ConnectionBroken,
    Notice,
    PostFailed,
    PostLate,
    PostPartiallyPublished,
    PostPublished,
    ReviewDecided,
    ReviewExpired,
    ReviewRequested,
    TokenExpiring,
    WebhookEndpointDisabled,
)
from postflow.organizations import Organization
from postflow.posts import Post, PostStatus
from postflow.reviews import ChatMessageRef, ReviewRequest, ReviewState, Verdict
from postflow.store.port import Store

#: The notices Slack says; the others (a plan limit) are for other sinks.
SAID = (PostPublished, PostPartiallyPublished, PostFailed, PostLate, ConnectionBroken,
        TokenExpiring, ReviewRequested, ReviewDecided, ReviewExpired, WebhookEndpointDisabled,
        ChatAppRemoved, *BILLING_NOTICES)
#: What an Owner notice starts with, by kind.
OWNER_EMOJI = {BillingNotice: ":credit_card:", WebhookEndpointDisabled: ":warning:",
               ChatAppRemoved: ":wave:"}


class SlackNoticeSink:
    """Posts to the Slack channels an organization chose (``/postflow settings``)."""

    name = "slack"

    def __init__(self, store: Store, outbox: ChatOutbox) -> None:
        self._store = store
        #: Where every message goes.
        self.outbox = outbox
        #: Publish outcomes, late posts and reconnect notices (thread or channel, and DMs).
        self._outcomes = OutcomeNotices(store, outbox)

    def wants(self, notice: Notice) -> bool:
        return isinstance(notice, SAID)

    async def deliver(self, notice: Notice) -> None:
        match notice:
            case PostPublished(post=post) | PostPartiallyPublished(post=post) | \
                    PostFailed(post=post):
                await self._outcomes.post_outcome(post)
            case PostLate(post=post):
                await self._outcomes.post_late(post)
            case ConnectionBroken(connection=connection):
                await self._outcomes.needs_reconnect(connection)
            case TokenExpiring(connection=connection, days_left=days_left):
                org = await self._store.get_organization(connection.org_id)
                await self._outcomes.to_channel(
                    org, f":hourglass: {escape(expiry_warning_text(connection, days_left))}")
            case ReviewRequested():
                await self._review_requested(notice)
            case ReviewDecided():
                await self._review_decided(notice)
            case ReviewExpired(post=post, review=review):
                await self._review_expired(post, review)
            case BillingNotice() | WebhookEndpointDisabled() | ChatAppRemoved():
                await self._to_owners(notice)

    async def _to_owners(self, notice: BillingNotice | WebhookEndpointDisabled |
                         ChatAppRemoved) -> None:
        """By direct message to each Owner known on Slack; in the notification channel when
        none is and the notice may be said there."""
        emoji = next(e for kind, e in OWNER_EMOJI.items() if isinstance(notice, kind))
        text = f"{emoji} {escape(owner_notice_text(notice))}"
        told = await owner_recipients(self._store, notice, PLATFORM)
        for identity in told.owners:
            await self.outbox.send(ChatMessage(
                destination=ChatDestination(PLATFORM, identity.workspace_id,
                                            user_id=identity.user_id),
                text=text, what=f"tell an Owner ({notice.kind})"))
        if told.to_channel:
            org = await self._store.get_organization(notice.org_id)
            await self._outcomes.to_channel(org, text)

    async def _review_requested(self, notice: ReviewRequested) -> None:
        """A later round of a card on Slack: the card updated, the changes said under it."""
        post, review, ref = notice.post, notice.review, notice.review.message
        if notice.card_posted or ref is None or ref.platform != PLATFORM:
            return
        org = await self._store.get_organization(post.org_id)
        await self._update_card(ref, org, post, review)
        changed = "; ".join(review.changes) or "it was asked again"
        await self._reply(ref, f":arrows_counterclockwise: Review again "
                          f"(round {review.round}), asked by {person(review.requested_by)}: "
                          f"{escape(changed)}. Earlier approvals no longer count.")

    async def _review_decided(self, notice: ReviewDecided) -> None:
        post, review, decision, ref = (notice.post, notice.review, notice.decision,
                                       notice.review.message)
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

    async def _review_expired(self, post: Post, review: ReviewRequest) -> None:
        ref = review.message
        if ref is None or ref.platform != PLATFORM:
            return
        org = await self._store.get_organization(post.org_id)
        await self._update_card(ref, org, post, review)
        await self._reply(ref, f":hourglass: This review expired "
                          f"({review.progress()}). {person(post.created_by or review.requested_by)}"
                          ", the post is a draft again: ask for review again when ready.")

    async def _update_card(self, ref: ChatMessageRef, org: Organization, post: Post,
                           review: ReviewRequest) -> None:
        text, card = review_card(post, review, await post_accounts(self._store, post),
                                 org.timezone)
        await self.outbox.send(ChatMessage(
            destination=ChatDestination(PLATFORM, ref.workspace_id, ref.channel_id),
            replaces=ref.message_id, text=text, card=card, what="update a review card"))

    async def _reply(self, ref: ChatMessageRef, text: str) -> None:
        await self.outbox.send(ChatMessage(
            destination=ChatDestination(PLATFORM, ref.workspace_id, ref.channel_id),
            thread_id=ref.message_id, text=text, what="reply in a review thread"))
