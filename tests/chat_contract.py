"""The chat contract kit: the scenarios every chat adapter must pass, written against the
neutral chat port (:mod:`postflow.chat`, :mod:`postflow.notices`) and a small driver each
adapter's test supplies (:class:`ChatDriver`: how a person types a command, fills the composer
and presses a button on that platform, and what the platform received).

An adapter's test module runs them all::

    @pytest.mark.parametrize("scenario", CONTRACT, ids=lambda s: s.__name__)
    async def test_contract(scenario: Scenario, driver: ChatDriver) -> None:
        await scenario(driver)

Slack passes it (``tests/bot/slack/test_chat_contract.py``) and so does the in-memory adapter
(``tests/fakes/memory_chat.py``, ``tests/test_memory_chat_contract.py``), which proves the port
carries nothing of Slack's.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from postflow.chat.delivery import ChatDeliveries, ChatOutbox, DeliveryOutcome
from postflow.chat.messages import ChatDestination, ChatMessage
from postflow.chat_actors import chat_actor
from postflow.config import Settings
from postflow.organizations import ChatIdentity, Organization
from postflow.posts import PostSource, PostStatus
from postflow.reviews import ReviewState
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.dispatch import claim_post
from postflow.usecases.publish_post import PostPublisher
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.fakes.clock import ManualClock
from tests.polling import eventually

if TYPE_CHECKING:
    from workers.worker_runtime import WorkerServices

DEADLINE_SECONDS = 15.0


@dataclass(frozen=True)
class Seen:
    """A message the platform shows in a channel, as the driver reads it back."""

    text: str
    message_id: str
    #: The message it replies to, in a thread; "" at the channel's top level.
    thread_id: str = ""
    #: (action id, value) of each button it shows.
    buttons: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class People:
    """User ids in the driver's workspace, one per role (all members of ``org``)."""

    owner: str
    admin: str
    member: str
    viewer: str


class ChatDriver(Protocol):
    """What an adapter's test supplies for the contract."""

    @property
    def platform(self) -> str: ...

    @property
    def workspace_id(self) -> str: ...

    @property
    def channel_id(self) -> str:
        """Where the driver's commands are typed ("here" in ``settings review-channel
        here``)."""
        ...

    rt: Runtime
    settings: Settings
    clock: ManualClock
    #: Linked to the workspace, on a plan with reviews; its people are ``people``.
    org: Organization
    people: People
    #: The adapter's delivery, as the composition root registers it.
    deliveries: ChatDeliveries

    async def command(self, user_id: str, text: str) -> str:
        """``/postflow <text>`` typed by ``user_id`` in ``channel_id``; the reply's text ("" when
        none came)."""
        ...

    async def compose(self, user_id: str, text: str, connection_id: str) -> None:
        """The platform's composer, filled and sent by ``user_id``: ``text`` to the account,
        for review, now."""
        ...

    async def press(self, user_id: str, message: Seen, action_id: str) -> str:
        """``user_id`` presses ``message``'s button ``action_id``; the answer shown to them."""
        ...

    def seen(self, channel_id: str) -> list[Seen]:
        """The messages posted in the channel, in order, as they read now (updates applied)."""
        ...

    def delivery_attempts(self, channel_id: str) -> int:
        """How many times a message was offered to the platform for the channel (refused ones
        too)."""
        ...

    def rate_limit_next(self, retry_after_seconds: int) -> None:
        """The platform's next message is refused as too many, to retry after the delay."""
        ...

    async def uninstall(self) -> None:
        """The workspace removes PostFlow, the platform's way."""
        ...

    async def open_worker_services(self) -> WorkerServices:
        """What a worker process opens on the actors' loop: a runtime and the chat deliveries
        by platform, as its composition root registers them."""
        ...


Scenario = Callable[[ChatDriver], Awaitable[None]]


def identity(chat: ChatDriver, user_id: str) -> ChatIdentity:
    return ChatIdentity(platform=chat.platform, workspace_id=chat.workspace_id, user_id=user_id)


async def a_command_gets_a_reply(chat: ChatDriver) -> None:
    reply = await chat.command(chat.people.member, "help")

    assert "You are Member" in reply


async def the_composer_creates_a_post_for_review(chat: ChatDriver) -> None:
    account = await connect_sandbox(chat.rt, chat.org.id, "acme", actor="test")

    await chat.compose(chat.people.member, "Hello from the composer", account.id)

    [post] = await chat.rt.store.list_posts(chat.org.id)
    assert post.text == "Hello from the composer"
    assert post.created_by == chat_actor(identity(chat, chat.people.member))
    assert post.status is PostStatus.IN_REVIEW


async def post_in_review(chat: ChatDriver) -> Seen:
    """A member's post waiting for two approvals, its card in the review channel."""
    await chat.command(chat.people.admin, "settings approval quorum 2")
    await chat.command(chat.people.admin, "settings review-channel here")
    account = await connect_sandbox(chat.rt, chat.org.id, "acme", actor="test")
    await submit_post(chat.rt, chat.org.id, PostRequest(
        text="Launch day!", targets=[account.id],
        schedule_at=chat.clock.now() + timedelta(hours=1)),
        source=PostSource(kind=chat.platform),
        actor=chat_actor(identity(chat, chat.people.member)), review_required=True)
    [card] = [m for m in chat.seen(chat.channel_id) if not m.thread_id]
    return card


def button(message: Seen, verdict: str) -> str:
    [action_id] = [a for a, _ in message.buttons if a.endswith(verdict)]
    return action_id


async def a_review_card_approved_by_the_quorum_says_the_outcome_in_its_thread(
        chat: ChatDriver) -> None:
    rt = chat.rt
    card = await post_in_review(chat)

    await chat.press(chat.people.admin, card, button(card, "approve"))
    [post] = await rt.store.list_posts(chat.org.id)
    assert post.status is PostStatus.IN_REVIEW  # one of two
    await chat.press(chat.people.owner, card, button(card, "approve"))
    post = await rt.store.get_post(chat.org.id, post.id)
    assert post.status is PostStatus.SCHEDULED
    chat.clock.advance(2 * 3600)
    claimed = await claim_post(rt, post)
    assert claimed is not None
    await PostPublisher(rt, random.Random(7)).run(chat.org.id, post.id,
                                                  expected_version=claimed.version,
                                                  trigger="scheduler")

    assert (await rt.store.get_post(chat.org.id, post.id)).status is PostStatus.PUBLISHED
    thread = [m for m in chat.seen(chat.channel_id) if m.thread_id == card.message_id]
    assert any(post.id in m.text and "live" in m.text for m in thread)
    [updated] = [m for m in chat.seen(chat.channel_id) if m.message_id == card.message_id]
    assert "Approved" in updated.text and updated.buttons == ()


async def a_viewer_pressing_approve_is_refused(chat: ChatDriver) -> None:
    card = await post_in_review(chat)

    answer = await chat.press(chat.people.viewer, card, button(card, "approve"))

    assert "Admin" in answer
    review = await chat.rt.store.find_review_for_post(
        chat.org.id, (await chat.rt.store.list_posts(chat.org.id))[0].id)
    assert review is not None and review.decisions == [] and review.state is ReviewState.OPEN


@asynccontextmanager
async def chat_queue(chat: ChatDriver) -> AsyncIterator[ChatOutbox]:
    """The ``chat`` Dramatiq queue (in-process broker) and a worker whose deliveries are the
    driver's, as a worker process registers them; yields the outbox that feeds it."""
    from workers import worker_runtime
    from workers.broker import close_broker, configure_broker
    from workers.chat_pacing import InProcessChatPacer
    from workers.embedded import InProcessWorker

    broker = configure_broker(chat.settings)
    import workers.actors  # noqa: F401 - declares the queues
    from workers import chat_actors

    chat_actors._in_process_pacer = InProcessChatPacer()

    worker_runtime.install(chat.open_worker_services)
    worker = InProcessWorker(broker, chat.settings, worker_timeout_ms=100)
    worker.start()
    try:
        yield chat_actors.DramatiqChatOutbox()
    finally:
        await asyncio.to_thread(worker.stop, 10)
        close_broker(broker)
        worker_runtime.uninstall()


async def a_rate_limited_message_is_sent_again_after_the_delay_once(chat: ChatDriver) -> None:
    chat.rate_limit_next(1)
    message = ChatMessage(destination=ChatDestination(chat.platform, chat.workspace_id,
                                                      chat.channel_id), text="paced")

    async with chat_queue(chat) as outbox:
        await outbox.send(message)
        await eventually(lambda: [m.text for m in chat.seen(chat.channel_id)] == ["paced"],
                         timeout=DEADLINE_SECONDS, what="the retried message")

    assert chat.delivery_attempts(chat.channel_id) == 2  # the refusal, then the delivery


async def uninstalling_stops_commands_and_messages(chat: ChatDriver) -> None:
    assert "You are Admin" in await chat.command(chat.people.admin, "help")

    await chat.uninstall()

    assert "You are" not in await chat.command(chat.people.admin, "help")
    delivered = await chat.deliveries[chat.platform].deliver(ChatMessage(
        destination=ChatDestination(chat.platform, chat.workspace_id, chat.channel_id),
        text="after"))
    assert delivered.outcome is DeliveryOutcome.REFUSED
    assert chat.seen(chat.channel_id) == []


CONTRACT: tuple[Scenario, ...] = (
    a_command_gets_a_reply,
    the_composer_creates_a_post_for_review,
    a_review_card_approved_by_the_quorum_says_the_outcome_in_its_thread,
    a_viewer_pressing_approve_is_refused,
    a_rate_limited_message_is_sent_again_after_the_delay_once,
    uninstalling_stops_commands_and_messages,
)
