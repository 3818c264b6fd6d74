"""Slack's :class:`~postflow.notices.review_cards.ReviewCards`: the first review card of a post,
posted synchronously in the review channel, because the core stores where it is (its ``ts``)
and every later update and thread reply needs it. Everything else goes through the outbox
(:mod:`bot.slack.notice_sink`)."""

from __future__ import annotations

import logging

from bot.slack.authorize import PLATFORM
from bot.slack.chat_delivery import SlackChatDelivery
from bot.slack.review_blocks import review_card
from postflow.chat.delivery import DeliveryOutcome
from postflow.chat.messages import ChatDestination, ChatMessage
from postflow.chatops.post_outcomes import post_accounts
from postflow.organizations import ChatChannel
from postflow.posts import Post
from postflow.reviews import ChatMessageRef, ReviewRequest
from postflow.store.port import Store

log = logging.getLogger(__name__)


class SlackReviewCards:
    def __init__(self, store: Store, delivery: SlackChatDelivery) -> None:
        self._store = store
        self._delivery = delivery

    async def post_card(self, post: Post, review: ReviewRequest,
                        channel: ChatChannel) -> ChatMessageRef | None:
        org = await self._store.get_organization(post.org_id)
        text, card = review_card(post, review, await post_accounts(self._store, post),
                                 org.timezone)
        sent = await self._delivery.deliver(ChatMessage(
            destination=ChatDestination(PLATFORM, channel.workspace_id, channel.channel_id),
            text=text, card=card, what="post a review card"))
        ref = sent.reference
        if sent.outcome is not DeliveryOutcome.SENT or ref is None or not ref.message_id:
            log.warning("could not post the review card of review %s: %s %s", review.id,
                        sent.outcome.value, sent.error)
            return None
        return ref

