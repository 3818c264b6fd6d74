"""Discord's :class:`~postflow.chat.delivery.ChatDelivery`: one neutral
:class:`~postflow.chat.messages.ChatMessage` posted (or edited) with Discord's REST API and the
bot's token, its card rendered as an embed and buttons (:mod:`bot.discord.card_render`).

Plain aiohttp, not discord.py (that is the gateway's): one request per message, two for a
direct message (``POST /users/@me/channels`` opens it first). Discord answers too many messages
with HTTP 429 and ``retry_after`` seconds in the body; the delivery only classifies the answer,
pacing and retries are the ``chat`` actor's (``workers/chat_actors.py``). Refusals are logged
by Discord's error code, never with a body or the token.

Where a message goes: a reply in a thread is posted in the thread (a thread started from a
message has that message's id); a replacement edits the message in ``destination.channel_id``
(the channel a :class:`~postflow.reviews.ChatMessageRef` names); a message for one person only
(``ephemeral``) goes to their direct messages, since a bot can post ephemeral messages only as
an answer to an interaction.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from bot.discord.card_render import message_body
from postflow.chat.delivery import Delivered, DeliveryOutcome
from postflow.chat.messages import ChatMessage
from postflow.config import Settings
from postflow.reviews import ChatMessageRef

PLATFORM = "discord"
#: When Discord says 429 without a usable ``retry_after`` or ``Retry-After``.
DEFAULT_RETRY_AFTER_SECONDS = 1.0
REQUEST_TIMEOUT_SECONDS = 10.0


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

    def __init__(self, bot_token: str, api_url: str) -> None:
        self._api_url = api_url.rstrip("/")
        self._headers = {"Authorization": f"Bot {bot_token}"}

    async def deliver(self, message: ChatMessage) -> Delivered:
        to = message.destination
        body = message_body(message)
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
        try:
            async with aiohttp.ClientSession(headers=self._headers, timeout=timeout) as http:
                if message.replaces:
                    channel = to.channel_id
                    answer = await self._call(http, "PATCH",
                                              f"/channels/{channel}/messages/{message.replaces}",
                                              body)
                else:
                    if message.thread_id:
                        channel = message.thread_id
                    elif to.channel_id and not message.ephemeral:
                        channel = to.channel_id
                    else:
                        channel = await self._direct_channel(http, to.user_id)
                    answer = await self._call(http, "POST", f"/channels/{channel}/messages",
                                              body)
        except Refused as refused:
            return refused.delivered
        except (aiohttp.ClientError, TimeoutError) as err:
            return Delivered(DeliveryOutcome.UNREACHABLE, error=type(err).__name__)
        return Delivered(DeliveryOutcome.SENT, reference=ChatMessageRef(
            platform=PLATFORM, workspace_id=to.workspace_id,
            channel_id=str(answer.get("channel_id") or channel),
            message_id=str(answer.get("id") or message.replaces)))

    async def _direct_channel(self, http: aiohttp.ClientSession, user_id: str) -> str:
        if not user_id:
            raise Refused(Delivered(DeliveryOutcome.REFUSED, error="no_channel_or_user"))
        opened = await self._call(http, "POST", "/users/@me/channels", {"recipient_id": user_id})
        return str(opened.get("id") or "")

    async def _call(self, http: aiohttp.ClientSession, method: str, path: str,
                    body: dict[str, Any]) -> dict[str, Any]:
        """Discord's JSON answer to a 2xx; raises :class:`Refused` for anything else."""
        async with http.request(method, self._api_url + path, json=body) as response:
            raw = await response.read()
            answer = _json_object(raw)
            if response.status < 300:
                return answer
            raise Refused(_refusal(response.status, answer, response.headers))


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
