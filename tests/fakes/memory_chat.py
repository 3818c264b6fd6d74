"""A chat platform in memory, and PostFlow's adapter for it: the second adapter that proves the
chat port carries nothing of Slack's. It renders nothing: a message keeps its neutral card.

The platform (:class:`MemoryPlatform`) holds its channels' messages, can refuse the next message
as rate limited, and knows which workspaces have PostFlow installed. The adapter is the four
parts every chat adapter has: a delivery, a notice sink, review cards, and the inbound side
(commands, the composer, buttons) calling the same ``postflow/chatops`` functions Slack's
listeners call.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field

from postflow.chat.delivery import ChatOutbox, Delivered, DeliveryOutcome
from postflow.chat.messages import ButtonStyle, ChatButton, ChatCard, ChatDestination, ChatMessage
from postflow.chatops.callers import Caller, resolve_member
from postflow.chatops.commands import run_command
from postflow.chatops.compose import ComposerState, When, composer_choices, submit_composer
from postflow.chatops.post_outcomes import outcome_text, post_accounts
from postflow.chatops.review import press_review
from postflow.errors import PostFlowError
from postflow.notices.events import (
    Notice,
    PostFailed,
    PostPartiallyPublished,
    PostPublished,
    ReviewDecided,
)
from postflow.organizations import ChatChannel, ChatIdentity
from postflow.posts import Post
from postflow.reviews import ChatMessageRef, ReviewRequest, Verdict
from postflow.runtime import Runtime
from postflow.store.port import Store

#: The core's records accept the chat platforms PostFlow knows (``slack``, ``discord``: the
#: patterns of ``ChatIdentity`` and ``ChatChannel`` in ``postflow/organizations.py``); the
#: in-memory adapter stands in for the next one under that name. Nothing of Discord's is here.
PLATFORM = "discord"
REVIEW_PREFIX = "postflow-review:"


@dataclass
class Posted:
    """A message as the platform shows it."""

    id: str
    message: ChatMessage


@dataclass
class MemoryPlatform:
    """The chat platform itself."""

    installed: set[str] = field(default_factory=set)
    channels: dict[str, list[Posted]] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    rate_limited: int = 0
    retry_after: float = 1.0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def receive(self, message: ChatMessage) -> Delivered:
        to = message.destination
        channel = to.channel_id or f"dm-{to.user_id}"
        self.attempts[channel] = self.attempts.get(channel, 0) + 1
        if to.workspace_id not in self.installed:
            return Delivered(DeliveryOutcome.REFUSED, error="not_installed")
        if self.rate_limited > 0:
            self.rate_limited -= 1
            return Delivered(DeliveryOutcome.RATE_LIMITED, retry_after=self.retry_after,
                             error="slow_down")
        posted = self.channels.setdefault(channel, [])
        if message.replaces:
            for index, earlier in enumerate(posted):
                if earlier.id == message.replaces:
                    posted[index] = Posted(earlier.id, message)
                    return self._sent(to, channel, earlier.id)
            return Delivered(DeliveryOutcome.REFUSED, error="message_not_found")
        posted.append(Posted(f"m{next(self._ids)}", message))
        return self._sent(to, channel, posted[-1].id)

    @staticmethod
    def _sent(to: ChatDestination, channel: str, message_id: str) -> Delivered:
        return Delivered(DeliveryOutcome.SENT, reference=ChatMessageRef(
            platform=PLATFORM, workspace_id=to.workspace_id, channel_id=channel,
            message_id=message_id))


class MemoryDelivery:
    def __init__(self, platform: MemoryPlatform) -> None:
        self._platform = platform

    async def deliver(self, message: ChatMessage) -> Delivered:
        return self._platform.receive(message)


class MemoryReviewCards:
    def __init__(self, store: Store, delivery: MemoryDelivery) -> None:
        self._store = store
        self._delivery = delivery

    async def post_card(self, post: Post, review: ReviewRequest,
                        channel: ChatChannel) -> ChatMessageRef | None:
        sent = await self._delivery.deliver(ChatMessage(
            destination=ChatDestination(PLATFORM, channel.workspace_id, channel.channel_id),
            text=f"Review post {post.id}", card=review_card(post, review)))
        return sent.reference


def review_card(post: Post, review: ReviewRequest) -> ChatCard:
    buttons = () if not review.is_open else (
        ChatButton(f"{REVIEW_PREFIX}{Verdict.APPROVE.value}", "Approve", review.id,
                   ButtonStyle.PRIMARY),
        ChatButton(f"{REVIEW_PREFIX}{Verdict.REJECT.value}", "Reject", review.id,
                   ButtonStyle.DANGER, confirm="Reject it?"))
    state = "Approved" if review.state.value == "approved" else review.state.value
    return ChatCard(key=f"review:{review.id}", title=f"{state} · {review.progress()}",
                    paragraphs=(post.text,), buttons=buttons)


class MemoryNoticeSink:
    """Publish outcomes in the post's review thread (else the notification channel) and
    decisions on the card."""

    name = PLATFORM

    def __init__(self, store: Store, outbox: ChatOutbox) -> None:
        self._store = store
        self._outbox = outbox

    def wants(self, notice: Notice) -> bool:
        return isinstance(notice, PostPublished | PostPartiallyPublished | PostFailed
                          | ReviewDecided)

    async def deliver(self, notice: Notice) -> None:
        if isinstance(notice, ReviewDecided):
            ref = notice.review.message
            if ref is not None and ref.platform == PLATFORM:
                await self._outbox.send(ChatMessage(
                    destination=ChatDestination(PLATFORM, ref.workspace_id, ref.channel_id),
                    replaces=ref.message_id, text=f"Review post {notice.post.id}",
                    card=review_card(notice.post, notice.review)))
            return
        assert isinstance(notice, PostPublished | PostPartiallyPublished | PostFailed)
        post = notice.post
        accounts = await post_accounts(self._store, post)
        review = await self._store.find_review_for_post(post.org_id, post.id)
        ref = None if review is None else review.message
        text = outcome_text(post, accounts)
        if ref is not None and ref.platform == PLATFORM:
            place = ChatDestination(PLATFORM, ref.workspace_id, ref.channel_id)
            await self._outbox.send(ChatMessage(destination=place, text=text,
                                                thread_id=ref.message_id))
            return
        org = await self._store.get_organization(post.org_id)
        channel = org.notification_channel or org.review_channel
        if channel is not None and channel.platform == PLATFORM:
            await self._outbox.send(ChatMessage(
                destination=ChatDestination(PLATFORM, channel.workspace_id, channel.channel_id),
                text=text))


class MemoryChat:
    """The inbound side: a person's command, composer and button press, run through the same
    chat operations as Slack's listeners."""

    def __init__(self, platform: MemoryPlatform, workspace_id: str) -> None:
        self.platform = platform
        self.workspace_id = workspace_id

    def caller(self, user_id: str, channel_id: str = "") -> Caller:
        return Caller(ChatIdentity(platform=PLATFORM, workspace_id=self.workspace_id,
                                   user_id=user_id), channel_id=channel_id)

    def _refused(self) -> str | None:
        if self.workspace_id not in self.platform.installed:
            return "PostFlow is not installed in this workspace."
        return None

    async def command(self, rt: Runtime, user_id: str, channel_id: str, text: str) -> str:
        refused = self._refused()
        if refused is not None:
            return refused
        return (await run_command(rt, None, self.caller(user_id, channel_id), text)).text

    async def compose(self, rt: Runtime, user_id: str, text: str, connection_id: str) -> None:
        who = await resolve_member(rt, self.caller(user_id))
        choices = await composer_choices(rt, who, who.org.timezone)
        await submit_composer(rt, None, choices, ComposerState(
            text=text, targets=(connection_id,), when=When.NOW, review=True))

    async def press(self, rt: Runtime, user_id: str, action_id: str, value: str) -> str:
        refused = self._refused()
        if refused is not None:
            return refused
        try:
            verdict = Verdict(action_id.removeprefix(REVIEW_PREFIX))
        except ValueError:
            return "That button is out of date."
        try:
            return (await press_review(rt, None, self.caller(user_id), verdict, value)).text
        except PostFlowError as err:
            return err.message


def memory_adapter(store: Store, platform: MemoryPlatform,
                   outbox: ChatOutbox) -> tuple[MemoryDelivery, MemoryNoticeSink,
                                                Mapping[str, MemoryReviewCards]]:
    """The delivery, the sink and the review cards, as a composition root registers them."""
    delivery = MemoryDelivery(platform)
    return (delivery, MemoryNoticeSink(store, outbox),
            {PLATFORM: MemoryReviewCards(store, delivery)})
