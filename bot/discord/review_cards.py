"""Discord's review card and its :class:`~postflow.notices.review_cards.ReviewCards`.

The card is one embed: the review's state and progress as its title, the post's text per network
(exactly what is reviewed), when it goes out, its accounts, its author, its media, the deadline,
and this round's decisions; below it Approve / Request changes / Reject while the review is open.
The buttons carry self-contained ids (:mod:`bot.discord.custom_ids`) answered by
:mod:`bot.discord.components`, which applies the policy (quorum, approvers, no self-approval)
through the chat-neutral core, as Slack's buttons do.

The first card is posted synchronously, because the core stores where it is, and a thread is
started from it for the decisions and the post's notices; every later update goes through the
outbox (:mod:`bot.discord.notice_sink`).
"""

from __future__ import annotations

import logging

from bot.discord.chat_delivery import DiscordChatDelivery
from bot.discord.custom_ids import review_id
from bot.discord.markdown import PLATFORM, escape, person
from postflow.chat.delivery import DeliveryOutcome
from postflow.chat.messages import ButtonStyle, ChatButton, ChatCard, ChatDestination, ChatMessage
from postflow.chatops.formatting import excerpt, local_time
from postflow.chatops.post_outcomes import post_accounts
from postflow.connections import Connection
from postflow.organizations import ChatChannel
from postflow.posts import Post
from postflow.reviews import (
    ChatMessageRef,
    ReviewDecision,
    ReviewRequest,
    ReviewState,
    ReviewWhen,
    Verdict,
)
from postflow.store.port import Store

log = logging.getLogger(__name__)

#: A network's text on the card (an embed's description holds 4,096 characters in all).
TEXT_SHOWN = 1200

STATE_WORDS: dict[ReviewState, str] = {
    ReviewState.OPEN: "\N{EYES} Waiting for review",
    ReviewState.APPROVED: "\N{WHITE HEAVY CHECK MARK} Approved",
    ReviewState.CHANGES_REQUESTED: "\N{PENCIL}\N{VARIATION SELECTOR-16} Changes requested",
    ReviewState.REJECTED: "\N{NO ENTRY} Rejected",
    ReviewState.EXPIRED: "\N{HOURGLASS} Expired: nobody decided in time",
}
VERDICT_WORDS: dict[Verdict, str] = {
    Verdict.APPROVE: "approved",
    Verdict.REQUEST_CHANGES: "requested changes",
    Verdict.REJECT: "rejected",
}


def when_text(review: ReviewRequest, post: Post, timezone: str) -> str:
    content = review.content
    if content.when is ReviewWhen.QUEUE:
        slot = f" (now {local_time(post.scheduled_at, timezone)})" if post.scheduled_at else ""
        return f"next queue slot{slot}"
    if content.when is ReviewWhen.NOW:
        return "as soon as it is approved"
    return local_time(content.at, timezone)


def review_card(post: Post, review: ReviewRequest, connections: dict[str, Connection],
                timezone: str) -> tuple[str, ChatCard]:
    """(plain text, card) of ``review``: the buttons only while it is open."""
    state = STATE_WORDS[review.state]
    title = f"{state} · {review.progress()} · post {post.id}"
    if review.round > 1:
        title += f" · round {review.round}"
    paragraphs = []
    for network in sorted({t.network for t in post.targets}):
        text = post.text_for(network)
        paragraphs.append(f"**{escape(network)}** ({len(text)} characters)\n"
                          f"{escape(excerpt(text, TEXT_SHOWN))}")
    targets = ", ".join(escape(f"{connections[t.connection_id].display_name} ({t.network})")
                        if t.connection_id in connections else escape(t.connection_id)
                        for t in post.targets)
    fields = [("When", escape(when_text(review, post, timezone))), ("Accounts", targets),
              ("Author", person(post.created_by or review.requested_by))]
    if post.media:
        fields.append(("Media", "\n".join(escape(m.url) for m in post.media)))
    if review.expires_at is not None and review.is_open:
        fields.append(("Expires", local_time(review.expires_at, timezone)))
    decided = [d for d in review.decisions if d.round == review.round]
    if decided:
        # A field, not the footer: Discord shows mentions in fields, not in footers.
        fields.append(("Decisions", "\n".join(decision_line(d, timezone) for d in decided)))
    buttons: tuple[ChatButton, ...] = ()
    if review.is_open:
        buttons = (
            ChatButton(review_id(Verdict.APPROVE, post.org_id, review.id), "Approve",
                       style=ButtonStyle.PRIMARY),
            ChatButton(review_id(Verdict.REQUEST_CHANGES, post.org_id, review.id),
                       "Request changes"),
            ChatButton(review_id(Verdict.REJECT, post.org_id, review.id), "Reject",
                       style=ButtonStyle.DANGER),
        )
    card = ChatCard(key=f"review:{review.id}", title=title, paragraphs=tuple(paragraphs),
                    fields=tuple(fields), buttons=buttons)
    return f"{state}: post {post.id} ({review.progress()})", card


def decision_line(decision: ReviewDecision, timezone: str) -> str:
    line = (f"{person(decision.actor)} {VERDICT_WORDS[decision.verdict]} "
            f"({local_time(decision.at, timezone)})")
    if decision.comment:
        line += f": {escape(excerpt(decision.comment, 200))}"
    return line


async def review_message(store: Store, post: Post, review: ReviewRequest,
                         destination: ChatDestination, replaces: str = "") -> ChatMessage:
    """The card of ``review`` as a message to ``destination`` (an update of ``replaces``)."""
    org = await store.get_organization(post.org_id)
    text, card = review_card(post, review, await post_accounts(store, post), org.timezone)
    return ChatMessage(destination=destination, text=text, card=card, replaces=replaces,
                       what="update a review card" if replaces else "post a review card")


class DiscordReviewCards:
    """Posts a review's first card in the review channel and starts its thread."""

    def __init__(self, store: Store, delivery: DiscordChatDelivery) -> None:
        self._store = store
        self._delivery = delivery

    async def post_card(self, post: Post, review: ReviewRequest,
                        channel: ChatChannel) -> ChatMessageRef | None:
        to = ChatDestination(PLATFORM, channel.workspace_id, channel.channel_id)
        sent = await self._delivery.deliver(await review_message(self._store, post, review, to))
        ref = sent.reference
        if sent.outcome is not DeliveryOutcome.SENT or ref is None or not ref.message_id:
            log.warning("could not post the review card of review %s: %s %s", review.id,
                        sent.outcome.value, sent.error)
            return None
        thread = await self._delivery.start_thread(ref.channel_id, ref.message_id,
                                                   f"Review of post {post.id}")
        if thread.outcome is not DeliveryOutcome.SENT:  # started when first needed instead
            log.info("could not start the thread of review %s's card: %s %s", review.id,
                     thread.outcome.value, thread.error)
        return ref
