"""The ``chat`` queue: messages into every chat platform, sent by a worker, paced per channel,
retried when the platform asks to slow down. The delivery is picked by the message's platform
from the chat adapters the composition root registered (``composition/chat.py``).

Notices go on their own queue so that publishing never waits for chat, and a chat outage or
rate limit holds up nothing but notices. Slack allows about one ``chat.postMessage`` per second
per channel; each message reserves the next free second of its channel (in Redis when the broker
is Redis, so every worker shares one budget; in process memory otherwise). A message whose turn
is later is sent again with a Dramatiq delay rather than slept on, so no worker thread waits, and
a busy channel never holds up another. A rate limit (Slack's 429) pushes the channel's budget
back by the platform's delay (``Retry-After``) and retries the message after it
(``dramatiq.Retry``); a permanent refusal (channel gone, bot removed, token revoked) is logged
once and dropped.

Import this module only after :func:`workers.broker.configure_broker`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import dramatiq

from integrations.metrics.recorder import record_chat_delivery
from postflow.chat.delivery import DeliveryOutcome, deliver_by_platform
from postflow.chat.messages import ChatMessage
from postflow.config import Settings
from workers.broker import CHAT_QUEUE, PostFlowRedisBroker, configured_broker
from workers.chat_pacing import PACE_SECONDS, ChatPacer, InProcessChatPacer, RedisChatPacer
from workers.worker_runtime import get_services

log = logging.getLogger(__name__)

#: A turn this close is taken at once rather than re-queued.
PACE_TOLERANCE_SECONDS = 0.05
#: 429s (and pacing hand-offs) a message may meet before it is given up.
RATE_LIMIT_RETRIES = 20
#: Tries while Slack is unreachable (backoff 1 s .. 60 s) before a notice is given up.
UNREACHABLE_RETRIES = 5
SEND_TIME_LIMIT_MS = 60_000


class ChatUnreachable(Exception):
    """The platform could not be reached (or failed on its side): the message is tried again
    later."""


_in_process_pacer = InProcessChatPacer(PACE_SECONDS)


def chat_pacer(broker: dramatiq.Broker) -> ChatPacer:
    """Redis's shared budget with a Redis broker, else this process's."""
    if isinstance(broker, PostFlowRedisBroker):
        return RedisChatPacer(broker.client, _in_process_pacer.interval)
    return _in_process_pacer


def _retry_when(retries: int, exception: BaseException) -> bool:
    if isinstance(exception, dramatiq.Retry):  # a 429
        return retries < RATE_LIMIT_RETRIES
    return retries < UNREACHABLE_RETRIES


_configured = configured_broker()


@dramatiq.actor(broker=_configured.broker, queue_name=CHAT_QUEUE, retry_when=_retry_when,
                min_backoff=1_000, max_backoff=60_000, time_limit=SEND_TIME_LIMIT_MS)
async def send_chat_message(send: dict[str, Any], paced: bool = False) -> None:
    """Send one message (a :class:`~postflow.chat.messages.ChatMessage` as a dict) when its
    channel's turn comes; ``paced`` says its turn was already reserved."""
    message = ChatMessage.from_message(send)
    pacer = chat_pacer(send_chat_message.broker)
    key = message.destination.pace_key()
    if not paced:
        wait = await pacer.reserve(key)
        if wait > PACE_TOLERANCE_SECONDS:
            await asyncio.to_thread(send_chat_message.send_with_options, args=(send, True),
                                    delay=int(wait * 1000))
            return
    deliveries = (await get_services()).chat_deliveries
    platform = message.platform.title()
    if message.platform not in deliveries:
        log.warning("No %s adapter is configured in this worker to %s in workspace %s; "
                    "the message is dropped", platform, message.what,
                    message.destination.workspace_id)
        return
    result = await deliver_by_platform(deliveries, message)
    record_chat_delivery(message.platform, result.outcome.value)
    if result.outcome is DeliveryOutcome.SENT:
        return
    if result.outcome is DeliveryOutcome.RATE_LIMITED:
        await pacer.hold_off(key, result.retry_after)
        log.info("%s asked to slow down (%s); sending again in %.1f s", platform, message.what,
                 result.retry_after)
        raise dramatiq.Retry(f"rate limited on {key}", delay=int(result.retry_after * 1000))
    if result.outcome is DeliveryOutcome.REFUSED:
        log.warning("%s refused to %s in workspace %s: %s; the message is dropped", platform,
                    message.what, message.destination.workspace_id, result.error)
        return
    raise ChatUnreachable(f"could not reach {platform} to {message.what}: {result.error}")


class DramatiqChatOutbox:
    """Hands messages to the ``chat`` queue. Sending talks to Redis synchronously, so it runs in
    a thread and a slow Redis never stalls the caller's event loop."""

    async def send(self, message: ChatMessage) -> None:
        await asyncio.to_thread(send_chat_message.send, message.to_message())


CHAT_ACTORS = (send_chat_message,)


def bind_chat_actors(broker: dramatiq.Broker, settings: Settings) -> None:
    """Move the chat actor to a newly configured broker (called by ``configure_broker``)."""
    for actor in CHAT_ACTORS:
        actor.broker = broker
        broker.declare_actor(actor)
