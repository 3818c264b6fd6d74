"""How a chat platform delivers a :class:`~postflow.chat.messages.ChatMessage`, with a closed set
of outcomes, and where the core hands a message (:class:`ChatOutbox`).

Pacing and retries are not the delivery's: the ``chat`` queue's actor paces every platform's
messages per channel, retries a rate-limited one after the platform's delay and an unreachable
one with backoff, and drops a refused one with one log line.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from postflow.chat.messages import ChatMessage
from postflow.reviews import ChatMessageRef

log = logging.getLogger(__name__)


class DeliveryOutcome(StrEnum):
    #: Posted (or updated); the delivery says where.
    SENT = "sent"
    #: The platform asked to slow down: send again after ``retry_after`` seconds.
    RATE_LIMITED = "rate_limited"
    #: A permanent refusal (channel gone, bot removed, token revoked): never sent again.
    REFUSED = "refused"
    #: The platform could not be reached or failed on its side: worth another try later.
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Delivered:
    """What became of one message."""

    outcome: DeliveryOutcome
    #: Where the message is (SENT only): to update it or reply in its thread.
    reference: ChatMessageRef | None = None
    retry_after: float = 0.0
    #: The platform's error code or the exception's class name; never a body or a token.
    error: str = ""


class ChatDelivery(Protocol):
    """Implemented by each chat adapter: one platform call per message, classified."""

    async def deliver(self, message: ChatMessage) -> Delivered: ...


#: The chat adapters of a process by platform (``slack``...), built by the composition root.
ChatDeliveries = Mapping[str, ChatDelivery]


async def deliver_by_platform(deliveries: ChatDeliveries, message: ChatMessage) -> Delivered:
    """``message`` delivered by its platform's adapter; REFUSED when this process has none."""
    delivery = deliveries.get(message.platform)
    if delivery is None:
        return Delivered(DeliveryOutcome.REFUSED, error=f"no_{message.platform}_adapter")
    return await delivery.deliver(message)


class ChatOutbox(Protocol):
    """Where notices and button answers hand a message: the paced ``chat`` queue, or at once."""

    async def send(self, message: ChatMessage) -> None: ...


class InlineChatOutbox:
    """Delivers at once, without pacing or retries: for a process with no broker (a one-off CLI
    command), where a queued message would never be consumed."""

    def __init__(self, deliveries: ChatDeliveries) -> None:
        self._deliveries = deliveries

    async def send(self, message: ChatMessage) -> None:
        result = await deliver_by_platform(self._deliveries, message)
        if result.outcome is not DeliveryOutcome.SENT:
            log.warning("%s message not sent (%s): %s %s", message.platform, message.what,
                        result.outcome.value, result.error)
