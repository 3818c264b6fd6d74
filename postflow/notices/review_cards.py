"""Posting a review card: the one notice that needs an answer back (where the card is, stored
on the review so later rounds update it and decisions are said in its thread). Only chat
adapters implement :class:`ReviewCards`; the card goes to the organization's review channel,
through the adapter of that channel's platform."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Protocol

from postflow.organizations import ChatChannel
from postflow.posts import Post
from postflow.reviews import ChatMessageRef, ReviewRequest
from postflow.store.port import Store

log = logging.getLogger(__name__)


class ReviewCards(Protocol):
    async def post_card(self, post: Post, review: ReviewRequest,
                        channel: ChatChannel) -> ChatMessageRef | None:
        """Post ``review``'s card in ``channel``; where it is, or None when it was not posted
        (said in the log)."""
        ...


#: The chat adapters that post review cards, by platform (the composition root's).
ReviewCardPosters = Mapping[str, ReviewCards]


async def post_review_card(store: Store, posters: ReviewCardPosters, post: Post,
                           review: ReviewRequest) -> ChatMessageRef | None:
    """The card of ``review`` in its organization's review channel, by that channel's platform;
    None when there is no such channel or no adapter for its platform in this process."""
    org = await store.get_organization(post.org_id)
    channel = org.review_channel
    poster = None if channel is None else posters.get(channel.platform)
    if channel is None or poster is None:
        log.info("review %s (round %d) requested for post %s of organization %s; no review "
                 "channel on a chat platform of this process", review.id, review.round,
                 post.id, post.org_id)
        return None
    return await poster.post_card(post, review, channel)
