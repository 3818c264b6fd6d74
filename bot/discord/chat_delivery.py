"""Discord's :class:`~postflow.chat.delivery.ChatDelivery`: one neutral
:class:`~postflow.chat.messages.ChatMessage` posted (or edited) with Discord's REST API and the
bot's token, its card rendered as an embed and buttons (:mod:`bot.discord.card_render`).

Plain aiohttp, not discord.py (that is the gateway's): one request per message, two for a
direct message (``POST /users/@me/channels`` opens it first). Discord's rate limits are
honoured before sending (:mod:`bot.discord.rate_limits`: its per-route buckets, a 429's
``retry_after`` in seconds, the global 50 requests a second); a wait too long to sleep, or a
429 all the same, is RATE_LIMITED with the delay, and the ``chat`` actor sends the message again
after it (``workers/chat_actors.py``). Refusals are logged by Discord's error code, never with a
body or the token.

Where a message goes: a reply in a thread is posted in the thread (a thread started from a
message has that message's id; when Discord does not know it yet, it is started from the message
in ``destination.channel_id`` first); a replacement edits the message in ``destination.channel_id``
(the channel a :class:`~postflow.reviews.ChatMessageRef` names); a message for one person only
(``ephemeral``) goes to their direct messages, since a bot can post ephemeral messages only as
an answer to an interaction.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from bot.discord.card_render import message_body
from bot.discord.rate_limits import RateLimits
from postflow.chat.delivery import Delivered, DeliveryOutcome
from postflow.chat.messages import ChatMessage
from postflow.config import Settings
from postflow.reviews import ChatMessageRef

PLATFORM = "discord"
#: When Discord says 429 without a usable ``retry_after`` or ``Retry-After``.
DEFAULT_RETRY_AFTER_SECONDS = 1.0
REQUEST_TIMEOUT_SECONDS = 10.0
#: Discord's limit on a thread's name.
THREAD_NAME_MAX = 100
#: A thread started for a reply (the reply does not know what its parent message says).
THREAD_NAME = "PostFlow"
#: Discord's code for a channel (here: a thread) it does not know.
UNKNOWN_CHANNEL = "http_404_10003"
MESSAGES = "/channels/{channel_id}/messages"


def discord_chat_delivery(settings: Settings, api_url: str | None = None) -> DiscordChatDelivery:
    """The delivery for these settings (``POSTFLOW_DISCORD_BOT_TOKEN`` must be set);
    ``api_url`` overrides ``POSTFLOW_DISCORD_API_URL``."""
    if settings.discord_bot_token is None:
        raise ValueError("POSTFLOW_DISCORD_BOT_TOKEN is not set")
    return DiscordChatDelivery(settings.discord_bot_token.get_secret_value(),
                               api_url or settings.discord_api_url)


class Refused(Exception):
    """Discord did not take a request: the outcome it means."""

    def __init__(self, delivered: Delivered) -> None:
        super().__init__(delivered.error)
        self.delivered = delivered


class DiscordChatDelivery:
    """Delivers a message with the bot's token (one bot for every server)."""

    def __init__(self, bot_token: str, api_url: str,
                 rate_limits: RateLimits | None = None) -> None:
        self._api_url = api_url.rstrip("/")
        self._headers = {"Authorization": f"Bot {bot_token}"}
        self.rate_limits = rate_limits or RateLimits()

    async def deliver(self, message: ChatMessage) -> Delivered:
        to = message.destination
        body = message_body(message)
        try:
            async with self._session() as http:
                if message.replaces:
                    channel = to.channel_id
                    answer = await self._call(http, "PATCH", MESSAGES + "/{message_id}", body,
                                              channel_id=channel, message_id=message.replaces)
                elif message.thread_id:
                    channel = message.thread_id
                    answer = await self._in_thread(http, to.channel_id, message, body)
                else:
                    if to.channel_id and not message.ephemeral:
                        channel = to.channel_id
                    else:
                        channel = await self._direct_channel(http, to.user_id)
                    answer = await self._call(http, "POST", MESSAGES, body, channel_id=channel)
        except Refused as refused:
            return refused.delivered
        except (aiohttp.ClientError, TimeoutError) as err:
            return Delivered(DeliveryOutcome.UNREACHABLE, error=type(err).__name__)
        return Delivered(DeliveryOutcome.SENT, reference=ChatMessageRef(
            platform=PLATFORM, workspace_id=to.workspace_id,
            channel_id=str(answer.get("channel_id") or channel),
            message_id=str(answer.get("id") or message.replaces)))

    async def start_thread(self, channel_id: str, message_id: str, name: str) -> Delivered:
        """Start the thread of message ``message_id`` (its id is the message's); SENT when it
        exists afterwards (Discord's 160004: it already did)."""
        try:
            async with self._session() as http:
                await self._start_thread(http, channel_id, message_id, name)
        except Refused as refused:
            return refused.delivered
        except (aiohttp.ClientError, TimeoutError) as err:
            return Delivered(DeliveryOutcome.UNREACHABLE, error=type(err).__name__)
        return Delivered(DeliveryOutcome.SENT, reference=ChatMessageRef(
            platform=PLATFORM, channel_id=message_id, message_id=message_id))

    def _session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            headers=self._headers, timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS))

    async def _in_thread(self, http: aiohttp.ClientSession, parent: str, message: ChatMessage,
                         body: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self._call(http, "POST", MESSAGES, body, channel_id=message.thread_id)
        except Refused as refused:
            if refused.delivered.error != UNKNOWN_CHANNEL or not parent:
                raise
        await self._start_thread(http, parent, message.thread_id, THREAD_NAME)
        return await self._call(http, "POST", MESSAGES, body, channel_id=message.thread_id)

    async def _start_thread(self, http: aiohttp.ClientSession, channel_id: str,
                            message_id: str, name: str) -> None:
        name = " ".join(name.split())[:THREAD_NAME_MAX] or THREAD_NAME
        try:
            await self._call(http, "POST", MESSAGES + "/{message_id}/threads",
                             {"name": name, "auto_archive_duration": 10080},
                             channel_id=channel_id, message_id=message_id)
        except Refused as refused:
            if refused.delivered.error != "http_400_160004":  # already started: fine
                raise

    async def _direct_channel(self, http: aiohttp.ClientSession, user_id: str) -> str:
        if not user_id:
            raise Refused(Delivered(DeliveryOutcome.REFUSED, error="no_channel_or_user"))
        opened = await self._call(http, "POST", "/users/@me/channels",
                                  {"recipient_id": user_id})
        return str(opened.get("id") or "")

    async def _call(self, http: aiohttp.ClientSession, method: str, route: str,
                    body: dict[str, Any], **params: str) -> dict[str, Any]:
        """Discord's JSON answer to a 2xx on ``route`` (a template: ``/channels/{channel_id}/
        messages``) with ``params``, once its rate limits allow; raises :class:`Refused` for
        anything else."""
        key, major = f"{method} {route}", params.get("channel_id", "")
        wait = await self.rate_limits.acquire(key, major)
        if wait > 0:
            raise Refused(Delivered(DeliveryOutcome.RATE_LIMITED, retry_after=wait,
                                    error="bucket_empty"))
        async with http.request(method, self._api_url + route.format(**params),
                                json=body) as response:
            raw = await response.read()
            answer = _json_object(raw)
            refusal = None if response.status < 300 else _refusal(response.status, answer,
                                                                  response.headers)
            self.rate_limits.update(key, major, response.status, response.headers,
                                    None if refusal is None else refusal.retry_after,
                                    is_global=answer.get("global") is True)
            if refusal is None:
                return answer
            raise Refused(refusal)


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _refusal(status: int, answer: dict[str, Any], headers: Any) -> Delivered:
    code = answer.get("code")
    error = f"http_{status}" + (f"_{code}" if isinstance(code, int) and code else "")
    if status == 429:
        return Delivered(DeliveryOutcome.RATE_LIMITED,
                         retry_after=_retry_after(answer, headers), error=error)
    if status >= 500:
        return Delivered(DeliveryOutcome.UNREACHABLE, error=error)
    # 403 50001 (a server the bot left), 404 10003 (a channel gone), 401 (a revoked token),
    # 400 (a body Discord will not take): sending it again gives the same answer.
    return Delivered(DeliveryOutcome.REFUSED, error=error)


def _retry_after(answer: dict[str, Any], headers: Any) -> float:
    values: tuple[Any, ...] = (answer.get("retry_after"), headers.get("Retry-After"))
    for value in values:
        try:
            return max(0.0, float(value))
        except (TypeError, ValueError):
            continue
    return DEFAULT_RETRY_AFTER_SECONDS
